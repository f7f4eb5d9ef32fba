import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, JSONRPCRequest, MessageExtraInfo, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { createMcpServer, type McpServerDeps, type McpSessionContext } from './mcp-server.factory';

/** A JSON-RPC response or error, as the server answers a request. */
export type JsonRpcAnswer = Extract<JSONRPCMessage, { id: RequestId }> & ({ result: unknown } | { error: unknown });

/** Stateless requests have no session: no last write to wait for, nothing to remember. */
const NO_SESSION: McpSessionContext = { sessionId: null, lastWrite: () => undefined, recordWrite: async () => {} };

/** Idle servers kept for the next requests: about the concurrency a process serves statelessly. */
const MAX_IDLE = 64;

/**
 * The servers that answer stateless requests. Building a server per request (21 tools' handlers, a
 * transport, a web Request and Response around it) cost more than most calls; instead each server
 * here answers one request at a time and goes back to the pool, so the SDK's request handling
 * (validation, errors, results) is the very same as a fresh server's, without the construction.
 * A server never sees `initialize` (that opens a session), so it has no client capabilities: no
 * elicitation, sampling or notifications, exactly as a fresh stateless server.
 */
export class StatelessServers {
  private readonly idle: PooledServer[] = [];
  private closed = false;

  constructor(private readonly deps: McpServerDeps) {}

  /** Answers one JSON-RPC request (already validated as one by the caller). */
  async answer(request: JSONRPCRequest, extra: MessageExtraInfo): Promise<JsonRpcAnswer> {
    const pooled = this.idle.pop() ?? (await this.create());
    let answer: JsonRpcAnswer;
    try {
      answer = await pooled.transport.exchange(request, extra);
    } catch (error) {
      void pooled.server.close();
      throw error;
    }
    if (!this.closed && pooled.transport.reusable && this.idle.length < MAX_IDLE) this.idle.push(pooled);
    else void pooled.server.close();
    return answer;
  }

  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle.splice(0);
    await Promise.allSettled(idle.map((p) => p.server.close()));
  }

  private async create(): Promise<PooledServer> {
    const server = createMcpServer(this.deps, NO_SESSION);
    const transport = new ExchangeTransport();
    await server.connect(transport);
    return { server, transport };
  }
}

interface PooledServer {
  readonly server: Server;
  readonly transport: ExchangeTransport;
}

/**
 * A transport for one request at a time: the request goes in through onmessage, the server's answer
 * to it resolves the exchange. Notifications and requests to the client have nowhere to go in a
 * stateless JSON response and are dropped, as the SDK's stateless transport does; a server that sent
 * a request is not reused (its protocol would still be waiting for the answer).
 */
class ExchangeTransport implements Transport {
  onmessage?: Transport['onmessage'];
  onclose?: () => void;
  onerror?: (error: Error) => void;
  reusable = true;
  private pending: { readonly id: RequestId; resolve(answer: JsonRpcAnswer): void } | null = null;

  async start(): Promise<void> {}

  async close(): Promise<void> {
    this.reusable = false;
    this.onclose?.();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const pending = this.pending;
    if ('id' in message && ('result' in message || 'error' in message)) {
      if (pending && message.id === pending.id) {
        this.pending = null;
        pending.resolve(message as JsonRpcAnswer);
      }
      return;
    }
    if ('id' in message) this.reusable = false;
  }

  exchange(request: JSONRPCRequest, extra: MessageExtraInfo): Promise<JsonRpcAnswer> {
    if (this.pending) return Promise.reject(new Error('a stateless server answers one request at a time'));
    if (!this.onmessage) return Promise.reject(new Error('the server is not connected'));
    const onmessage = this.onmessage;
    return new Promise<JsonRpcAnswer>((resolve, reject) => {
      this.pending = { id: request.id, resolve };
      try {
        onmessage(request, extra);
      } catch (error) {
        this.pending = null;
        this.reusable = false;
        reject(error);
      }
    });
  }
}
