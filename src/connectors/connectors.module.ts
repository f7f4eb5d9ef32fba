import { DynamicModule, Module, type Provider } from '@nestjs/common';
import type { EventStore } from '@csmcp/event-store';
import type { AppConfig } from '../config/config';
import type { AuditLog } from '../audit/audit-log';
import { AUDIT_LOG } from '../audit/audit.tokens';
import { APP_CONFIG, EVENT_STORE } from '../infrastructure/tokens';
import { BriefRunner } from './briefs/brief-runner';
import { BriefSources } from './briefs/brief-sources';
import { ConnectorClient } from './client/connector-client';
import { createConnectors, type Connectors } from './connectors';
import { ConnectorOAuthController } from './http/connector-oauth.controller';
import { ConnectorAuthorizations } from './oauth/connector-authorizations';
import { ConnectorRegistry } from './registry/connector.service';
import { AuthorizeMyConnectorHandler } from './self-service/authorize-my-connector/authorize-my-connector.handler';
import { ListMyConnectorsHandler } from './self-service/list-my-connectors/list-my-connectors.handler';
import { ConnectorStateStore } from './state/connector-state.store';

export interface ConnectorsModuleOptions {
  /** The server serves the OAuth callback; one-shot CLI commands start authorizations and test. */
  readonly server: boolean;
}

const CONNECTORS = Symbol('CONNECTORS');

const providers: Provider[] = [
  { provide: CONNECTORS, inject: [APP_CONFIG, EVENT_STORE], useFactory: (config: AppConfig, store: EventStore) => createConnectors({ config, store }) },
  { provide: ConnectorStateStore, inject: [CONNECTORS], useFactory: (c: Connectors) => c.state },
  { provide: ConnectorRegistry, inject: [CONNECTORS], useFactory: (c: Connectors) => c.registry },
  { provide: ConnectorAuthorizations, inject: [CONNECTORS], useFactory: (c: Connectors) => c.authorizations },
  { provide: ConnectorClient, inject: [CONNECTORS], useFactory: (c: Connectors) => c.client },
  // Brief sources (get_account_brief): the mapping in the event log, the calls audited and charged.
  { provide: BriefSources, inject: [EVENT_STORE, CONNECTORS], useFactory: (store: EventStore, c: Connectors) => new BriefSources(store, c.registry) },
  {
    provide: BriefRunner,
    inject: [BriefSources, CONNECTORS, AUDIT_LOG],
    useFactory: (sources: BriefSources, c: Connectors, audit: AuditLog) => new BriefRunner(sources, c.registry, c.client, audit),
  },
  // A user's own authorizations (the MCP tool authorize_connector), on the query and command buses.
  ListMyConnectorsHandler,
  AuthorizeMyConnectorHandler,
];

/**
 * Outbound MCP connectors (issue 7): the registry (events), the encrypted credentials (state
 * database), authorizations (the MCP SDK's OAuth client) and the client brief sources will call.
 */
@Module({})
export class ConnectorsModule {
  static forRoot(options: ConnectorsModuleOptions): DynamicModule {
    return {
      // Global: the MCP layer's get_account_brief takes BriefRunner from here.
      global: true,
      module: ConnectorsModule,
      controllers: options.server ? [ConnectorOAuthController] : [],
      providers,
      exports: [ConnectorRegistry, ConnectorAuthorizations, ConnectorClient, ConnectorStateStore, BriefSources, BriefRunner],
    };
  }
}
