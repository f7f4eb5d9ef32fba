import type { Decider } from '../../customer-success/shared/decider';
import { commandNow } from '../../customer-success/shared/validation';
import { parseAllowedHost } from '../../net/guarded-fetch';
import {
  AUTHORIZATION_SCOPES,
  CONNECTOR_AUTH_KINDS,
  CONNECTOR_GRANTS,
  CONNECTOR_TRANSPORTS,
  type AuthorizationScope,
  type ConnectorAuthKind,
  type ConnectorGrant,
  type ConnectorSettings,
  type GrantSubject,
} from './connector';
import { ConnectorError } from './connector-error';
import {
  CONNECTOR_UPDATABLE_FIELDS,
  type ConnectorActor,
  type ConnectorAuthorized,
  type ConnectorEvent,
  type ConnectorFieldChange,
  type ConnectorRegistered,
  type ConnectorRemoved,
  type ConnectorUpdated,
} from './connector.events';

/**
 * The connector aggregate (stream connector-<name>): pure, no I/O, no clock (the time and the admin
 * come in as command metadata). Input comes as the admin typed it (unknown) and is checked here, so the
 * CLI, the admin API and tests get the same refusals.
 */

export const CONNECTOR_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const MAX_SCOPES = 50;
const CLIENT_ID_MAX_LENGTH = 500;
const URL_MAX_LENGTH = 2000;
// RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/;

export interface ConnectorCommandMetadata {
  /** ISO 8601 date-time. */
  readonly now: string;
  readonly by: ConnectorActor;
}

type Command<Type extends string, Data> = Readonly<{ type: Type; data: Data; metadata: ConnectorCommandMetadata }>;

export type RegisterConnector = Command<
  'RegisterConnector',
  {
    connectorId: string;
    name: unknown;
    url: unknown;
    transport?: unknown;
    authKind: unknown;
    clientId?: unknown;
    grant?: unknown;
    scopes?: readonly unknown[];
    authorizationScope?: unknown;
    allowedHosts?: readonly unknown[];
    /** Whether the admin gave a client secret (stored encrypted by the service, never in the event). */
    hasClientSecret: boolean;
  }
>;

export type UpdateConnector = Command<
  'UpdateConnector',
  {
    name: string;
    url?: unknown;
    transport?: unknown;
    authKind?: unknown;
    /** null clears it (when leaving oauth_client). */
    clientId?: unknown;
    grant?: unknown;
    scopes?: readonly unknown[];
    authorizationScope?: unknown;
    /** Replaces the whole list; [] allows no private host. */
    allowedHosts?: readonly unknown[];
    /** set: a new secret was given; clear: the stored one goes. */
    clientSecret?: 'set' | 'clear';
  }
>;

export type RemoveConnector = Command<'RemoveConnector', { name: string }>;
export type RecordConnectorAuthorization = Command<'RecordConnectorAuthorization', { name: string; subject: GrantSubject }>;

export type ConnectorCommand = RegisterConnector | UpdateConnector | RemoveConnector | RecordConnectorAuthorization;

export type ConnectorState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly connectorId: string;
      readonly name: string;
      readonly settings: ConnectorSettings;
      readonly hasClientSecret: boolean;
      readonly companyAuthorizedAt: string | null;
      readonly registeredAt: string;
      readonly updatedAt: string;
    };

type Existing = Extract<ConnectorState, { exists: true }>;

export const initialConnectorState = (): ConnectorState => ({ exists: false });

export function evolveConnector(state: ConnectorState, event: ConnectorEvent): ConnectorState {
  if (event.type === 'ConnectorRegistered') {
    const { connectorId, name, hasClientSecret, registeredAt, registeredBy: _by, ...settings } = event.data;
    return { exists: true, connectorId, name, settings, hasClientSecret, companyAuthorizedAt: null, registeredAt, updatedAt: registeredAt };
  }
  if (!state.exists || state.connectorId !== event.data.connectorId) return state;
  switch (event.type) {
    case 'ConnectorUpdated': {
      const settings: Record<string, unknown> = { ...state.settings };
      let hasClientSecret = state.hasClientSecret;
      for (const change of event.data.changes) {
        if (change.field === 'clientSecret') hasClientSecret = change.to !== '(none)';
        else settings[change.field] = change.to;
      }
      return {
        ...state,
        settings: settings as unknown as ConnectorSettings,
        hasClientSecret,
        companyAuthorizedAt: event.data.authorizationsReset ? null : state.companyAuthorizedAt,
        updatedAt: event.data.updatedAt,
      };
    }
    case 'ConnectorRemoved':
      return { exists: false };
    case 'ConnectorAuthorized':
      return event.data.subject === 'company' ? { ...state, companyAuthorizedAt: event.data.authorizedAt } : state;
    default:
      return state;
  }
}

