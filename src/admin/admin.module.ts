import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { CustomerSuccessModule } from '../customer-success/customer-success.module';
import { UsersModule } from '../users/users.module';
import { AdminAuthMiddleware } from './http/admin-auth.middleware';
import { AdminNotFoundController } from './http/admin-not-found.controller';
import { AdminIntegrationsController } from './integrations/admin-integrations.controller';
import { AdminOAuthClientsController } from './oauth-clients/admin-oauth-clients.controller';
import { DynamicClientsService } from './oauth-clients/dynamic-clients.service';
import { AdminUsersController } from './users/admin-users.controller';
import { AdminWritePolicyController } from './write-policy/admin-write-policy.controller';

/**
 * The admin HTTP API under /admin/api (docs/admin-api.md): integrations, users, the write policy and
 * dynamically registered OAuth clients. Every request passes AdminAuthMiddleware (a bearer token with
 * the admin scope, of a user with the admin role); handlers call the same services as the CLI.
 * IntegrationService, OAuthStateStore and BearerTokenVerifier come from the global AuthModule.
 */
@Module({
  imports: [CustomerSuccessModule, UsersModule],
  // The catch-all 404 last: routes are matched in the order they are registered.
  controllers: [AdminIntegrationsController, AdminUsersController, AdminWritePolicyController, AdminOAuthClientsController, AdminNotFoundController],
  providers: [AdminAuthMiddleware, DynamicClientsService],
})
export class AdminModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AdminAuthMiddleware).forRoutes({ path: 'admin/api', method: RequestMethod.ALL }, { path: 'admin/api/{*path}', method: RequestMethod.ALL });
  }
}
