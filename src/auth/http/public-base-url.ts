import { isIP } from 'node:net';
import type { AppConfig } from '../../config/config';
import { isLoopbackSocketAddress } from '../../net/ip-address';

/** What publicBaseUrl needs of a request: its Host header and the socket it arrived on. */
export interface RequestLike {
  readonly headers: { readonly host?: string | undefined };
  readonly socket: { readonly localAddress?: string | undefined; readonly localPort?: number | undefined };
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The URL clients reach csmcp at, without a trailing slash: PUBLIC_URL when set (always set it behind
 * a proxy or TLS terminator), else the address and port the request arrived on. The Host header is
 * never trusted as such (a forged one would send clients' tokens elsewhere); the one exception is a
 * loopback name on a loopback connection to this very port, so that a local client that connected to
 * http://localhost:3000 is told about http://localhost:3000, not http://127.0.0.1:3000 (MCP clients
 * check that the resource matches the URL they used).
 */
export function publicBaseUrl(config: Pick<AppConfig, 'publicUrl'>, req: RequestLike): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
  const address = unmapIpv4(req.socket.localAddress ?? '127.0.0.1');
  const port = req.socket.localPort ?? 80;
  const host = req.headers.host?.trim().toLowerCase();
  if (host && isLoopbackSocketAddress(address)) {
    const match = /^(localhost|127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?$/.exec(host);
    if (match && LOOPBACK_NAMES.has(match[1]) && Number(match[2] ?? 80) === port) return `http://${host}`;
  }
  return `http://${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
}

/** The Protected Resource Metadata URL (RFC 9728 §3.1) of the resource at `resourcePath` (e.g. /mcp). */
export function protectedResourceMetadataUrl(baseUrl: string, resourcePath: string): string {
  const path = resourcePath === '/' ? '' : resourcePath.replace(/\/+$/, '');
  return `${baseUrl}/.well-known/oauth-protected-resource${path}`;
}

function unmapIpv4(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
