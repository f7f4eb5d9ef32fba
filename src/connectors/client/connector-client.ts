import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SseError, SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, type CallToolResult, type Implementation, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { FetchRefusedError } from '../../net/guarded-fetch';
import { describeSubject, usesOAuth, type Connector, type GrantSubject } from '../registry/connector';
import { ConnectorError } from '../registry/connector-error';
import type { ConnectorRegistry } from '../registry/connector.service';
import { hintsOf, type AuthDescription, type AuthorizationHints, type ConnectorAuthorizations } from '../oauth/connector-authorizations';

/** The default time for one call: connecting (initialize) and the request together. */
export const DEFAULT_CONNECTOR_TIMEOUT_MS = 30_000;
/** How often one session may ask for a new authorization (a server that keeps refusing is not asked forever). */
const MAX_AUTHORIZATIONS_PER_SESSION = 3;

/** The csmcp user a call is made for (its grant, for a user-specific connector; the audit later). */
export interface ConnectorUser {
  readonly userId: string;
  readonly email: string;
}

export interface AuthorizationRequest {
  readonly connector: Connector;
  readonly subject: GrantSubject;
  /** unauthorized: a 401 (no token, or one refused); insufficient_scope: a 403 asking for more scope. */
  readonly reason: 'unauthorized' | 'insufficient_scope';
  readonly hints: AuthorizationHints;
}

export interface ConnectOptions {
  /** Time for connecting and, in callTool, the call (default 30 s). */
  readonly timeoutMs?: number;
  /**
   * Called when the server wants an authorization csmcp does not have; the request is retried after it
   * returns. Only for a client that can authorise on the spot (the headless conformance client).
   * Without it such a call fails with NOT_AUTHORIZED, NEEDS_REAUTHORIZATION or INSUFFICIENT_SCOPE.
   */
  readonly onAuthorizationRequired?: (request: AuthorizationRequest) => Promise<void>;
  /** Use the organisation's authorization even on a user-specific connector (an admin's test). */
  readonly organisation?: boolean;
}

export interface ConnectorSession {
  readonly client: Client;
  readonly connector: Connector;
  readonly subject: GrantSubject;
  /** The transport in use, and whether auto fell back from Streamable HTTP to legacy SSE. */
  readonly transport: 'streamable_http' | 'sse';
  readonly fellBack: boolean;
  readonly protocolVersion: string | null;
  /** Whether the access token was refreshed (or fetched again) during this session. */
  readonly refreshed: boolean;
  close(): Promise<void>;
}

export interface ConnectorTestReport {
  readonly connector: string;
  readonly url: string;
  readonly transport: { readonly configured: Connector['transport']; readonly used: 'streamable_http' | 'sse'; readonly fellBack: boolean };
  readonly server: Implementation | null;
  readonly protocolVersion: string | null;
  readonly tools: ReadonlyArray<Pick<Tool, 'name' | 'title' | 'description'> & { readonly readOnly: boolean | null }>;
  readonly auth: AuthDescription & { readonly refreshedDuringTest: boolean };
}

/**
 * csmcp as an MCP client of the external servers admins register: the SDK's Client over its Streamable
 * HTTP or legacy SSE transport, every request through the connector's guarded fetch, with the access
 * token of the organisation or of the user added and refreshed by ConnectorAuthorizations. Brief
 * sources call `callTool(connector, user, tool, args, { timeoutMs })`.
 */
export class ConnectorClient {
  constructor(
    private readonly registry: ConnectorRegistry,
    private readonly authorizations: ConnectorAuthorizations,
    private readonly fetchFor: (connector: Connector) => FetchLike,
    private readonly clientInfo: Implementation,
  ) {}

  /** Whose grant a call uses: the organisation's, or the user's for a user-specific connector. */
  subjectFor(connector: Connector, user: ConnectorUser | null, organisation = false): GrantSubject {
    if (connector.authorizationScope === 'company' || organisation) return { kind: 'company' };
    if (!user)
      throw new ConnectorError('VALIDATION', `connector ${connector.name} is user-specific: a call needs the csmcp user whose authorization it uses`, 'user');
    return { kind: 'user', userId: user.userId, email: user.email };
  }

