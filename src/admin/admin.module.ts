import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { CustomerSuccessModule } from '../customer-success/customer-success.module';
import { UsersModule } from '../users/users.module';
import { AdminAuditController } from './audit/admin-audit.controller';
import { AuditReadModel } from './audit/audit-read-model';
import { AdminCreditsController } from './credits/admin-credits.controller';
import { AdminAuthMiddleware } from './http/admin-auth.middleware';
import { AdminNotFoundController } from './http/admin-not-found.controller';
import { AdminIntegrationsController } from './integrations/admin-integrations.controller';
import { AdminOAuthClientsController } from './oauth-clients/admin-oauth-clients.controller';
import { DynamicClientsService } from './oauth-clients/dynamic-clients.service';
import { AdminUsageController } from './usage/admin-usage.controller';
import { AdminUsersController } from './users/admin-users.controller';
import { AdminWritePolicyController } from './write-policy/admin-write-policy.controller';

/**
 * The admin HTTP API under /admin/api (docs/admin-api.md): integrations, users, the write policy,
 * dynamically registered OAuth clients, the audit log, credit usage and credits. Every request passes
 * AdminAuthMiddleware (a bearer token with the admin scope, of a user with the admin role); handlers
 * call the same services as the CLI.
 * IntegrationService, OAuthStateStore and BearerTokenVerifier come from the global AuthModule;
 * CreditsService and the audit log from the global AuditModule.
 */
@Module({
  imports: [CustomerSuccessModule, UsersModule],
  // The catch-all 404 last: routes are matched in the order they are registered.
  controllers: [
    AdminIntegrationsController,
    AdminUsersController,
    AdminWritePolicyController,
    AdminOAuthClientsController,
    AdminAuditController,
    AdminUsageController,
    AdminCreditsController,
    AdminNotFoundController,
  ],
  providers: [AdminAuthMiddleware, DynamicClientsService, AuditReadModel],
})
export class AdminModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AdminAuthMiddleware).forRoutes({ path: 'admin/api', method: RequestMethod.ALL }, { path: 'admin/api/{*path}', method: RequestMethod.ALL });
  }
}