export function decideConnector(command: ConnectorCommand, state: ConnectorState): ConnectorEvent[] {
  const now = commandNow(command.metadata).iso;
  const by = command.metadata.by;
  if (command.type === 'RegisterConnector') return [register(command, state, now, by)];
  if (!state.exists) throw notFound(command.data.name);
  switch (command.type) {
    case 'UpdateConnector':
      return update(command, state, now, by);
    case 'RemoveConnector': {
      const removed: ConnectorRemoved = { type: 'ConnectorRemoved', data: { connectorId: state.connectorId, name: state.name, removedAt: now, removedBy: by } };
      return [removed];
    }
    case 'RecordConnectorAuthorization': {
      checkCanAuthorize(state, command.data.subject);
      const { subject } = command.data;
      const authorized: ConnectorAuthorized = {
        type: 'ConnectorAuthorized',
        data: {
          connectorId: state.connectorId,
          name: state.name,
          subject: subject.kind,
          userId: subject.kind === 'user' ? subject.userId : null,
          userEmail: subject.kind === 'user' ? subject.email : null,
          grant: state.settings.grant ?? 'authorization_code',
          authorizedAt: now,
          authorizedBy: by,
        },
      };
      return [authorized];
    }
  }
}

/**
 * Whether this subject may authorise the connector now (before anything is sent to the provider): it
 * uses OAuth; a user only for a user-specific connector the admin already authorised for the
 * organisation (the additive model: organisation first, then each user).
 */
export function checkCanAuthorize(state: ConnectorState, subject: GrantSubject): asserts state is Existing {
  if (!state.exists) throw new ConnectorError('CONNECTOR_NOT_FOUND', 'no such connector; csmcp connectors list shows them', 'name');
  const { settings, name } = state;
  if (settings.authKind === 'none')
    throw new ConnectorError('NO_AUTHORIZATION_NEEDED', `connector ${name} uses no authentication (auth none): there is nothing to authorise; change it with csmcp connectors update ${name} --auth oauth_dynamic|oauth_client`);
  if (subject.kind === 'user') {
    if (settings.authorizationScope !== 'user')
      throw new ConnectorError(
        'NOT_USER_SPECIFIC',
        `connector ${name} is company-wide: one authorization by an admin serves every user; leave out --user, or make it user-specific with csmcp connectors update ${name} --authorization-scope user`,
        'user',
      );
    if (state.companyAuthorizedAt === null)
      throw new ConnectorError(
        'COMPANY_AUTHORIZATION_FIRST',
        `connector ${name} is not authorised for the organisation yet: an admin authorises it first (csmcp connectors authorize ${name}), then each user`,
        'user',
      );
  }
}

export const connectorDecider: Decider<ConnectorState, ConnectorCommand, ConnectorEvent> = {
  decide: decideConnector,
  evolve: evolveConnector,
  initialState: initialConnectorState,
};

function register(command: RegisterConnector, state: ConnectorState, now: string, by: ConnectorActor): ConnectorRegistered {
  const { data } = command;
  const name = checkName(data.name);
  if (state.exists) throw new ConnectorError('ALREADY_EXISTS', `a connector named ${name} already exists (${state.settings.url}); choose another name or change it with csmcp connectors update ${name}`, 'name');
  const settings = checkSettings({
    url: data.url,
    transport: data.transport ?? 'auto',
    authKind: data.authKind,
    clientId: data.clientId ?? null,
    grant: data.grant ?? null,
    scopes: data.scopes ?? [],
    authorizationScope: data.authorizationScope ?? 'company',
    allowedHosts: data.allowedHosts ?? [],
    hasClientSecret: data.hasClientSecret,
  });
  return { type: 'ConnectorRegistered', data: { connectorId: data.connectorId, name, ...settings, hasClientSecret: data.hasClientSecret, registeredAt: now, registeredBy: by } };
}

/** A change to one of these makes existing authorizations void: another server, another client or another way to get tokens. */
const RESETTING_FIELDS = new Set(['url', 'authKind', 'clientId', 'grant', 'clientSecret', 'authorizationScope']);