  /** Connects (initialize), trying Streamable HTTP then, for auto, legacy SSE on a 4xx. Close the session when done. */
  async connect(connectorOrName: Connector | string, user: ConnectorUser | null, options: ConnectOptions = {}): Promise<ConnectorSession> {
    const connector = typeof connectorOrName === 'string' ? await this.registry.require(connectorOrName) : connectorOrName;
    const subject = this.subjectFor(connector, user, options.organisation);
    const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECTOR_TIMEOUT_MS;
    const grant = new GrantSession(this.authorizations, connector, subject, options.onAuthorizationRequired);
    const fetchFn = grant.wrap(this.fetchFor(connector));

    const attempt = async (kind: 'streamable_http' | 'sse'): Promise<{ client: Client; transport: Transport; protocolVersion: () => string | null }> => {
      const client = new Client(this.clientInfo, { capabilities: {} });
      const url = new URL(connector.url);
      const transport: Transport = kind === 'sse' ? new SSEClientTransport(url, { fetch: fetchFn }) : new StreamableHTTPClientTransport(url, { fetch: fetchFn });
      let negotiated: string | null = null;
      const setVersion = transport.setProtocolVersion?.bind(transport);
      transport.setProtocolVersion = (version: string) => {
        negotiated = version;
        setVersion?.(version);
      };
      try {
        await withDeadline(client.connect(transport, { timeout: timeoutMs }), timeoutMs, () =>
          new ConnectorError('TIMEOUT', `connector ${connector.name} did not finish connecting (${kindLabel(kind)}) within ${timeoutMs} ms`),
        );
        return { client, transport, protocolVersion: () => negotiated };
      } catch (error) {
        await client.close().catch(() => undefined);
        throw error;
      }
    };

    let used: 'streamable_http' | 'sse' = connector.transport === 'sse' ? 'sse' : 'streamable_http';
    let opened: { client: Client; transport: Transport; protocolVersion: () => string | null };
    try {
      try {
        opened = await attempt(used);
      } catch (error) {
        // MCP spec, backwards compatibility: a 4xx to the POST means an older server; open its SSE stream instead.
        if (connector.transport !== 'auto' || !(error instanceof StreamableHTTPError) || !isFallbackStatus(error.code)) throw error;
        used = 'sse';
        opened = await attempt(used);
      }
    } catch (error) {
      throw callError(connector, subject, error, grant.lastError);
    }
    const { client, transport, protocolVersion } = opened;
    return {
      client,
      connector,
      subject,
      transport: used,
      fellBack: used === 'sse' && connector.transport === 'auto',
      protocolVersion: protocolVersion(),
      get refreshed() {
        return grant.refreshed;
      },
      close: async () => {
        // Each call is a session of its own: end it at the server too (MCP spec: clients SHOULD send DELETE).
        if (transport instanceof StreamableHTTPClientTransport && transport.sessionId) await transport.terminateSession().catch(() => undefined);
        await client.close().catch(() => undefined);
      },
    };
  }

