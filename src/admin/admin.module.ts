import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { CustomerSuccessModule } from '../customer-success/customer-success.module';
import { UsersModule } from '../users/users.module';
import { AdminAuditController } from './audit/admin-audit.controller';
import { AuditReadModel } from './audit/audit-read-model';
import { AdminBriefSourcesController } from './connectors/admin-brief-sources.controller';
import { AdminConnectorsController } from './connectors/admin-connectors.controller';
import { AdminCreditsController } from './credits/admin-credits.controller';
import { AdminAuthMiddleware } from './http/admin-auth.middleware';
import { AdminNotFoundController } from './http/admin-not-found.controller';
import { AdminIntegrationsController } from './integrations/admin-integrations.controller';
import { AdminMeController } from './me/admin-me.controller';
import { AdminOAuthClientsController } from './oauth-clients/admin-oauth-clients.controller';
import { DynamicClientsService } from './oauth-clients/dynamic-clients.service';
import { AdminRevertController } from './revert/admin-revert.controller';
import { AdminToolsController } from './tools/admin-tools.controller';
import { AdminUsageController } from './usage/admin-usage.controller';
import { AdminUsersController } from './users/admin-users.controller';
import { AdminWritePolicyController } from './write-policy/admin-write-policy.controller';

/**
 * The admin HTTP API under /admin/api (docs/admin-api.md): integrations, users, the write policy,
 * dynamically registered OAuth clients, the audit log and reverting LLM writes, credit usage and
 * credits, the MCP tools with their prices, connectors and brief sources, and the signed-in admin (me). Every request passes
 * AdminAuthMiddleware (a bearer token with the admin scope, of a user with the admin role); handlers
 * call the same services as the CLI.
 * IntegrationService, OAuthStateStore and BearerTokenVerifier come from the global AuthModule;
 * CreditsService, RevertService and the audit log from the global AuditModule; the connectors'
 * services from the global ConnectorsModule.
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
    AdminRevertController,
    AdminMeController,
    AdminToolsController,
    AdminConnectorsController,
    AdminBriefSourcesController,
    AdminNotFoundController,
  ],
  providers: [AdminAuthMiddleware, DynamicClientsService, AuditReadModel],
})
export class AdminModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AdminAuthMiddleware).forRoutes({ path: 'admin/api', method: RequestMethod.ALL }, { path: 'admin/api/{*path}', method: RequestMethod.ALL });
  }
}
