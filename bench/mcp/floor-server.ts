/**
 * A floor server, run as its own process (forked by floors.ts) so that it does not share an event
 * loop with the load generator. `node floor-server.js <mode>`: listens on 127.0.0.1, a free port,
 * and reports `{ port }` over IPC.
 *
 * - raw: node:http alone, answering the JSON-RPC result body the trivial tool call gets from the SDK.
 * - stateless: the SDK's documented stateless pattern: a new McpServer and a new
 *   StreamableHTTPServerTransport (sessionIdGenerator undefined, enableJsonResponse true) per request.
 * - session-json / session-sse: one McpServer + transport per session (created by initialize),
 *   JSON responses or the default SSE responses.
 *
 * Every mode parses the request body itself, as a framework's body parser would, and hands the
 * parsed body to the transport.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { FLOOR_TOOL, FLOOR_TOOL_TEXT, type FloorMode } from './floor-tool';

const mode = process.argv[2] as FloorMode;

/** The trivial tool: one validated string argument, a short text back. */
function mcpServer(): McpServer {
  const server = new McpServer({ name: 'csmcp-bench-floor', version: '1.0.0' });
  server.registerTool(
    FLOOR_TOOL,
    { description: 'Answers with a short text.', inputSchema: { text: z.string() } },
    async () => ({ content: [{ type: 'text' as const, text: FLOOR_TOOL_TEXT }] }),
  );
  return server;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const rpcError = (code: number, message: string) => ({ jsonrpc: '2.0', error: { code, message }, id: null });

async function raw(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const message = JSON.parse(await readBody(req)) as { id?: unknown };
  // Same key order and content as the SDK's answer to the trivial tool.
  sendJson(res, 200, { result: { content: [{ type: 'text', text: FLOOR_TOOL_TEXT }] }, jsonrpc: '2.0', id: message.id ?? null });
}

async function stateless(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body: unknown = JSON.parse(await readBody(req));
  const server = mcpServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

const sessions = new Map<string, StreamableHTTPServerTransport>();

async function session(req: IncomingMessage, res: ServerResponse, enableJsonResponse: boolean): Promise<void> {
  const body: unknown = JSON.parse(await readBody(req));
  const id = req.headers['mcp-session-id'];
  const existing = typeof id === 'string' ? sessions.get(id) : undefined;
  if (existing) return existing.handleRequest(req, res, body);
  if (id !== undefined) return sendJson(res, 404, rpcError(-32001, 'Session not found'));
  if (!isInitializeRequest(body)) return sendJson(res, 400, rpcError(-32000, 'No session: initialize first'));
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    enableJsonResponse,
    onsessioninitialized: (sessionId) => void sessions.set(sessionId, transport),
  });
  transport.onclose = () => {
    if (transport.sessionId) sessions.delete(transport.sessionId);
  };
  await mcpServer().connect(transport);
  await transport.handleRequest(req, res, body);
}

const handlers: Record<FloorMode, (req: IncomingMessage, res: ServerResponse) => Promise<void>> = {
  raw,
  stateless,
  'session-json': (req, res) => session(req, res, true),
  'session-sse': (req, res) => session(req, res, false),
};

const handle = handlers[mode];
if (!handle) {
  process.stderr.write(`floor-server: unknown mode ${mode}\n`);
  process.exit(2);
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/mcp') return sendJson(res, 404, rpcError(-32000, 'POST /mcp only'));
  handle(req, res).catch((error: unknown) => {
    if (!res.headersSent) sendJson(res, 500, rpcError(-32603, String(error)));
    else res.destroy();
  });
});
// Load generators keep connections open between runs; the defaults would close idle ones after 5 s.
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
// The parent going away (even killed) ends the floor too.
process.on('disconnect', () => process.exit(0));