  /**
   * Calls one tool of the connector on behalf of `user` and returns its result as the server gave it
   * (a tool's own failure is a result with isError). Connecting and the call share `timeoutMs`.
   */
  async callTool(
    connectorOrName: Connector | string,
    user: ConnectorUser | null,
    tool: string,
    args: Record<string, unknown>,
    options: ConnectOptions = {},
  ): Promise<CallToolResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECTOR_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const session = await this.connect(connectorOrName, user, { ...options, timeoutMs });
    try {
      const remaining = Math.max(1, deadline - Date.now());
      return (await session.client.callTool({ name: tool, arguments: args }, undefined, { timeout: remaining })) as CallToolResult;
    } catch (error) {
      throw callError(session.connector, session.subject, error, null);
    } finally {
      await session.close();
    }
  }

  /** Every tool the server lists (all pages, at most 1000). */
  async listTools(session: ConnectorSession, timeoutMs = DEFAULT_CONNECTOR_TIMEOUT_MS): Promise<Tool[]> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    try {
      do {
        const page = await session.client.listTools(cursor ? { cursor } : undefined, { timeout: timeoutMs });
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor && tools.length < 1000);
    } catch (error) {
      throw callError(session.connector, session.subject, error, null);
    }
    return tools;
  }

  /** `connectors test`: connects, lists the tools and says how it authenticated. */
  async test(connectorOrName: Connector | string, user: ConnectorUser | null, options: ConnectOptions = {}): Promise<ConnectorTestReport> {
    const session = await this.connect(connectorOrName, user, options);
    try {
      const tools = await this.listTools(session, options.timeoutMs);
      const auth = await this.authorizations.describe(session.connector, session.subject);
      return {
        connector: session.connector.name,
        url: session.connector.url,
        transport: { configured: session.connector.transport, used: session.transport, fellBack: session.fellBack },
        server: session.client.getServerVersion() ?? null,
        protocolVersion: session.protocolVersion,
        tools: tools.map((t) => ({ name: t.name, title: t.title, description: t.description, readOnly: t.annotations?.readOnlyHint ?? null })),
        auth: { ...auth, refreshedDuringTest: session.refreshed },
      };
    } finally {
      await session.close();
    }
  }
}

/**
 * The access token on every request to the MCP server, and what to do when the server refuses it:
 * a 401 once refreshes the grant (one process at a time); a 401 after that, or without a grant, and a
 * 403 insufficient_scope, fail the call saying how to authorise, unless the caller can authorise on
 * the spot (onAuthorizationRequired), at most three times per session and never twice for the same
 * scope challenge.
 */
class GrantSession {
  refreshed = false;
  /** The last authorization failure, kept because the SSE transport reports errors as text only. */
  lastError: ConnectorError | null = null;
  private authorizationsAsked = 0;
  private lastScopeChallenge: string | null = null;
  private sentVersion = 0;
  private sentToken = false;

  constructor(
    private readonly authorizations: ConnectorAuthorizations,
    private readonly connector: Connector,
    private readonly subject: GrantSubject,
    private readonly onAuthorizationRequired: ConnectOptions['onAuthorizationRequired'],
  ) {}

  wrap(base: FetchLike): FetchLike {
    if (!usesOAuth(this.connector)) return base;
    return async (input, init) => {
      try {
        const send = async () => {
          const headers = new Headers(init?.headers);
          const token = await this.token();
          if (token) headers.set('authorization', `Bearer ${token}`);
          return base(input, { ...init, headers });
        };
        let res = await send();
        while (res.status === 401 || isInsufficientScope(res)) {
          await res.body?.cancel().catch(() => undefined);
          if (res.status === 401) await this.onUnauthorized(res);
          else await this.onInsufficientScope(res);
          res = await send();
        }
        return res;
      } catch (error) {
        if (error instanceof ConnectorError) this.lastError = error;
        throw error;
      }
    };
  }

  private async token(): Promise<string | null> {
    this.sentVersion = await this.authorizations.grantVersion(this.connector, this.subject);
    this.sentToken = false;
    try {
      const { token, refreshed } = await this.authorizations.accessToken(this.connector, this.subject);
      if (refreshed) this.refreshed = true;
      this.sentToken = token !== null;
      return token;
    } catch (error) {
      // Someone who can authorise on the spot lets the server say what it wants first.
      const missing = error instanceof ConnectorError && (error.code === 'NOT_AUTHORIZED' || error.code === 'NEEDS_REAUTHORIZATION');
      if (missing && this.onAuthorizationRequired) return null;
      throw error;
    }
  }

