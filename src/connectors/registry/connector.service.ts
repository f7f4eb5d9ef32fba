import { randomBytes } from 'node:crypto';
import { ConcurrencyError, type EventStore } from '@csmcp/event-store';
import { adminMetadata, type AdminContext } from '../../customer-success/companies/commands/admin-context';
import type { ConnectorStateStore } from '../state/connector-state.store';
import type { Connector, GrantSubject } from './connector';
import { ConnectorError } from './connector-error';
import {
  checkCanAuthorize,
  CONNECTOR_NAME,
  connectorDecider,
  type ConnectorCommand,
  type ConnectorCommandMetadata,
  type ConnectorState,
  type RegisterConnector,
  type UpdateConnector,
} from './connector.decider';
import {
  CONNECTOR_INDEX_STREAM,
  connectorStream,
  type ConnectorActor,
  type ConnectorEvent,
  type ConnectorFieldChange,
  type ConnectorIndexed,
} from './connector.events';

const APPEND_ATTEMPTS = 3;
const LIST_READ_CONCURRENCY = 16;

export interface RegisterConnectorRequest {
  readonly name: string;
  readonly url: string;
  /** auto (default), streamable_http or sse. */
  readonly transport?: string;
  /** none, oauth_dynamic or oauth_client. */
  readonly auth: string;
  readonly clientId?: string;
  /** Stored encrypted in the connectors' state database, never in an event. */
  readonly clientSecret?: string;
  /** authorization_code (default) or client_credentials, for oauth_client. */
  readonly grant?: string;
  /** "a b" (spaces or commas) or a list. */
  readonly scopes?: string | readonly string[];
  /** company (default) or user. */
  readonly authorizationScope?: string;
  readonly allowedHosts?: readonly string[];
}

export interface UpdateConnectorRequest {
  readonly url?: string;
  readonly transport?: string;
  readonly auth?: string;
  readonly clientId?: string;
  /** A new client secret (replaces the stored one). */
  readonly clientSecret?: string;
  readonly clearClientSecret?: boolean;
  readonly grant?: string;
  readonly scopes?: string | readonly string[];
  readonly authorizationScope?: string;
  /** Replaces the whole list; [] allows no private host. */
  readonly allowedHosts?: readonly string[];
}

type Existing = Extract<ConnectorState, { exists: true }>;

/**
 * The connectors registry: the external MCP servers admins register (the CLI now, the admin API
 * later). Every change is an event in the connector's stream; the client secret goes, encrypted, to
 * the connectors' state database, and a change that voids the authorizations (another server, client
 * or grant) drops the tokens kept there.
 */
export class ConnectorRegistry {
  /** The clock for writes without AdminContext.now, replaceable in tests. */
  now: () => number = Date.now;

  constructor(
    private readonly store: EventStore,
    private readonly state: ConnectorStateStore,
  ) {}

  /** Throws ConnectorError saying what was wrong and what is allowed. */
  async register(request: RegisterConnectorRequest, context: AdminContext): Promise<Connector> {
    const connectorId = `con_${randomBytes(12).toString('base64url')}`;
    const secret = nonEmpty(request.clientSecret);
    for (let attempt = 1; ; attempt++) {
      const name = typeof request.name === 'string' ? request.name.trim() : '';
      const recorded = CONNECTOR_NAME.test(name) ? await this.store.readStream(connectorStream(name)) : [];
      const state = fold(recorded);
      const command: RegisterConnector = {
        type: 'RegisterConnector',
        data: {
          connectorId,
          name: request.name,
          url: request.url,
          transport: request.transport,
          authKind: request.auth,
          clientId: request.clientId,
          grant: request.grant,
          scopes: words(request.scopes),
          authorizationScope: request.authorizationScope,
          allowedHosts: request.allowedHosts,
          hasClientSecret: secret !== undefined,
        },
        metadata: this.commandMetadata(context),
      };
      // Decided before anything is written, so a refused registration leaves nothing behind.
      const events = connectorDecider.decide(command, state);
      if (secret !== undefined) await this.state.saveSecret(connectorId, 'client_secret', secret);
      const metadata = adminMetadata(context);
      try {
        if (attempt === 1) {
          const indexed: ConnectorIndexed = { type: 'ConnectorIndexed', data: { name } };
          await this.store.appendToStream(CONNECTOR_INDEX_STREAM, [indexed], { expectedRevision: 'any', metadata });
        }
        await this.store.appendToStream(connectorStream(name), events, { expectedRevision: recorded.length === 0 ? 'no_stream' : recorded[recorded.length - 1].revision, metadata });
      } catch (error) {
        if (error instanceof ConcurrencyError && attempt < APPEND_ATTEMPTS) continue;
        throw error;
      }
      return this.view(events.reduce(connectorDecider.evolve, state) as Existing);
    }
  }

