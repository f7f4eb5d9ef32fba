import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { isInitializeRequest, JSONRPCMessageSchema, LATEST_PROTOCOL_VERSION, type JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Position } from '@csmcp/event-store';
import { sessionOwnerOf, type Principal } from '../../auth/principal';
import { createMcpServer, type McpServerDeps, type McpSessionContext } from '../server/mcp-server.factory';
import { StatelessServers, type JsonRpcAnswer } from '../server/stateless-servers';
import type { McpStateStore } from '../state/mcp-state.store';
import { PROTOCOL_VERSIONS, readJsonBody, sendJsonRpcError } from './request-guards';
import type { StreamLimits } from './stream-limits';

/** A session this process holds in memory; the shared state store has the rest. */
interface LiveSession {
  readonly id: string;
  /** sessionOwnerOf: the user, or `client:<id>` for a machine client. */
  readonly owner: string;
  readonly server: Server;
  readonly transport: WebStandardStreamableHTTPServerTransport;
  lastWrite: Position | undefined;
  lastUsed: number;
  /** JSON-RPC ids of this process's requests of the session still being answered. */
  readonly inFlight: Set<string>;
}

export interface AuthenticatedRequest extends IncomingMessage {
  auth?: AuthInfo;
  rawBody?: Buffer;
}

/** A session idle this long leaves memory (it stays restorable from the state store). */
const IDLE_EVICT_MS = 10 * 60_000;

/**
 * Streamable HTTP (MCP 2025-03-26 and later). `initialize` opens a session bound to the user (or
 * machine client) who sent it; any other POST without Mcp-Session-Id is served statelessly. Sessions live in the shared state
 * store, so an instance that has never seen one restores it (replaying its initialize) and serves it:
 * no sticky routing needed. Session responses stream as SSE with event ids kept in the store, so a
 * client that lost a stream resumes with Last-Event-ID.
 */
export class StreamableHttpEndpoint {
  private readonly sessions = new Map<string, LiveSession>();
  private readonly restoring = new Map<string, Promise<LiveSession | null>>();
  private readonly evictTimer: NodeJS.Timeout;
  private readonly statelessServers: StatelessServers;

  constructor(
    private readonly deps: McpServerDeps,
    private readonly state: McpStateStore,
    private readonly limits: { readonly sessionsPerUser: number; readonly streams: StreamLimits },
  ) {
    this.statelessServers = new StatelessServers(deps);
    this.evictTimer = setInterval(() => this.evictIdle(), 60_000);
    this.evictTimer.unref();
  }

  async handle(req: AuthenticatedRequest, res: ServerResponse, principal: Principal): Promise<void> {
    let parsedBody: unknown;
    if (req.method === 'POST') {
      const body = await readJsonBody(req);
      if (!body.ok) return sendJsonRpcError(res, body.status, body.code, body.message);
      parsedBody = negotiateVersion(body.body);
      // The body stream is spent: the node adapter builds the web Request from rawBody (re-serialised
      // only when negotiation rewrote an initialize).
      req.rawBody = parsedBody === body.body ? body.raw : Buffer.from(JSON.stringify(parsedBody));
    }
    const sessionId = header(req, 'mcp-session-id');
    if (sessionId === undefined) {
      if (req.method === 'POST' && isInitializeRequest(parsedBody)) return this.openSession(req, res, principal, parsedBody);
      if (batchNotAllowed(parsedBody, header(req, 'mcp-protocol-version'))) return refuseBatch(res);
      if (req.method === 'POST') return this.stateless(req, res, parsedBody);
      res.setHeader('Allow', 'POST');
      return sendJsonRpcError(res, 405, -32000, `${req.method} needs a session: send Mcp-Session-Id from the initialize response`);
    }
    if (req.method === 'POST' && isInitializeRequest(parsedBody))
      return sendJsonRpcError(res, 400, -32600, 'Invalid Request: initialize opens a new session; send it without Mcp-Session-Id');

    const record = await this.state.findSession(sessionId);
    if (!record || record.closed) {
      this.drop(sessionId);
      return sendJsonRpcError(res, 404, -32001, 'Session not found: it ended or expired; send initialize to open a new one');
    }
    if (record.userId !== sessionOwnerOf(principal))
      return sendJsonRpcError(res, 403, -32000, 'Forbidden: this session was opened by another user or client; open your own with initialize');
    if (batchNotAllowed(parsedBody, header(req, 'mcp-protocol-version') ?? record.protocolVersion)) return refuseBatch(res);
    const live = this.sessions.get(sessionId) ?? (await this.restore(sessionId, record.initializeParams, req.auth!));
    if (!live) return sendJsonRpcError(res, 404, -32001, 'Session not found: send initialize to open a new one');
    live.lastUsed = Date.now();
    if (record.lastWrite && (!live.lastWrite || isAfter(record.lastWrite, live.lastWrite))) live.lastWrite = record.lastWrite;
    // A GET is a stream the client holds open as long as it likes (or a resumed one): counted per owner.
    if (req.method === 'GET' && !this.limits.streams.admit(record.userId, res)) return this.limits.streams.refuse(res);
    // The SDK maps a response to its stream by request id: a second request under an id still in flight
    // would take over the first one's stream and leave it open for good (found by the MCP fuzz soak).
    const ids = requestIds(parsedBody);
    const reused = ids.find((id, i) => live.inFlight.has(id) || ids.indexOf(id) !== i);
    if (reused !== undefined)
      return sendJsonRpcError(res, 409, -32600, `Invalid Request: id ${reused} is already used by a request of this session still being answered; use a new id for each request`);
    for (const id of ids) live.inFlight.add(id);
    if (ids.length > 0) res.once('close', () => ids.forEach((id) => live.inFlight.delete(id)));
    await this.state.touch(sessionId);
    await serve(live.transport, req, res, parsedBody);
  }