function update(command: UpdateConnector, state: Existing, now: string, by: ConnectorActor): ConnectorUpdated[] {
  const { data } = command;
  const current = state.settings;
  const authKind = data.authKind ?? current.authKind;
  // Leaving oauth_client drops its client id and grant unless new ones are given (which then get refused).
  const leavingClient = authKind !== 'oauth_client' && current.authKind === 'oauth_client';
  const hasClientSecret = data.clientSecret === 'set' ? true : data.clientSecret === 'clear' || leavingClient ? false : state.hasClientSecret;
  const next = checkSettings({
    url: data.url ?? current.url,
    transport: data.transport ?? current.transport,
    authKind,
    clientId: data.clientId !== undefined ? data.clientId : leavingClient ? null : current.clientId,
    grant: data.grant !== undefined ? data.grant : authKind !== current.authKind ? null : current.grant,
    scopes: data.scopes ?? current.scopes,
    authorizationScope: data.authorizationScope ?? current.authorizationScope,
    allowedHosts: data.allowedHosts ?? current.allowedHosts,
    hasClientSecret,
  });
  const changes: ConnectorFieldChange[] = [];
  for (const field of CONNECTOR_UPDATABLE_FIELDS) {
    if (field === 'clientSecret') {
      const from = state.hasClientSecret ? '(set)' : '(none)';
      const to = data.clientSecret === 'set' ? (state.hasClientSecret ? '(replaced)' : '(set)') : hasClientSecret ? '(set)' : '(none)';
      if (from !== to) changes.push({ field, from, to });
      continue;
    }
    const from = current[field];
    const to = next[field];
    if (JSON.stringify(from) !== JSON.stringify(to)) changes.push({ field, from, to });
  }
  if (changes.length === 0) return [];
  const authorizationsReset = changes.some((c) => RESETTING_FIELDS.has(c.field));
  return [{ type: 'ConnectorUpdated', data: { connectorId: state.connectorId, name: state.name, changes, authorizationsReset, updatedAt: now, updatedBy: by } }];
}

interface SettingsInput {
  url: unknown;
  transport: unknown;
  authKind: unknown;
  clientId: unknown;
  grant: unknown;
  scopes: readonly unknown[];
  authorizationScope: unknown;
  allowedHosts: readonly unknown[];
  hasClientSecret: boolean;
}

/** Every setting checked together: some rules tie fields to each other. */
export function checkSettings(input: SettingsInput): ConnectorSettings {
  const transport = oneOf('transport', input.transport, CONNECTOR_TRANSPORTS);
  const authKind: ConnectorAuthKind = oneOf('auth', input.authKind, CONNECTOR_AUTH_KINDS);
  const authorizationScope: AuthorizationScope = oneOf('authorization_scope', input.authorizationScope, AUTHORIZATION_SCOPES);
  const allowedHosts = checkAllowedHosts(input.allowedHosts);
  const url = checkUrl(input.url, allowedHosts);
  const scopes = checkScopes(input.scopes);

  let clientId: string | null = null;
  let grant: ConnectorGrant | null = null;
  if (authKind === 'oauth_client') {
    clientId = checkClientId(input.clientId);
    grant = input.grant === null ? 'authorization_code' : oneOf('grant', input.grant, CONNECTOR_GRANTS);
    if (grant === 'client_credentials' && !input.hasClientSecret)
      throw new ConnectorError('VALIDATION', 'the client_credentials grant needs the client secret the provider issued (--client-secret-stdin)', 'client_secret');
  } else {
    if (input.clientId !== null)
      throw new ConnectorError('VALIDATION', `a client id is only for --auth oauth_client (pre-registered credentials); with ${authKind} leave it out`, 'client_id');
    if (input.hasClientSecret)
      throw new ConnectorError('VALIDATION', `a client secret is only for --auth oauth_client (pre-registered credentials); with ${authKind} leave it out`, 'client_secret');
    if (input.grant !== null && !(authKind === 'oauth_dynamic' && input.grant === 'authorization_code'))
      throw new ConnectorError(
        'VALIDATION',
        authKind === 'none' ? 'a grant is only for OAuth connectors; with auth none leave it out' : 'oauth_dynamic always uses authorization_code (someone signs in at the provider); for client_credentials use --auth oauth_client with the provider’s client id and secret',
        'grant',
      );
    grant = authKind === 'oauth_dynamic' ? 'authorization_code' : null;
  }
  if (authKind === 'none' && scopes.length > 0) throw new ConnectorError('VALIDATION', 'scopes are only for OAuth connectors; with auth none leave them out', 'scopes');
  if (authKind === 'none' && authorizationScope === 'user')
    throw new ConnectorError('VALIDATION', 'a user-specific connector needs OAuth (each user authorises their own account); with auth none it can only be company-wide', 'authorization_scope');
  if (grant === 'client_credentials' && authorizationScope === 'user')
    throw new ConnectorError(
      'VALIDATION',
      'client_credentials gets a token for csmcp itself, never for a user: such a connector can only be company-wide (--authorization-scope company)',
      'authorization_scope',
    );
  return { url, transport, authKind, clientId, grant, scopes, authorizationScope, allowedHosts };
}