  /** Returns when the request may be sent again; throws when it may not. */
  private async onUnauthorized(res: Response): Promise<void> {
    const hints = hintsOf(res);
    if (this.sentToken && !this.refreshed) {
      this.refreshed = true;
      try {
        await this.authorizations.refresh(this.connector, this.subject, this.sentVersion, hints);
        return;
      } catch (error) {
        if (!this.onAuthorizationRequired || !(error instanceof ConnectorError) || error.category !== 'AUTHORIZATION') throw error;
      }
    }
    if (this.onAuthorizationRequired && this.authorizationsAsked < MAX_AUTHORIZATIONS_PER_SESSION) {
      this.authorizationsAsked++;
      await this.onAuthorizationRequired({ connector: this.connector, subject: this.subject, reason: 'unauthorized', hints });
      return;
    }
    const how = `csmcp connectors authorize ${this.connector.name}${this.subject.kind === 'user' ? ` --user ${this.subject.email}` : ''}`;
    const problem = 'the server refused the access token even after a refresh (401): the grant was probably revoked';
    await this.authorizations.markNeedsReauthorization(this.connector, this.subject, problem);
    throw new ConnectorError('NEEDS_REAUTHORIZATION', `connector ${this.connector.name} needs re-authorisation for ${describeSubject(this.subject)}: ${problem}; authorise it again with ${how}`);
  }

  private async onInsufficientScope(res: Response): Promise<void> {
    const hints = hintsOf(res);
    const challenge = res.headers.get('www-authenticate');
    if (this.onAuthorizationRequired && challenge !== this.lastScopeChallenge && this.authorizationsAsked < MAX_AUTHORIZATIONS_PER_SESSION) {
      this.lastScopeChallenge = challenge;
      this.authorizationsAsked++;
      await this.onAuthorizationRequired({ connector: this.connector, subject: this.subject, reason: 'insufficient_scope', hints });
      return;
    }
    // Without a way to authorise here, or the same challenge again after authorising for it: stop.
    const scope = hints.scope ? `"${hints.scope}"` : 'more scope';
    throw new ConnectorError(
      'INSUFFICIENT_SCOPE',
      `connector ${this.connector.name} asks for ${scope} for this request, which the authorization of ${describeSubject(this.subject)} lacks (403 insufficient_scope); ` +
        `add it (csmcp connectors update ${this.connector.name} --scopes ...) and authorise again (csmcp connectors authorize ${this.connector.name})`,
    );
  }
}

function isInsufficientScope(res: Response): boolean {
  return res.status === 403 && /error="?insufficient_scope/.test(res.headers.get('www-authenticate') ?? '');
}

function isFallbackStatus(code: number | undefined): boolean {
  return code !== undefined && code >= 400 && code < 500 && code !== 401 && code !== 403;
}

function kindLabel(kind: 'streamable_http' | 'sse'): string {
  return kind === 'sse' ? 'legacy SSE' : 'Streamable HTTP';
}

/** What went wrong, as a ConnectorError a person can act on. */
function callError(connector: Connector, subject: GrantSubject, error: unknown, authError: ConnectorError | null): ConnectorError {
  if (error instanceof ConnectorError) return error;
  if (authError) return authError;
  if (error instanceof FetchRefusedError) return new ConnectorError('FETCH_REFUSED', `connector ${connector.name}: ${error.message}`, undefined, { cause: error });
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof FetchRefusedError) return new ConnectorError('FETCH_REFUSED', `connector ${connector.name}: ${cause.message}`, undefined, { cause });
  if (error instanceof McpError && error.code === ErrorCode.RequestTimeout)
    return new ConnectorError('TIMEOUT', `connector ${connector.name} did not answer in time (${error.message})`, undefined, { cause: error });
  if (error instanceof StreamableHTTPError && error.code === 401)
    return new ConnectorError(
      'NOT_AUTHORIZED',
      `connector ${connector.name} asks for authorization (401), but it is registered with auth ${connector.authKind}: ` +
        `switch it to OAuth (csmcp connectors update ${connector.name} --auth oauth_dynamic) and authorise it`,
      undefined,
      { cause: error },
    );
  if (error instanceof StreamableHTTPError || error instanceof SseError)
    return new ConnectorError('CONNECTION_FAILED', `connector ${connector.name} (${connector.url}) for ${describeSubject(subject)}: ${error.message}`, undefined, { cause: error });
  if (error instanceof McpError) return new ConnectorError('PROTOCOL_ERROR', `connector ${connector.name}: ${error.message}`, undefined, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new ConnectorError('CONNECTION_FAILED', `connector ${connector.name} (${connector.url}): ${message}`, undefined, { cause: error });
}

async function withDeadline<T>(promise: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(timeout()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
