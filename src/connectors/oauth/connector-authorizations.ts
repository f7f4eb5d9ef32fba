import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { auth, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { OAuthError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthClientInformationMixed } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { AdminContext } from '../../customer-success/companies/commands/admin-context';
import { FetchRefusedError } from '../../net/guarded-fetch';
import { describeSubject, subjectKey, usesOAuth, type Connector, type GrantSubject } from '../registry/connector';
import { ConnectorError } from '../registry/connector-error';
import type { ConnectorRegistry } from '../registry/connector.service';
import type { ConnectorStateStore, GrantRecord } from '../state/connector-state.store';
import { ConnectorOAuthProvider, PENDING_AUTHORIZATION_MS, type OAuthClientIdentity, type ProviderMode } from './connector-oauth-provider';

/** A token this close to its expiry is refreshed before it is used. */
export const REFRESH_BEFORE_EXPIRY_MS = 60_000;
/** How long one process may hold a grant's refresh lease (longer than any refresh takes). */
export const REFRESH_LEASE_MS = 30_000;
/** How long a process waits for another's refresh before giving up. */
const REFRESH_WAIT_MS = 40_000;
const REFRESH_POLL_MS = 100;

/** What a 401 or 403 said about how to authorise (WWW-Authenticate, RFC 9728 / RFC 6750). */
export interface AuthorizationHints {
  readonly scope?: string;
  readonly resourceMetadataUrl?: string;
}

export type BeginResult =
  | { readonly kind: 'redirect'; readonly connector: Connector; readonly subject: GrantSubject; readonly url: string; readonly expiresAt: string }
  | { readonly kind: 'authorized'; readonly connector: Connector; readonly subject: GrantSubject };

export interface CallbackParams {
  readonly state?: string;
  readonly code?: string;
  readonly error?: string;
  readonly errorDescription?: string;
}

/** How a connector authenticates, for `connectors test` and `show`. Never a secret or a token. */
export interface AuthDescription {
  readonly kind: Connector['authKind'];
  readonly grant: Connector['grant'];
  readonly subject: string;
  /** How csmcp is known to the authorization server. */
  readonly client: string | null;
  readonly status: GrantRecord['status'] | 'not_authorized' | 'not_needed';
  readonly problem: string | null;
  readonly authorizedAt: string | null;
  readonly refreshedAt: string | null;
  readonly expiresAt: string | null;
  readonly scope: string | null;
}

/**
 * Authorizations of connectors: starting one (the URL an admin or user opens), finishing it (the
 * callback), and the tokens calls use, refreshed before they expire by one process at a time (the
 * grant's lease in the state database). Every protocol step is the MCP SDK's `auth()` with
 * ConnectorOAuthProvider; every URL is fetched through the connector's guarded fetch.
 */
export class ConnectorAuthorizations {
  private readonly inflight = new Map<string, Promise<void>>();
  now: () => number = Date.now;

  constructor(
    private readonly registry: ConnectorRegistry,
    private readonly state: ConnectorStateStore,
    readonly identity: OAuthClientIdentity,
    private readonly fetchFor: (connector: Connector) => FetchLike,
  ) {}

  /**
   * Starts an authorization for the organisation (an admin) or a user: the URL to open, valid 10
   * minutes; with client credentials the token at once. `hints` are what the server's 401 said; without
   * them csmcp asks the server first.
   */
  async begin(name: string, subject: GrantSubject, context: AdminContext, hints?: AuthorizationHints): Promise<BeginResult> {
    const connector = await this.registry.authorizable(name, subject);
    await this.state.sweepPending(); // authorizations nobody finished in time
    const fetchFn = this.fetchFor(connector);
    const found = hints ?? (connector.grant === 'client_credentials' ? {} : await this.probe(connector, fetchFn));
    const scope = scopeOf(connector, found);
    const mode: ProviderMode = { kind: 'begin', startedBy: actorJson(context), scope: scope ?? null, resourceMetadataUrl: found.resourceMetadataUrl ?? null };
    const provider = await this.provider(connector, subject, mode);
    const result = await sdk(connector, () =>
      auth(provider, { serverUrl: connector.url, scope, resourceMetadataUrl: found.resourceMetadataUrl ? new URL(found.resourceMetadataUrl) : undefined, fetchFn }),
    );
    if (result === 'AUTHORIZED') {
      await this.registry.recordAuthorization(connector.name, connector.id, subject, context);
      return { kind: 'authorized', connector, subject };
    }
    if (!provider.authorizationUrl) throw new ConnectorError('AUTHORIZATION_FAILED', `the authorization server of connector ${connector.name} gave no authorization URL`);
    return { kind: 'redirect', connector, subject, url: provider.authorizationUrl.href, expiresAt: new Date(this.now() + PENDING_AUTHORIZATION_MS).toISOString() };
  }

  /** The callback: exchanges the code for tokens (stored encrypted) and records who authorised what. */
  async finish(params: CallbackParams): Promise<{ connector: Connector; subject: GrantSubject }> {
    if (!params.state) throw new ConnectorError('AUTHORIZATION_FAILED', 'the callback carries no state: open the URL csmcp connectors authorize printed, not the callback itself');
    const pending = await this.state.takePending(params.state);
    if (!pending)
      throw new ConnectorError(
        'AUTHORIZATION_FAILED',
        `this authorization is unknown, was finished already or took longer than ${PENDING_AUTHORIZATION_MS / 60_000} minutes: start again with csmcp connectors authorize`,
      );
    const subject: GrantSubject = pending.userId ? { kind: 'user', userId: pending.userId, email: pending.userEmail ?? pending.userId } : { kind: 'company' };
    const how = `csmcp connectors authorize ${pending.connectorName}${subject.kind === 'user' ? ` --user ${subject.email}` : ''}`;
    if (params.error) {
      // The server's free text, shortened and on one line: it ends up in a page and in logs.
      const description = params.errorDescription ? `: ${params.errorDescription.replace(/[^\x20-\x7e]/g, ' ').slice(0, 200)}` : '';
      throw new ConnectorError(
        'AUTHORIZATION_FAILED',
        `the authorization server refused the authorization of connector ${pending.connectorName} for ${describeSubject(subject)} (${params.error}${description}); start again with ${how}`,
      );
    }
    if (!params.code) throw new ConnectorError('AUTHORIZATION_FAILED', `the callback carries neither a code nor an error; start again with ${how}`);
    const connector = await this.registry.authorizable(pending.connectorName, subject);
    if (connector.id !== pending.connectorId)
      throw new ConnectorError('AUTHORIZATION_FAILED', `connector ${pending.connectorName} was removed and added again since this authorization started; start again with ${how}`);
    const provider = await this.provider(connector, subject, { kind: 'finish', pending });
    await sdk(connector, () =>
      auth(provider, {
        serverUrl: connector.url,
        authorizationCode: params.code,
        scope: pending.scope ?? undefined,
        resourceMetadataUrl: pending.resourceMetadataUrl ? new URL(pending.resourceMetadataUrl) : undefined,
        fetchFn: this.fetchFor(connector),
      }),
    );
    await this.registry.recordAuthorization(connector.name, connector.id, subject, contextOf(pending.startedBy));
    return { connector, subject };
  }

  /**
   * The access token a call on this subject's behalf sends (null: the connector needs none), refreshed
   * first when it expires within a minute (`refreshed` says so). A grant that no longer works is a
   * ConnectorError saying how to authorise again, never an exception of the SDK.
   */
  async accessToken(connector: Connector, subject: GrantSubject): Promise<{ token: string | null; refreshed: boolean }> {
    if (!usesOAuth(connector)) return { token: null, refreshed: false };
    let grant = await this.state.grant(connector.id, subjectKey(subject));
    let refreshed = false;
    const expiring = (g: GrantRecord | null) => g?.expiresAt != null && g.expiresAt - this.now() < REFRESH_BEFORE_EXPIRY_MS;
    if (connector.grant === 'client_credentials') {
      if (!grant?.tokens || expiring(grant)) {
        await this.refresh(connector, subject, grant?.version ?? 0);
        grant = await this.state.grant(connector.id, subjectKey(subject));
        refreshed = true;
      }
    } else {
      this.checkUsable(connector, subject, grant);
      if (expiring(grant) && typeof grant!.tokens!.refresh_token === 'string') {
        await this.refresh(connector, subject, grant!.version);
        grant = await this.state.grant(connector.id, subjectKey(subject));
        refreshed = true;
      }
    }
    this.checkUsable(connector, subject, grant);
    return { token: String(grant!.tokens!.access_token), refreshed };
  }

  /** The grant's version now (what a refresh must move past). */
  async grantVersion(connector: Connector, subject: GrantSubject): Promise<number> {
    return (await this.state.grant(connector.id, subjectKey(subject)))?.version ?? 0;
  }

  /**
   * Refreshes the subject's tokens (or fetches new ones with client credentials), one process at a
   * time: the one holding the grant's lease refreshes, the others wait until the grant's version moves
   * past `seenVersion` and use what it stored. Marks the grant "needs re-authorisation" when the
   * authorization server refuses.
   */
  refresh(connector: Connector, subject: GrantSubject, seenVersion: number, hints: AuthorizationHints = {}): Promise<void> {
    const key = `${connector.id}|${subjectKey(subject)}`;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.refreshUnderLease(connector, subject, seenVersion, hints).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /** How the connector authenticates for this subject (never a secret or token). */
  async describe(connector: Connector, subject: GrantSubject): Promise<AuthDescription> {
    const base = { kind: connector.authKind, grant: connector.grant, subject: describeSubject(subject) };
    if (!usesOAuth(connector))
      return { ...base, client: null, status: 'not_needed', problem: null, authorizedAt: null, refreshedAt: null, expiresAt: null, scope: null };
    const grant = await this.state.grant(connector.id, subjectKey(subject));
    let client: string;
    if (connector.authKind === 'oauth_client') {
      client = `pre-registered client ${connector.clientId} (${connector.hasClientSecret ? 'with' : 'without'} a client secret)`;
    } else {
      const info = await this.state.secret<OAuthClientInformationMixed & { token_endpoint_auth_method?: string }>(connector.id, 'client_information');
      client = !info
        ? 'not registered yet'
        : /^https:\/\//.test(info.client_id)
          ? `client ID metadata document ${info.client_id}`
          : `dynamic client registration: client ${info.client_id}, token endpoint auth method ${info.token_endpoint_auth_method ?? (info.client_secret ? 'client_secret_basic' : 'none')}`;
    }
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      ...base,
      client,
      status: grant && grant.status !== 'pending' ? grant.status : 'not_authorized',
      problem: grant?.problem ?? null,
      authorizedAt: iso(grant?.authorizedAt ?? null),
      refreshedAt: iso(grant?.refreshedAt ?? null),
      expiresAt: iso(grant?.expiresAt ?? null),
      scope: typeof grant?.tokens?.scope === 'string' ? grant.tokens.scope : null,
    };
  }

  /** A grant the server no longer accepts: its tokens go, and `show` tells the admin or user to authorise again. */
  async markNeedsReauthorization(connector: Connector, subject: GrantSubject, problem: string): Promise<void> {
    await this.state.markNeedsReauthorization(connector.id, subjectKey(subject), problem);
  }

  /** Every grant kept for the connector (the organisation's and each user's), without tokens. */
  grants(connector: Connector): ReturnType<ConnectorStateStore['grants']> {
    return this.state.grants(connector.id);
  }

  private checkUsable(connector: Connector, subject: GrantSubject, grant: GrantRecord | null): asserts grant is GrantRecord & { tokens: Record<string, unknown> } {
    const how = `csmcp connectors authorize ${connector.name}${subject.kind === 'user' ? ` --user ${subject.email}` : ''}`;
    if (grant?.status === 'needs_reauthorization')
      throw new ConnectorError('NEEDS_REAUTHORIZATION', `connector ${connector.name} needs re-authorisation for ${describeSubject(subject)}: ${grant.problem}; authorise it again with ${how}`);
    if (!grant?.tokens || typeof grant.tokens.access_token !== 'string') {
      const first = subject.kind === 'user' && connector.companyAuthorizedAt === null ? ' (an admin authorises it for the organisation first)' : '';
      throw new ConnectorError('NOT_AUTHORIZED', `connector ${connector.name} is not authorised for ${describeSubject(subject)} yet${first}; authorise it with ${how}`);
    }
  }

  private async refreshUnderLease(connector: Connector, subject: GrantSubject, seenVersion: number, hints: AuthorizationHints): Promise<void> {
    const key = subjectKey(subject);
    const owner = randomUUID();
    await this.state.ensureGrant(connector.id, key, subject.kind === 'user' ? { userId: subject.userId, email: subject.email } : null);
    const giveUpAt = this.now() + REFRESH_WAIT_MS;
    while (!(await this.state.acquireLease(connector.id, key, owner, REFRESH_LEASE_MS))) {
      // Another process is refreshing this grant: its result is ours as soon as the version moves.
      await sleep(REFRESH_POLL_MS);
      const grant = await this.state.grant(connector.id, key);
      if (grant && grant.version !== seenVersion) return;
      if (this.now() > giveUpAt) throw new ConnectorError('TIMEOUT', `gave up waiting for another process to refresh the token of connector ${connector.name} for ${describeSubject(subject)}`);
    }
    try {
      const grant = await this.state.grant(connector.id, key);
      if (grant && grant.version !== seenVersion) return; // refreshed just before the lease was ours
      const provider = await this.provider(connector, subject, { kind: 'background', leaseOwner: owner, grant });
      try {
        await sdk(connector, () =>
          auth(provider, {
            serverUrl: connector.url,
            scope: scopeOf(connector, hints),
            resourceMetadataUrl: hints.resourceMetadataUrl ? new URL(hints.resourceMetadataUrl) : undefined,
            fetchFn: this.fetchFor(connector),
          }),
        );
      } catch (error) {
        const refused = error instanceof ConnectorError && error.code === 'AUTHORIZATION_FAILED' && error.cause instanceof OAuthError && !(error.cause instanceof ServerError);
        if (!refused) throw error;
        const cause = error.cause as OAuthError;
        const problem = `the authorization server refused to ${connector.grant === 'client_credentials' ? 'issue a token' : 'refresh the token'} (${cause.errorCode}${cause.message ? `: ${cause.message}` : ''})`;
        await this.state.markNeedsReauthorization(connector.id, key, problem);
        throw new ConnectorError(
          'NEEDS_REAUTHORIZATION',
          `connector ${connector.name} needs re-authorisation for ${describeSubject(subject)}: ${problem}; ${connector.grant === 'client_credentials' ? `check its client credentials (csmcp connectors update ${connector.name})` : `authorise it again with csmcp connectors authorize ${connector.name}${subject.kind === 'user' ? ` --user ${subject.email}` : ''}`}`,
        );
      }
    } finally {
      await this.state.releaseLease(connector.id, key, owner);
    }
  }

  private async provider(connector: Connector, subject: GrantSubject, mode: ProviderMode): Promise<ConnectorOAuthProvider> {
    return new ConnectorOAuthProvider({
      connector,
      subject,
      state: this.state,
      identity: this.identity,
      mode,
      clientSecret: await this.registry.clientSecret(connector),
      now: () => this.now(),
    });
  }

  /** What the server's 401 says about authorising: its WWW-Authenticate scope and protected resource metadata URL. */
  private async probe(connector: Connector, fetchFn: FetchLike): Promise<AuthorizationHints> {
    const ask = async (init: RequestInit): Promise<Response> => {
      const res = await sdk(connector, () => fetchFn(connector.url, { ...init, redirect: 'manual' }));
      await res.body?.cancel().catch(() => undefined);
      return res;
    };
    if (connector.transport !== 'sse') {
      const res = await ask({
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'csmcp', version: '1' } } }),
      });
      if (res.status === 401 || connector.transport === 'streamable_http' || res.status < 400) return hintsOf(res);
    }
    return hintsOf(await ask({ method: 'GET', headers: { accept: 'text/event-stream' } }));
  }
}