  private async openSession(req: AuthenticatedRequest, res: ServerResponse, principal: Principal, initialize: unknown): Promise<void> {
    const id = randomUUID();
    const params = (initialize as { params: Record<string, unknown> }).params;
    const owner = sessionOwnerOf(principal);
    await this.makeRoomFor(owner);
    const live = this.live(id, owner, async () => {
      await this.state.createSession({ sessionId: id, userId: owner, protocolVersion: String(params.protocolVersion), initializeParams: params });
      this.sessions.set(id, live);
    });
    await live.server.connect(live.transport);
    await serve(live.transport, req, res, initialize);
  }

  /**
   * At most MCP_MAX_SESSIONS_PER_USER open sessions per user or machine client: a new one closes the
   * least recently used beyond that (clients that never DELETE their sessions would otherwise lock
   * their user out until the old ones expire). A closed session's client gets 404 and initializes again.
   */
  private async makeRoomFor(owner: string): Promise<void> {
    const open = await this.state.openSessionsOf(owner);
    for (const id of open.slice(0, Math.max(0, open.length - this.limits.sessionsPerUser + 1))) {
      await this.state.closeSession(id);
      this.drop(id);
    }
  }

  /** Brings a session another instance (or this one before a restart) opened into this process. */
  private restore(id: string, initializeParams: Record<string, unknown>, auth: AuthInfo): Promise<LiveSession | null> {
    const pending = this.restoring.get(id);
    if (pending) return pending;
    const restoring = (async () => {
      const live = this.live(id, sessionOwnerOf(auth.extra?.principal as Principal), async () => {});
      await live.server.connect(live.transport);
      // Replaying initialize + initialized gives the server the client's capabilities again and puts the
      // transport in the initialised state under the same id, through the SDK's public API.
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      const initialize = { jsonrpc: '2.0' as const, id: `restore-${id}`, method: 'initialize', params: initializeParams };
      await (await live.transport.handleRequest(post(headers, initialize), { parsedBody: initialize, authInfo: auth })).text();
      const initialized = { jsonrpc: '2.0' as const, method: 'notifications/initialized' };
      const sessionHeaders = { ...headers, 'mcp-session-id': id, 'mcp-protocol-version': String(initializeParams.protocolVersion) };
      await (await live.transport.handleRequest(post(sessionHeaders, initialized), { parsedBody: initialized, authInfo: auth })).text();
      this.sessions.set(id, live);
      return live;
    })().finally(() => this.restoring.delete(id));
    this.restoring.set(id, restoring);
    return restoring;
  }

