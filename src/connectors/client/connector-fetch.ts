import { Readable } from 'node:stream';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { guardedStreamFetch, type GuardedStreamOptions } from '../../net/guarded-fetch';
import type { ConnectorSettings } from '../registry/connector';

/** What one response from an external server may weigh: tool results, metadata, an event stream's whole life. */
export const CONNECTOR_FETCH_MAX_BYTES = 8 * 1024 * 1024;
/** How long csmcp waits for an external server's response headers. */
export const CONNECTOR_FETCH_HEADERS_TIMEOUT_MS = 30_000;

export interface ConnectorFetchOptions {
  readonly maxBytes?: number;
  readonly headersTimeoutMs?: number;
  /** Trust anchors used instead of the system's (a test server's certificate, an admin's private CA). */
  readonly ca?: GuardedStreamOptions['ca'];
  readonly resolve?: GuardedStreamOptions['resolve'];
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * The fetch every request made on a connector's behalf goes through (the MCP server itself, its
 * protected resource metadata, the authorization server's metadata, registration and token endpoints):
 * csmcp's guarded fetch, so none of them can be pointed at csmcp's own network (SSRF) unless the admin
 * allowed the host on this connector. Plain http only towards such an allowed host. Streams the body
 * (an MCP server answers with event streams) and honours `redirect: 'manual'`, which the SDK uses to
 * follow redirects only within one origin.
 */
export function connectorFetch(connector: Pick<ConnectorSettings, 'allowedHosts'>, options: ConnectorFetchOptions = {}): FetchLike {
  return async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input.href);
    const response = await guardedStreamFetch(url, {
      method: init?.method,
      headers: headerRecord(init?.headers),
      body: await bodyOf(init?.body),
      redirect: init?.redirect === 'manual' || init?.redirect === 'error' ? 'manual' : 'follow',
      // Plain http only towards an allowed host, checked at every redirect hop too (not just the first URL).
      allowHttp: 'allowed_hosts',
      allowedHosts: connector.allowedHosts,
      maxBytes: options.maxBytes ?? CONNECTOR_FETCH_MAX_BYTES,
      headersTimeoutMs: options.headersTimeoutMs ?? CONNECTOR_FETCH_HEADERS_TIMEOUT_MS,
      signal: init?.signal ?? undefined,
      ca: options.ca,
      resolve: options.resolve,
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers)) headers.set(name, value);
    const nullBody = NULL_BODY_STATUSES.has(response.status) || init?.method === 'HEAD';
    if (nullBody) response.body.destroy();
    const result = new Response(nullBody ? null : (Readable.toWeb(response.body) as ReadableStream<Uint8Array>), { status: response.status, headers });
    // A constructed Response has no URL; the SDK names it in its messages and resolves redirects against it.
    Object.defineProperty(result, 'url', { value: response.url });
    return result;
  };
}

function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  const record: Record<string, string> = {};
  if (!headers) return record;
  new Headers(headers).forEach((value, name) => {
    record[name] = value;
  });
  return record;
}

async function bodyOf(body: RequestInit['body']): Promise<string | Uint8Array | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  // Anything else (a Blob, a stream) the way fetch itself would read it.
  return new Uint8Array(await new Response(body).arrayBuffer());
}
