import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { isInitializeRequest, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { Position } from '@csmcp/event-store';
import { sessionOwnerOf, type Principal } from '../../auth/principal';
import { createMcpServer, type McpServerDeps, type McpSessionContext } from '../server/mcp-server.factory';
import type { McpStateStore } from '../state/mcp-state.store';
import { PROTOCOL_VERSIONS, readJsonBody, sendJsonRpcError } from './request-guards';

/** A session this process holds in memory; the shared state store has the rest. */
interface LiveSession {
  readonly id: string;
  /** sessionOwnerOf: the user, or `client:<id>` for a machine client. */
  readonly owner: string;
  readonly server: Server;
  readonly transport: WebStandardStreamableHTTPServerTransport;
  lastWrite: Position | undefined;
  lastUsed: number;
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

  constructor(
    private readonly deps: McpServerDeps,
    private readonly state: McpStateStore,
  ) {
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
    await this.state.touch(sessionId);
    await serve(live.transport, req, res, parsedBody);
  }

  private async openSession(req: AuthenticatedRequest, res: ServerResponse, principal: Principal, initialize: unknown): Promise<void> {
    const id = randomUUID();
    const params = (initialize as { params: Record<string, unknown> }).params;
    const owner = sessionOwnerOf(principal);
    const live = this.live(id, owner, async () => {
      await this.state.createSession({ sessionId: id, userId: owner, protocolVersion: String(params.protocolVersion), initializeParams: params });
      this.sessions.set(id, live);
    });
    await live.server.connect(live.transport);
    await serve(live.transport, req, res, initialize);
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
    const live: LiveSession = { id, owner, server: createMcpServer(this.deps, session), transport, lastWrite: undefined, lastUsed: Date.now() };
    return live;
  }

  /** No session: a fresh server and transport for this one request (the SDK's stateless mode), JSON response. */
  private async stateless(req: AuthenticatedRequest, res: ServerResponse, body: unknown): Promise<void> {
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
