import { DynamicModule, Module, type Provider } from '@nestjs/common';
import type { EventStore } from '@csmcp/event-store';
import type { AppConfig } from '../config/config';
import { APP_CONFIG, EVENT_STORE } from '../infrastructure/tokens';
import { BearerTokenVerifier } from './http/bearer-token.verifier';
import { ProtectedResourceController } from './http/protected-resource.controller';
import { externalIssuerVerifier } from './jwt/external-issuer';
import { IntegrationService } from './integrations/integration.service';
import { PasswordService } from './passwords/password.service';
import { AccessTokenService } from './tokens/access-token.service';
import { AccessTokenVerifier } from './tokens/access-token.verifier';

export interface AuthModuleOptions {
  /** The server serves the OAuth discovery documents; one-shot CLI commands only issue and check. */
  readonly server: boolean;
}

/**
 * Any bearer token -> Principal, for the MCP endpoint and the admin API: personal access tokens, and
 * JWT access tokens of the external authorization server when OAUTH_ISSUER is set.
 */
const bearerTokenVerifier: Provider = {
  provide: BearerTokenVerifier,
  inject: [APP_CONFIG, EVENT_STORE, AccessTokenVerifier],
  useFactory: (config: AppConfig, store: EventStore, personal: AccessTokenVerifier) =>
    new BearerTokenVerifier(personal, config.oauth ? externalIssuerVerifier(config.oauth, store) : null),
};

/**
 * Tokens and passwords: BearerTokenVerifier (above), AccessTokenVerifier (personal access tokens),
 * AccessTokenService (issue, list, revoke), PasswordService (sign-in). Needs the global
 * InfrastructureModule's EVENT_STORE and APP_CONFIG. IntegrationService: the OAuth clients admins register.
 */
@Module({})
export class AuthModule {
  static forRoot(options: AuthModuleOptions): DynamicModule {
    const providers = [AccessTokenVerifier, bearerTokenVerifier, AccessTokenService, PasswordService, IntegrationService];
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
