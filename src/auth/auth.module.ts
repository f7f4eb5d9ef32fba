import { DynamicModule, Module } from '@nestjs/common';
import { ProtectedResourceController } from './http/protected-resource.controller';
import { IntegrationService } from './integrations/integration.service';
import { PasswordService } from './passwords/password.service';
import { AccessTokenService } from './tokens/access-token.service';
import { AccessTokenVerifier } from './tokens/access-token.verifier';

export interface AuthModuleOptions {
  /** The server serves the OAuth discovery documents; one-shot CLI commands only issue and check. */
  readonly server: boolean;
}

/**
 * Tokens and passwords: AccessTokenVerifier (bearer token -> Principal, for the MCP endpoint and the
 * admin API), AccessTokenService (issue, list, revoke), PasswordService (sign-in). Needs the global
 * InfrastructureModule's EVENT_STORE and APP_CONFIG. IntegrationService: the OAuth clients admins register.
 */
@Module({})
export class AuthModule {
  static forRoot(options: AuthModuleOptions): DynamicModule {
    const providers = [AccessTokenVerifier, AccessTokenService, PasswordService, IntegrationService];
    return {
      module: AuthModule,
      // One verifier (and its cache) for every door: MCP, and later the admin API.
      global: true,
      controllers: options.server ? [ProtectedResourceController] : [],
      providers,
      exports: providers,
    };
  }
}