  private live(id: string, owner: string, onInitialized: () => Promise<void>): LiveSession {
    const session: McpSessionContext = {
      sessionId: id,
      lastWrite: () => live.lastWrite,
      recordWrite: async (position) => {
        if (!live.lastWrite || isAfter(position, live.lastWrite)) live.lastWrite = position;
        await this.state.recordWrite(id, position);
      },
    };
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      eventStore: this.state.resumability(id),
      onsessioninitialized: onInitialized,
      onsessionclosed: async () => {
        await this.state.closeSession(id);
        this.sessions.delete(id);
      },
    });
    const live: LiveSession = { id, owner, server: createMcpServer(this.deps, session), transport, lastWrite: undefined, lastUsed: Date.now(), inFlight: new Set() };
    return live;
  }

  /**
   * No session, JSON response. A single request goes to a pooled server (see StatelessServers), its
   * answer written here; anything else (notifications, batches, messages that are not valid
   * JSON-RPC, an Accept or Content-Type the transport refuses) gets the SDK's stateless mode: a fresh
   * server and transport for this one request, with the SDK's own answers to all of that.
   */
  private async stateless(req: AuthenticatedRequest, res: ServerResponse, body: unknown): Promise<void> {
    const request = directRequest(req, body);
    if (request) {
      let answer: JsonRpcAnswer;
      try {
        answer = await this.statelessServers.answer(request, { authInfo: req.auth, requestInfo: { headers: req.headers } });
      } catch (error) {
        this.deps.logError(error, { method: request.method });
        return sendJsonRpcError(res, 500, -32603, 'Internal error', request.id);
      }
      const json = JSON.stringify(answer);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
      res.end(json);
      return;
    }
    const server = createMcpServer(this.deps, { sessionId: null, lastWrite: () => undefined, recordWrite: async () => {} });
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    try {
      await serve(transport, req, res, body);
    } finally {
      await server.close();
    }
  }

  private drop(id: string): void {
    const live = this.sessions.get(id);
    if (!live) return;
    this.sessions.delete(id);
    void live.server.close();
  }

  private evictIdle(): void {
    const cutoff = Date.now() - IDLE_EVICT_MS;
    for (const live of this.sessions.values()) if (live.lastUsed < cutoff) this.drop(live.id);
  }

  /** Ends every stream this process holds (shutdown); sessions stay restorable elsewhere. */
  async close(): Promise<void> {
    clearInterval(this.evictTimer);
    await this.statelessServers.close();
    await Promise.allSettled([...this.sessions.values()].map((live) => live.server.close()));
    this.sessions.clear();
  }
}

function serve(transport: WebStandardStreamableHTTPServerTransport, req: AuthenticatedRequest, res: ServerResponse, parsedBody: unknown) {
  const listener = getRequestListener((request) => transport.handleRequest(request, { authInfo: req.auth, parsedBody }), {
    overrideGlobalObjects: false,
  });
  return listener(req, res);
}

/**
 * The message when it is one JSON-RPC request the SDK's stateless transport would hand to its server
 * as is: the client accepts both JSON and SSE, the body is application/json and a valid request.
 * (initialize never gets here: it opens a session.)
 */
function directRequest(req: IncomingMessage, body: unknown): JSONRPCRequest | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('method' in body) || !('id' in body)) return null;
  const accept = header(req, 'accept') ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return null;
  if ((header(req, 'content-type') ?? '').split(';', 1)[0].trim().toLowerCase() !== 'application/json') return null;
  const parsed = JSONRPCMessageSchema.safeParse(body);
  return parsed.success && 'method' in parsed.data && 'id' in parsed.data ? (parsed.data as JSONRPCRequest) : null;
}

/** The ids of the requests (not notifications or responses) in a POST body, as JSON text: 1 and "1" differ. */
function requestIds(body: unknown): string[] {
  const messages = Array.isArray(body) ? body : [body];
  const ids: string[] = [];
  for (const m of messages) {
    if (typeof m !== 'object' || m === null || !('method' in m) || !('id' in m)) continue;
    const id = (m as { id: unknown }).id;
    if (typeof id === 'string' || typeof id === 'number') ids.push(JSON.stringify(id));
  }
  return ids;
}

function post(headers: Record<string, string>, body: unknown): Request {
  return new Request('http://csmcp.internal/mcp', { method: 'POST', headers, body: JSON.stringify(body) });
}

/**
 * An initialize asking for a version csmcp does not offer is answered with the latest one (the client
 * then decides whether it can go on), as the lifecycle spec says.
 */
function negotiateVersion(body: unknown): unknown {
  if (!isInitializeRequest(body)) return body;
  if ((PROTOCOL_VERSIONS as readonly string[]).includes(body.params.protocolVersion)) return body;
  return { ...body, params: { ...body.params, protocolVersion: LATEST_PROTOCOL_VERSION } };
}

/**
 * JSON-RPC batches left MCP in 2025-06-18 (a POST body is one message); the SDK still runs them, so
 * they are refused here for those versions. Without a header the transport spec assumes 2025-03-26.
 */
function batchNotAllowed(body: unknown, protocolVersion: string | undefined): boolean {
  return Array.isArray(body) && (protocolVersion ?? '2025-03-26') >= '2025-06-18';
}

function refuseBatch(res: ServerResponse): void {
  sendJsonRpcError(res, 400, -32600, 'Invalid Request: JSON-RPC batches are not part of MCP since 2025-06-18; send one message per request');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isAfter(a: Position, b: Position): boolean {
  return a.commit > b.commit || (a.commit === b.commit && a.prepare > b.prepare);
}
