/**
 * MCP clients for end-to-end tests: the SDK's own Client over Streamable HTTP or legacy SSE, and raw
 * fetch helpers for what a test must see on the wire (status, headers, SSE event ids).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';

export const CLIENT_INFO = { name: 'csmcp-e2e', version: '1.0.0' };

export interface ConnectedClient {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport | SSEClientTransport;
  close(): Promise<void>;
}

const authorization = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The SDK client over Streamable HTTP; `sessionId` joins an existing session instead of initializing. */
export async function connectStreamable(
  url: string,
  token: string,
  options: { capabilities?: ClientCapabilities; sessionId?: string; setup?: (client: Client) => void } = {},
): Promise<ConnectedClient & { transport: StreamableHTTPClientTransport }> {
  const client = new Client(CLIENT_INFO, { capabilities: options.capabilities ?? {} });
  options.setup?.(client);
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: authorization(token) },
    ...(options.sessionId ? { sessionId: options.sessionId } : {}),
  });
  await client.connect(transport);
  return { client, transport, close: () => client.close() };
}

/** The SDK client over the legacy HTTP+SSE transport (GET /sse, POST /messages). */
export async function connectLegacySse(baseUrl: string, token: string): Promise<ConnectedClient & { transport: SSEClientTransport }> {
  const client = new Client(CLIENT_INFO, { capabilities: {} });
  const transport = new SSEClientTransport(new URL(`${baseUrl}/sse`), { requestInit: { headers: authorization(token) } });
  await client.connect(transport);
  return { client, transport, close: () => client.close() };
}

/** tools/call through the SDK client (which checks structuredContent against the tool's outputSchema). */
export async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

/**
 * The error a refused call carries: isError, the code and message first in the text, the whole error
 * in _meta['csmcp/error'], and no structuredContent (it would not match the tool's output schema).
 */
export function toolError(result: CallToolResult): { code: string; message: string; [key: string]: unknown } {
  expect(result.isError).toBe(true);
  expect(result.structuredContent).toBeUndefined();
  const error = (result._meta as { 'csmcp/error'?: { code: string; message: string } } | undefined)?.['csmcp/error'];
  if (!error) throw new Error(`no csmcp/error in ${JSON.stringify(result)}`);
  expect(result.content).toEqual([{ type: 'text', text: expect.stringMatching(new RegExp(`^${error.code}: `)) }]);
  return error;
}

export interface SseEvent {
  readonly id?: string;
  readonly event?: string;
  readonly data: string;
}

/** Parses a complete SSE body into its events. */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.replace(/\r\n/g, '\n').split('\n\n')) {
    if (block.trim() === '') continue;
    let id: string | undefined;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const at = line.indexOf(':');
      const field = at < 0 ? line : line.slice(0, at);
      const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    events.push({ ...(id !== undefined ? { id } : {}), ...(event !== undefined ? { event } : {}), data: data.join('\n') });
  }
  return events;
}

/** The JSON-RPC messages of an SSE body (events with data that is not empty). */
export function sseMessages(text: string): Array<Record<string, unknown>> {
  return parseSse(text)
    .filter((e) => e.data.trim() !== '' && e.data.trim() !== '{}')
    .map((e) => JSON.parse(e.data) as Record<string, unknown>);
}

/**
 * Reads SSE events from a streaming response one at a time, as they arrive (no waiting on time):
 * `next()` resolves with the next complete event.
 */
export function sseReader(response: Response) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(): Promise<SseEvent | null> {
      for (;;) {
        const end = buffer.replace(/\r\n/g, '\n').indexOf('\n\n');
        if (end >= 0) {
          const normalised = buffer.replace(/\r\n/g, '\n');
          const block = normalised.slice(0, end);
          buffer = normalised.slice(end + 2);
          const [event] = parseSse(`${block}\n\n`);
          if (event) return event;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) return null;
        buffer += decoder.decode(value, { stream: true });
      }
    },
    /** The next event carrying a JSON-RPC message (skips priming events and keep-alives). */
    async nextMessage(): Promise<{ id?: string; message: Record<string, unknown> } | null> {
      for (;;) {
        const event = await this.next();
        if (!event) return null;
        if (event.data.trim() === '' || event.data.trim() === '{}') continue;
        return { ...(event.id !== undefined ? { id: event.id } : {}), message: JSON.parse(event.data) as Record<string, unknown> };
      }
    },
    cancel: () => reader.cancel().catch(() => undefined),
  };
}

/** A raw MCP POST with the headers a Streamable HTTP client sends. */
export function rawPost(
  url: string,
  token: string | null,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? authorization(token) : {}),
      ...headers,
    },
    body: JSON.stringify(body),
    signal,
  });
}

/** The JSON-RPC answer of a POST, whether it came as JSON or as an SSE stream. */
export async function rpcAnswer(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  if ((response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const answers = sseMessages(text).filter((m) => 'result' in m || 'error' in m);
    if (answers.length !== 1) throw new Error(`expected one answer in the stream, got: ${text}`);
    return answers[0];
  }
  return JSON.parse(text) as Record<string, unknown>;
}

export const initializeMessage = (protocolVersion: string, id: number | string = 1, capabilities: ClientCapabilities = {}) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion, capabilities, clientInfo: CLIENT_INFO },
});

export const toolCallMessage = (name: string, args: Record<string, unknown>, id: number | string = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

/**
 * Opens a session by hand (initialize + initialized) and returns the headers later requests carry.
 */
export async function rawSession(
  url: string,
  token: string,
  protocolVersion = '2025-11-25',
  capabilities: ClientCapabilities = {},
): Promise<Record<string, string>> {
  const init = await rawPost(url, token, initializeMessage(protocolVersion, 1, capabilities));
  if (init.status !== 200) throw new Error(`initialize answered ${init.status}: ${await init.text()}`);
  const sessionId = init.headers.get('mcp-session-id');
  await init.text();
  if (!sessionId) throw new Error('initialize answered no Mcp-Session-Id');
  const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion };
  const initialized = await rawPost(url, token, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
  await initialized.text();
  if (initialized.status !== 202) throw new Error(`notifications/initialized answered ${initialized.status}`);
  return headers;
}
