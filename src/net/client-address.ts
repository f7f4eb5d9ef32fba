import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { checkIpRange, ipAllowed } from '../auth/integrations/ip-allow-list';

/** The parts of a request the client address is read from. */
export interface AddressedRequest {
  readonly headers: IncomingHttpHeaders;
  readonly socket?: { readonly remoteAddress?: string };
}

/** An X-Forwarded-For entry longer than this is no address (the longest IPv6 text with a port is 47). */
const MAX_ENTRY_LENGTH = 64;

/**
 * Where a request comes from, for IP allow-lists, per-address limits and the audit's source IP.
 * Without trusted proxies, or when the TCP peer is not one of them, it is the peer's address and
 * X-Forwarded-For is ignored (anyone can write that header). When the peer is a trusted proxy, it is
 * the right-most X-Forwarded-For entry that is not itself a trusted proxy: each proxy appends the
 * address it was connected from, so the entries right of that one were written by proxies we trust
 * and the ones left of it by the client. An entry that is no address (garbage, `unknown`) means the
 * chain cannot be followed: the peer's address then, which no allow-list meant for clients admits.
 * If every entry is a trusted proxy, the left-most is the earliest hop known.
 *
 * `trustedProxies` are canonical CIDR ranges (parseTrustedProxies). null when the socket has no
 * address (it closed).
 */
export function clientAddress(req: AddressedRequest, trustedProxies: readonly string[]): string | null {
  const peer = req.socket?.remoteAddress ?? null;
  if (peer === null || trustedProxies.length === 0 || !ipAllowed(trustedProxies, peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  // Node joins repeated X-Forwarded-For headers with ", "; an array is taken the same way.
  const text = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim();
  if (text === '') return peer;
  const entries = text.split(',');
  let earliest = peer;
  for (let i = entries.length - 1; i >= 0; i--) {
    const address = forwardedAddress(entries[i]);
    if (address === null) return peer;
    if (!ipAllowed(trustedProxies, address)) return address;
    earliest = address;
  }
  return earliest;
}

/**
 * One X-Forwarded-For entry as an address: `203.0.113.7`, `2001:db8::7`, and the forms some proxies
 * write with the client's port, `203.0.113.7:4711`, `[2001:db8::7]` and `[2001:db8::7]:4711`; null
 * for anything else.
 */
export function forwardedAddress(entry: string): string | null {
  const text = entry.trim();
  if (text.length === 0 || text.length > MAX_ENTRY_LENGTH || text.includes('%')) return null;
  if (isIP(text) !== 0) return text;
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracketed) return isIP(bracketed[1]) === 6 && portOk(bracketed[2]) ? bracketed[1] : null;
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(text);
  if (withPort) return isIP(withPort[1]) === 4 && portOk(withPort[2]) ? withPort[1] : null;
  return null;
}

function portOk(port: string | undefined): boolean {
  return port === undefined || Number(port) <= 65535;
}

/**
 * TRUSTED_PROXIES: comma-separated addresses or CIDR ranges (IPv4, IPv6) of the reverse proxies in
 * front of csmcp, in canonical form. Throws an Error naming the entry, what is wrong with it and what
 * is allowed.
 */
export function parseTrustedProxies(value: string): string[] {
  const ranges: string[] = [];
  for (const entry of value.split(',')) {
    if (entry.trim() === '') continue;
    try {
      ranges.push(checkIpRange(entry));
    } catch (error) {
      throw new Error(
        `TRUSTED_PROXIES must be a comma-separated list of the reverse proxies' addresses or CIDR ranges, e.g. 10.0.0.5, 10.1.0.0/16, ::1: ${(error as Error).message}`,
      );
    }
  }
  return [...new Set(ranges)];
}

const remembered = new WeakMap<object, string | null>();

/**
 * Remembers the address resolved for a request (by the edge that knows TRUSTED_PROXIES), for code
 * further on that has the request but not the configuration: oidc-provider's hooks, the sign-in pages.
 */
export function rememberClientAddress(req: object, address: string | null): void {
  remembered.set(req, address);
}

/** The address remembered for this request (rememberClientAddress), else its TCP peer's. */
export function rememberedClientAddress(req: AddressedRequest): string | null {
  return remembered.has(req) ? remembered.get(req)! : (req.socket?.remoteAddress ?? null);
}
