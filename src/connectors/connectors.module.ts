import { DynamicModule, Module, type Provider } from '@nestjs/common';
import type { EventStore } from '@csmcp/event-store';
import type { AppConfig } from '../config/config';
import { APP_CONFIG, EVENT_STORE } from '../infrastructure/tokens';
import { ConnectorClient } from './client/connector-client';
import { connectorFetch } from './client/connector-fetch';
import { ConnectorOAuthController } from './http/connector-oauth.controller';
import { oauthClientIdentity } from './oauth/client-identity';
import { ConnectorAuthorizations } from './oauth/connector-authorizations';
import { ConnectorRegistry } from './registry/connector.service';
import { TokenCipher } from './secrets/token-cipher';
import { ConnectorStateStore } from './state/connector-state.store';
import { packageVersion } from './version';

export interface ConnectorsModuleOptions {
  /** The server serves the OAuth callback; one-shot CLI commands start authorizations and test. */
  readonly server: boolean;
}

const providers: Provider[] = [
  { provide: TokenCipher, inject: [APP_CONFIG], useFactory: (config: AppConfig) => TokenCipher.fromConfig(config) },
  { provide: ConnectorStateStore, inject: [APP_CONFIG, TokenCipher], useFactory: (config: AppConfig, cipher: TokenCipher) => ConnectorStateStore.forConfig(config, cipher) },
  { provide: ConnectorRegistry, inject: [EVENT_STORE, ConnectorStateStore], useFactory: (store: EventStore, state: ConnectorStateStore) => new ConnectorRegistry(store, state) },
  {
    provide: ConnectorAuthorizations,
    inject: [APP_CONFIG, ConnectorRegistry, ConnectorStateStore],
    useFactory: (config: AppConfig, registry: ConnectorRegistry, state: ConnectorStateStore) =>
      new ConnectorAuthorizations(registry, state, oauthClientIdentity(config), (connector) => connectorFetch(connector)),
  },
  {
    provide: ConnectorClient,
    inject: [ConnectorRegistry, ConnectorAuthorizations],
    useFactory: (registry: ConnectorRegistry, authorizations: ConnectorAuthorizations) =>
      new ConnectorClient(registry, authorizations, (connector) => connectorFetch(connector), { name: 'csmcp', version: packageVersion() }),
  },
];

/**
 * Outbound MCP connectors (issue 7): the registry (events), the encrypted credentials (state
 * database), authorizations (the MCP SDK's OAuth client) and the client brief sources will call.
 */
@Module({})
export class ConnectorsModule {
  static forRoot(options: ConnectorsModuleOptions): DynamicModule {
    return {
      module: ConnectorsModule,
      controllers: options.server ? [ConnectorOAuthController] : [],
      providers,
      exports: [ConnectorRegistry, ConnectorAuthorizations, ConnectorClient, ConnectorStateStore],
    };
  }
}
