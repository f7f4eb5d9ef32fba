/**
 * Checking what came back: a benchmark of failed calls measures nothing, so every response of every
 * run is classified. Pure functions (no I/O).
 */
import type { CallErrors } from './types';

export type Verdict = 'ok' | 'rpcError' | 'toolError' | 'unparseable';

interface JsonRpcResponse {
  readonly jsonrpc?: unknown;
  readonly id?: unknown;
  readonly result?: { isError?: unknown };
  readonly error?: unknown;
}

/**
 * The JSON-RPC messages in a body: one JSON value (object or batch array) for application/json,
 * the `data:` payloads of each event for text/event-stream (multi-line data joined by \n, as the
 * SSE spec says). Returns null when the body cannot be read as either.
 */
export function messagesOf(body: string, contentType: string | undefined): unknown[] | null {
  const isSse = (contentType ?? '').toLowerCase().startsWith('text/event-stream');
  try {
    if (!isSse) {
      const value: unknown = JSON.parse(body);
      return Array.isArray(value) ? value : [value];
    }
    const messages: unknown[] = [];
    for (const event of body.split(/\r?\n\r?\n/)) {
      const data = event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
      // Priming events (an id and empty data) carry no message.
      if (data.length > 0 && data.join('').trim() !== '') messages.push(JSON.parse(data.join('\n')));
    }
    return messages;
  } catch {
    return null;
  }
}

/** The verdict on a 2xx response to the request with this id. */
export function verdictOf(body: string, contentType: string | undefined, requestId: unknown): Verdict {
  const messages = messagesOf(body, contentType);
  if (!messages) return 'unparseable';
  // Progress or log notifications may precede the response in a stream: look for the response.
  const response = messages.find(
    (m): m is JsonRpcResponse => typeof m === 'object' && m !== null && (m as JsonRpcResponse).jsonrpc === '2.0' && 'id' in m && ('result' in m || 'error' in m),
  );
  if (!response) return 'unparseable';
  if (requestId !== undefined && response.id !== requestId) return 'unparseable';
  if (response.error !== undefined) return 'rpcError';
  if (typeof response.result !== 'object' || response.result === null) return 'unparseable';
  return response.result.isError === true ? 'toolError' : 'ok';
}

export function noErrors(): CallErrors {
  return { non2xx: 0, rpcErrors: 0, toolErrors: 0, unparseable: 0, connection: 0, timeouts: 0 };
}

export function errorTotal(e: CallErrors): number {
  return e.non2xx + e.rpcErrors + e.toolErrors + e.unparseable + e.connection + e.timeouts;
}

/** "3 non-2xx, 1 tool error": the error kinds that occurred. */
export function describeErrors(e: CallErrors): string {
  const parts: Array<[number, string]> = [
    [e.non2xx, 'non-2xx'],
    [e.rpcErrors, 'JSON-RPC error'],
    [e.toolErrors, 'tool error (isError)'],
    [e.unparseable, 'unreadable'],
    [e.connection, 'connection error'],
    [e.timeouts, 'timeout'],
  ];
  return parts
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n.toLocaleString('en-US')} ${what}`)
    .join(', ');
}
