import type { EventStore } from '@csmcp/event-store';
import type { AppConfig } from '../config/config';
import { ConnectorClient } from './client/connector-client';
import { connectorFetch, type ConnectorFetchOptions } from './client/connector-fetch';
import { oauthClientIdentity } from './oauth/client-identity';
import { ConnectorAuthorizations } from './oauth/connector-authorizations';
import type { OAuthClientIdentity } from './oauth/connector-oauth-provider';
import { ConnectorRegistry } from './registry/connector.service';
import { TokenCipher } from './secrets/token-cipher';
import { ConnectorStateStore } from './state/connector-state.store';
import { packageVersion } from './version';

export interface Connectors {
  readonly registry: ConnectorRegistry;
  readonly authorizations: ConnectorAuthorizations;
  readonly client: ConnectorClient;
  readonly state: ConnectorStateStore;
}

export interface ConnectorsOptions {
  readonly config: Pick<AppConfig, 'readModels' | 'dataDir' | 'publicUrl' | 'host' | 'port' | 'connectorTokenKeys'>;
  readonly store: EventStore;
  /** How csmcp presents itself to authorization servers; default from PUBLIC_URL (oauthClientIdentity). */
  readonly identity?: OAuthClientIdentity;
  readonly fetch?: ConnectorFetchOptions;
}

/**
 * The connectors as one object graph: what ConnectorsModule provides to the app and the CLI, and what
 * the conformance client entry point (test/conformance/connector-client.ts) runs, so the suite tests
 * the production code.
 */
export function createConnectors(options: ConnectorsOptions): Connectors {
  const state = ConnectorStateStore.forConfig(options.config, TokenCipher.fromConfig(options.config));
  const registry = new ConnectorRegistry(options.store, state);
  const fetchFor = (connector: Parameters<typeof connectorFetch>[0]) => connectorFetch(connector, options.fetch);
  const authorizations = new ConnectorAuthorizations(registry, state, options.identity ?? oauthClientIdentity(options.config), fetchFor);
  const client = new ConnectorClient(registry, authorizations, fetchFor, { name: 'csmcp', version: packageVersion() });
  return { registry, authorizations, client, state };
}
