import { DynamicModule, Module, type Provider } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import type { AppConfig } from '../config/config';
import { APP_CONFIG, EVENT_STORE } from '../infrastructure/tokens';
import { BearerTokenVerifier } from './http/bearer-token.verifier';
import { PrincipalRateLimiter } from './http/principal-rate-limiter';
import { ProtectedResourceController } from './http/protected-resource.controller';
import { externalIssuerVerifier } from './jwt/external-issuer';
import { identityProviderSignIn } from './identity-provider/identity-provider.provider';
import { IntegrationService } from './integrations/integration.service';
import { PasswordService } from './passwords/password.service';
import { AccessTokenService } from './tokens/access-token.service';
import { AccessTokenVerifier } from './tokens/access-token.verifier';
import { BuiltInIssuerVerifier } from './oauth-server/built-in-issuer.verifier';
import { OAuthServer } from './oauth-server/oauth-server';
import { OAuthStateStore } from './oauth-server/oauth-state.store';

export interface AuthModuleOptions {
  /** The server serves the OAuth discovery documents; one-shot CLI commands only issue and check. */
  readonly server: boolean;
}

/** The built-in authorization server's state (codes, refresh tokens, grants, keys), opened on first use. */
const oauthState: Provider = {
  provide: OAuthStateStore,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => OAuthStateStore.forConfig(config),
};

/** The built-in authorization server (src/auth/oauth-server); its HTTP side is OAuthServerModule. */
const oauthServer: Provider = {
  provide: OAuthServer,
  inject: [APP_CONFIG, EVENT_STORE, OAuthStateStore, IntegrationService, PasswordService, CommandBus],
  useFactory: (config: AppConfig, store: EventStore, state: OAuthStateStore, integrations: IntegrationService, passwords: PasswordService, commands: CommandBus) =>
    new OAuthServer({ config, store, state, integrations, passwords, identityProvider: identityProviderSignIn(config, store, commands) }),
};

/**
 * Any bearer token -> Principal, for the MCP endpoint and the admin API: personal access tokens, and
 * JWT access tokens of the external authorization server when OAUTH_ISSUER is set, else of the
 * built-in one.
 */
const bearerTokenVerifier: Provider = {
  provide: BearerTokenVerifier,
  inject: [APP_CONFIG, EVENT_STORE, AccessTokenVerifier, OAuthStateStore, OAuthServer, IntegrationService],
  useFactory: (
    config: AppConfig,
    store: EventStore,
    personal: AccessTokenVerifier,
    state: OAuthStateStore,
    server: OAuthServer,
    integrations: IntegrationService,
  ) =>
    new BearerTokenVerifier(
      personal,
      // The app's one integration registry (and its cache), shared with the authorization server.
      config.oauth ? externalIssuerVerifier(config.oauth, store) : new BuiltInIssuerVerifier(store, state, (kid) => server.publicJwks(kid), integrations),
      // RATE_LIMIT_PER_USER / _PER_INTEGRATION: one set of budgets per process, shared by /mcp and /admin/api.
      PrincipalRateLimiter.from(config.rateLimits),
    ),
};

/**
 * Tokens and passwords: BearerTokenVerifier (above), AccessTokenVerifier (personal access tokens),
 * AccessTokenService (issue, list, revoke), PasswordService (sign-in). Needs the global
 * InfrastructureModule's EVENT_STORE and APP_CONFIG. IntegrationService: the OAuth clients admins register.
 */
@Module({})
export class AuthModule {
  static forRoot(options: AuthModuleOptions): DynamicModule {
    const providers = [AccessTokenVerifier, oauthState, oauthServer, bearerTokenVerifier, AccessTokenService, PasswordService, IntegrationService];
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