/** The scope to ask for: the admin's, else what the server asked for (the SDK falls back to its scopes_supported). */
function scopeOf(connector: Connector, hints: AuthorizationHints): string | undefined {
  return connector.scopes.length > 0 ? connector.scopes.join(' ') : hints.scope;
}

export function hintsOf(res: Response): AuthorizationHints {
  if (res.status !== 401 && res.status !== 403) return {};
  const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(res);
  return { ...(scope ? { scope } : {}), ...(resourceMetadataUrl ? { resourceMetadataUrl: resourceMetadataUrl.href } : {}) };
}

/** Runs an SDK step, turning what it throws into a ConnectorError that says what failed. */
async function sdk<T>(connector: Connector, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw asConnectorError(connector, error);
  }
}

export function asConnectorError(connector: Pick<Connector, 'name'>, error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  if (error instanceof FetchRefusedError) return new ConnectorError('FETCH_REFUSED', `connector ${connector.name}: ${error.message}`, undefined, { cause: error });
  if (error instanceof OAuthError)
    return new ConnectorError(
      'AUTHORIZATION_FAILED',
      `connector ${connector.name}: the authorization server answered ${error.errorCode}${error.message ? `: ${error.message}` : ''}`,
      undefined,
      { cause: error },
    );
  const message = error instanceof Error ? error.message : String(error);
  return new ConnectorError('AUTHORIZATION_FAILED', `connector ${connector.name}: ${message}`, undefined, { cause: error });
}

function actorJson(context: AdminContext): Record<string, unknown> {
  return { ...context.actor };
}

function contextOf(startedBy: Record<string, unknown>): AdminContext {
  const actor =
    startedBy.type === 'user'
      ? { type: 'user' as const, id: String(startedBy.id), email: String(startedBy.email) }
      : { type: 'system' as const, id: String(startedBy.id ?? 'csmcp-cli'), ...(typeof startedBy.name === 'string' ? { name: startedBy.name } : {}) };
  return { actor, toolName: 'connectors authorize' };
}
