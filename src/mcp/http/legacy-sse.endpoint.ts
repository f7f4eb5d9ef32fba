import type { ServerResponse } from 'node:http';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import type { Position } from '@csmcp/event-store';
import { sessionOwnerOf, type Principal } from '../../auth/principal';
import { createMcpServer, type McpServerDeps } from '../server/mcp-server.factory';
import { readJsonBody, sendJsonRpcError } from './request-guards';
import type { StreamLimits } from './stream-limits';
import type { AuthenticatedRequest } from './streamable-http.endpoint';

interface LegacySession {
  /** sessionOwnerOf: the user, or `client:<id>` for a machine client. */
  readonly owner: string;
  readonly transport: SSEServerTransport;
  readonly server: Server;
}

/**
 * The HTTP+SSE transport of MCP 2024-11-05 for clients that speak nothing newer: GET /sse opens the
 * stream and names a /messages?sessionId=… URL; POSTs there carry the client's messages, answered on
 * the stream. The stream is this process's own connection, so a legacy session lives on the instance
 * that holds it (a load balancer must route /messages by sessionId, or clients use Streamable HTTP).
 */
export class LegacySseEndpoint {
  private readonly sessions = new Map<string, LegacySession>();

  constructor(
    private readonly deps: McpServerDeps,
    /** Shared with Streamable HTTP GET streams: each legacy stream holds a connection and a server in this process. */
    private readonly streams: StreamLimits,
  ) {}

  async open(req: AuthenticatedRequest, res: ServerResponse, principal: Principal, messagesPath: string): Promise<void> {
    const owner = sessionOwnerOf(principal);
    if (!this.streams.admit(owner, res)) return this.streams.refuse(res);
    const transport = new SSEServerTransport(messagesPath, res);
    let lastWrite: Position | undefined;
    const server = createMcpServer(this.deps, {
      sessionId: transport.sessionId,
      lastWrite: () => lastWrite,
      recordWrite: async (position) => {
        lastWrite = position;
      },
    });
    this.sessions.set(transport.sessionId, { owner, transport, server });
    transport.onclose = () => this.sessions.delete(transport.sessionId);
    res.on('close', () => void server.close());
    await server.connect(transport);
  }

  async message(req: AuthenticatedRequest, res: ServerResponse, principal: Principal, sessionId: string | undefined): Promise<void> {
    const session = sessionId ? this.sessions.get(sessionId) : undefined;
    if (!session) return sendJsonRpcError(res, 404, -32001, 'Session not found: open a stream with GET /sse and post to the URL it names');
    if (session.owner !== sessionOwnerOf(principal))
      return sendJsonRpcError(res, 403, -32000, 'Forbidden: this session was opened by another user or client');
    const body = await readJsonBody(req);
    if (!body.ok) return sendJsonRpcError(res, body.status, body.code, body.message);
    await session.transport.handlePostMessage(req, res, body.body);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.sessions.values()].map((s) => s.server.close()));
    this.sessions.clear();
  }
}