  async update(name: string, request: UpdateConnectorRequest, context: AdminContext): Promise<{ connector: Connector; changes: ConnectorFieldChange[]; authorizationsReset: boolean }> {
    const secret = nonEmpty(request.clientSecret);
    if (secret !== undefined && request.clearClientSecret) throw new ConnectorError('VALIDATION', 'give either a new client secret or clear it, not both', 'client_secret');
    let connectorId = '';
    const { state, events } = await this.execute(name, context, async (metadata, current): Promise<UpdateConnector> => {
      connectorId = current.exists ? current.connectorId : '';
      const command: UpdateConnector = {
        type: 'UpdateConnector',
        data: {
          name,
          url: request.url,
          transport: request.transport,
          authKind: request.auth,
          clientId: request.clientId,
          grant: request.grant,
          scopes: words(request.scopes),
          authorizationScope: request.authorizationScope,
          allowedHosts: request.allowedHosts,
          clientSecret: secret !== undefined ? 'set' : request.clearClientSecret ? 'clear' : undefined,
        },
        metadata,
      };
      // Checked before the secret is stored: a refused update changes nothing.
      const decided = connectorDecider.decide(command, current);
      if (secret !== undefined && decided.length > 0) await this.state.saveSecret(connectorId, 'client_secret', secret);
      return command;
    });
    const updated = events.find((e) => e.type === 'ConnectorUpdated');
    const changes = updated?.type === 'ConnectorUpdated' ? updated.data.changes : [];
    const authorizationsReset = updated?.type === 'ConnectorUpdated' && updated.data.authorizationsReset;
    if (!state.hasClientSecret) await this.state.deleteSecret(connectorId, 'client_secret');
    if (authorizationsReset) {
      // Another server or client: what was registered and discovered there is of no use either.
      await this.state.deleteGrants(connectorId);
      await this.state.deleteSecret(connectorId, 'client_information');
      await this.state.deleteSecret(connectorId, 'discovery');
    }
    return { connector: this.view(state), changes, authorizationsReset };
  }

  /** The connector and everything kept for it (secrets, tokens) go; its events stay. */
  async remove(name: string, context: AdminContext): Promise<Connector> {
    let removed: Existing | null = null;
    await this.execute(name, context, async (metadata, current) => {
      if (current.exists) removed = current;
      return { type: 'RemoveConnector', data: { name }, metadata };
    });
    const connector = removed as Existing | null;
    await this.state.deleteConnector(connector!.connectorId);
    return this.view(connector!);
  }

  /** Records a finished authorization; nothing when the connector was removed or replaced in between. */
  async recordAuthorization(name: string, connectorId: string, subject: GrantSubject, context: AdminContext): Promise<void> {
    const recorded = await this.store.readStream(connectorStream(name));
    const state = fold(recorded);
    if (!state.exists || state.connectorId !== connectorId) return;
    const events = connectorDecider.decide({ type: 'RecordConnectorAuthorization', data: { name, subject }, metadata: this.commandMetadata(context) }, state);
    await this.store.appendToStream(connectorStream(name), events, { expectedRevision: 'any', metadata: adminMetadata(context) });
  }

  /** The connector, when this subject may authorise it now (see checkCanAuthorize); else a ConnectorError saying why. */
  async authorizable(name: string, subject: GrantSubject): Promise<Connector> {
    const state = await this.readState(name);
    if (!state.exists) throw notFound(name);
    checkCanAuthorize(state, subject);
    return this.view(state);
  }

  async get(name: string): Promise<Connector | null> {
    const state = await this.readState(name);
    return state.exists ? this.view(state) : null;
  }