function checkName(value: unknown): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (!CONNECTOR_NAME.test(name))
    throw new ConnectorError(
      'VALIDATION',
      `name must be 1 to 63 lower-case letters, digits, - or _, starting with a letter or digit (e.g. zendesk or crm-eu); got ${JSON.stringify(value) ?? 'nothing'}`,
      'name',
    );
  return name;
}

/**
 * https, or http only for a host the admin allowed (a server inside the network). No credentials in the
 * URL (they would travel in clear in logs and events) and no fragment.
 */
function checkUrl(value: unknown, allowedHosts: readonly string[]): string {
  const what = 'url must be the MCP server’s absolute https URL, e.g. https://mcp.example.com/mcp';
  if (typeof value !== 'string' || value.trim() === '') throw new ConnectorError('VALIDATION', `${what}; got nothing`, 'url');
  const text = value.trim();
  if (text.length > URL_MAX_LENGTH) throw new ConnectorError('VALIDATION', `url has ${text.length} characters; at most ${URL_MAX_LENGTH} are allowed`, 'url');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConnectorError('VALIDATION', `${what}; ${JSON.stringify(text)} is not a URL`, 'url');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConnectorError('VALIDATION', `${what}; the ${url.protocol.replace(/:$/, '')} scheme is not allowed`, 'url');
  if (url.username || url.password) throw new ConnectorError('VALIDATION', 'url must not carry a user name or password (user:pass@host): csmcp authenticates with OAuth', 'url');
  if (url.hash || text.includes('#')) throw new ConnectorError('VALIDATION', 'url must not have a fragment (#...)', 'url');
  if (url.protocol === 'http:' && !hostAllowed(url, allowedHosts))
    throw new ConnectorError(
      'VALIDATION',
      `url uses plain http: only allowed for a host inside your network that an admin allowed (--allow-host ${url.host}); a server on the internet must use https`,
      'url',
    );
  return url.href;
}

/** Whether the URL's host (and port) is one of the allowed-host entries, as guardedFetch matches them. */
export function hostAllowed(url: URL, allowedHosts: readonly string[]): boolean {
  const hostname = url.hostname.replace(/\.$/, '');
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return allowedHosts.some((entry) => {
    const allowed = parseAllowedHost(entry);
    return allowed.hostname === hostname && (allowed.port === null || allowed.port === port);
  });
}

function checkAllowedHosts(values: readonly unknown[]): string[] {
  const hosts: string[] = [];
  for (const value of values) {
    let parsed: ReturnType<typeof parseAllowedHost>;
    try {
      if (typeof value !== 'string') throw new TypeError('not a string');
      parsed = parseAllowedHost(value);
    } catch {
      throw new ConnectorError(
        'VALIDATION',
        `allowed host ${JSON.stringify(value)} is not a host name or IP address with an optional port (e.g. mcp.internal, 10.0.0.5:8443 or [fd00::1]:443); no scheme, path or wildcard`,
        'allowed_hosts',
      );
    }
    const host = parsed.port === null ? parsed.hostname : `${parsed.hostname}:${parsed.port}`;
    if (!hosts.includes(host)) hosts.push(host);
  }
  return hosts;
}

function checkScopes(values: readonly unknown[]): string[] {
  const scopes: string[] = [];
  for (const value of values) {
    if (typeof value !== 'string' || !SCOPE_TOKEN.test(value))
      throw new ConnectorError('VALIDATION', `scope ${JSON.stringify(value)} is not an OAuth scope (printable characters without spaces, quotes or backslashes)`, 'scopes');
    if (!scopes.includes(value)) scopes.push(value);
  }
  if (scopes.length > MAX_SCOPES) throw new ConnectorError('VALIDATION', `${scopes.length} scopes given; at most ${MAX_SCOPES} are allowed`, 'scopes');
  return scopes;
}

function checkClientId(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new ConnectorError('VALIDATION', 'oauth_client needs the client id the provider issued when csmcp was registered in its portal (--client-id)', 'client_id');
  const id = value.trim();
  if (id.length > CLIENT_ID_MAX_LENGTH || !/^[\x21-\x7e]+$/.test(id))
    throw new ConnectorError('VALIDATION', `client id must be at most ${CLIENT_ID_MAX_LENGTH} printable characters without spaces`, 'client_id');
  return id;
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new ConnectorError('VALIDATION', `${field} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value) ?? 'nothing'}`, field);
}

function notFound(name: string): ConnectorError {
  return new ConnectorError('CONNECTOR_NOT_FOUND', `no connector is named ${name}; csmcp connectors list shows them`, 'name');
}