  async require(name: string): Promise<Connector> {
    const connector = await this.get(name);
    if (!connector) throw notFound(name);
    return connector;
  }

  /** Every connector, in the order they were first registered. */
  async list(): Promise<Connector[]> {
    const index = (await this.store.readStream(CONNECTOR_INDEX_STREAM)) as unknown as ConnectorIndexed[];
    const names = [...new Set(index.filter((e) => e.type === 'ConnectorIndexed').map((e) => e.data.name))];
    const connectors: Connector[] = [];
    for (let i = 0; i < names.length; i += LIST_READ_CONCURRENCY) {
      const states = await Promise.all(names.slice(i, i + LIST_READ_CONCURRENCY).map((n) => this.readState(n)));
      for (const state of states) if (state.exists) connectors.push(this.view(state));
    }
    return connectors.sort((a, b) => a.registeredAt.localeCompare(b.registeredAt) || a.name.localeCompare(b.name));
  }

  /** The admin's client secret for oauth_client, decrypted; null when none is stored. */
  clientSecret(connector: Connector): Promise<string | null> {
    return connector.hasClientSecret ? this.state.secret<string>(connector.id, 'client_secret') : Promise.resolve(null);
  }

  private async readState(name: string): Promise<ConnectorState> {
    if (!CONNECTOR_NAME.test(name)) return connectorDecider.initialState();
    return fold(await this.store.readStream(connectorStream(name)));
  }

  /** Read, decide, append at the revision read; a concurrent change is retried on fresh state. */
  private async execute(
    name: string,
    context: AdminContext,
    command: (metadata: ConnectorCommandMetadata, state: ConnectorState) => Promise<Exclude<ConnectorCommand, RegisterConnector>>,
  ): Promise<{ state: Existing; events: ConnectorEvent[] }> {
    const trimmed = name.trim();
    if (!CONNECTOR_NAME.test(trimmed)) throw notFound(name);
    for (let attempt = 1; ; attempt++) {
      const recorded = await this.store.readStream(connectorStream(trimmed));
      const state = fold(recorded);
      if (!state.exists) throw notFound(name);
      const events = connectorDecider.decide(await command(this.commandMetadata(context), state), state);
      const after = events.reduce(connectorDecider.evolve, state);
      if (events.length === 0) return { state, events };
      try {
        await this.store.appendToStream(connectorStream(trimmed), events, { expectedRevision: recorded[recorded.length - 1].revision, metadata: adminMetadata(context) });
      } catch (error) {
        if (error instanceof ConcurrencyError && attempt < APPEND_ATTEMPTS) continue;
        throw error;
      }
      return { state: (after.exists ? after : state) as Existing, events };
    }
  }

  private commandMetadata(context: AdminContext): ConnectorCommandMetadata {
    const { actor } = context;
    const by: ConnectorActor = actor.type === 'user' ? { type: 'user', id: actor.id, email: actor.email } : { type: 'system', id: actor.id, email: null };
    return { now: (context.now ?? new Date(this.now())).toISOString(), by };
  }

  private view(state: Existing): Connector {
    return {
      id: state.connectorId,
      name: state.name,
      ...state.settings,
      hasClientSecret: state.hasClientSecret,
      companyAuthorizedAt: state.companyAuthorizedAt,
      registeredAt: state.registeredAt,
      updatedAt: state.updatedAt,
    };
  }
}

function fold(recorded: readonly { type: string; data: unknown }[]): ConnectorState {
  return recorded.reduce((s, e) => connectorDecider.evolve(s, e as unknown as ConnectorEvent), connectorDecider.initialState());
}

function notFound(name: string): ConnectorError {
  return new ConnectorError('CONNECTOR_NOT_FOUND', `no connector is named ${name}; csmcp connectors list shows them`, 'name');
}

/** "a b" or "a,b" into words; a list as is; undefined stays undefined (the default or the current value applies). */
function words(value: string | readonly string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value.split(/[\s,]+/).filter((w) => w !== '') : [...value];
}

function nonEmpty(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new ConnectorError('VALIDATION', 'the client secret is empty: give the secret the provider issued', 'client_secret');
  return value.trim();
}
