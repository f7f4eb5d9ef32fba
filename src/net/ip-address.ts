import { isIP } from 'node:net';

/**
 * Where an IP address points, for deciding whether csmcp may connect to it on an outsider's say-so
 * (a client_id URL, a connector's metadata). Only `public` is reachable without an admin's explicit
 * permission. The ranges follow the IANA IPv4 and IPv6 special-purpose address registries.
 */
export type AddressRange =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'carrier_grade_nat'
  | 'unique_local'
  | 'site_local'
  | 'benchmarking'
  | 'documentation'
  | 'multicast'
  | 'broadcast'
  | 'reserved';

export interface AddressClass {
  readonly range: AddressRange;
  /** Human-readable, e.g. "loopback (127.0.0.0/8)" or "6to4 wrapping 10.0.0.1: private (10.0.0.0/8, RFC 1918)". */
  readonly description: string;
}

/**
 * Ranges csmcp never connects to even for a host an admin allowed: they are not one machine
 * (multicast, broadcast) or mean "this host" in a way nobody intends (0.0.0.0 reaches localhost).
 */
export const NEVER_ALLOWED: ReadonlySet<AddressRange> = new Set(['unspecified', 'multicast', 'broadcast']);

/** True only for a valid IPv4 or IPv6 address that is globally reachable unicast. Anything unparsable is not public. */
export function isPublicAddress(ip: string): boolean {
  return classifyAddress(ip).range === 'public';
}

type V4Rule = readonly [base: string, prefix: number, range: AddressRange, label: string];

// Order matters only where ranges nest (255.255.255.255 inside 240.0.0.0/4).
const V4_RULES: readonly V4Rule[] = [
  ['0.0.0.0', 8, 'unspecified', '"this network" (0.0.0.0/8)'],
  ['10.0.0.0', 8, 'private', 'private (10.0.0.0/8, RFC 1918)'],
  ['100.64.0.0', 10, 'carrier_grade_nat', 'carrier-grade NAT (100.64.0.0/10)'],
  ['127.0.0.0', 8, 'loopback', 'loopback (127.0.0.0/8)'],
  ['169.254.0.0', 16, 'link_local', 'link-local (169.254.0.0/16, where cloud metadata services live)'],
  ['172.16.0.0', 12, 'private', 'private (172.16.0.0/12, RFC 1918)'],
  ['192.0.0.0', 24, 'reserved', 'IETF protocol assignments (192.0.0.0/24)'],
  ['192.0.2.0', 24, 'documentation', 'documentation (192.0.2.0/24)'],
  ['192.88.99.0', 24, 'reserved', 'deprecated 6to4 relay anycast (192.88.99.0/24)'],
  ['192.168.0.0', 16, 'private', 'private (192.168.0.0/16, RFC 1918)'],
  ['198.18.0.0', 15, 'benchmarking', 'benchmarking (198.18.0.0/15)'],
  ['198.51.100.0', 24, 'documentation', 'documentation (198.51.100.0/24)'],
  ['203.0.113.0', 24, 'documentation', 'documentation (203.0.113.0/24)'],
  ['224.0.0.0', 4, 'multicast', 'multicast (224.0.0.0/4)'],
  ['255.255.255.255', 32, 'broadcast', 'broadcast (255.255.255.255)'],
  ['240.0.0.0', 4, 'reserved', 'reserved (240.0.0.0/4)'],
];

const V4_PARSED = V4_RULES.map(([base, prefix, range, label]) => ({ base: v4ToNumber(base), prefix, range, label }));

/** Classifies an IPv4 or IPv6 address (a zone suffix such as %eth0 is ignored). */
/**
 * Whether a socket address (as Node reports it, IPv4-mapped or not) is loopback: the cheap check for
 * every request's peer or local address; classifyAddress is for addresses csmcp connects to.
 */
export function isLoopbackSocketAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || a.startsWith('127.');
}

export function classifyAddress(ip: string): AddressClass {
  const bare = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const version = isIP(bare);
  if (version === 4) return classifyV4(v4ToNumber(bare));
  if (version === 6) return classifyV6(v6ToBytes(bare));
  return { range: 'reserved', description: 'not an IP address' };
}

function classifyV4(n: number): AddressClass {
  for (const rule of V4_PARSED) {
    const shift = 32 - rule.prefix;
    if (n >>> shift === rule.base >>> shift) return { range: rule.range, description: rule.label };
  }
  return { range: 'public', description: 'public' };
}

type V6Rule = readonly [prefix: string, length: number, kind: AddressRange | Embedded, label: string];
/** Prefixes that carry an IPv4 address inside: the verdict is the embedded address's. */
type Embedded = 'mapped' | 'compatible' | 'nat64' | 'teredo' | '6to4';

// First match wins, so the narrow prefixes come before the wide ones they sit in.
const V6_RULES: readonly V6Rule[] = [
  ['::', 128, 'unspecified', 'unspecified (::)'],
  ['::1', 128, 'loopback', 'loopback (::1)'],
  ['::ffff:0:0', 96, 'mapped', 'IPv4-mapped IPv6 (::ffff:0:0/96)'],
  ['::ffff:0:0:0', 96, 'reserved', 'IPv4-translated IPv6 (::ffff:0:0:0/96)'],
  ['::', 96, 'compatible', 'IPv4-compatible IPv6 (::/96, deprecated)'],
  ['64:ff9b::', 96, 'nat64', 'NAT64 (64:ff9b::/96)'],
  ['64:ff9b:1::', 48, 'private', 'local-use NAT64 (64:ff9b:1::/48)'],
  ['100::', 64, 'reserved', 'discard-only (100::/64)'],
  ['2001::', 32, 'teredo', 'Teredo (2001::/32)'],
  ['2001:2::', 48, 'benchmarking', 'benchmarking (2001:2::/48)'],
  ['2001:db8::', 32, 'documentation', 'documentation (2001:db8::/32)'],
  ['2001::', 23, 'reserved', 'IETF protocol assignments (2001::/23)'],
  ['2002::', 16, '6to4', '6to4 (2002::/16)'],
  ['3fff::', 20, 'documentation', 'documentation (3fff::/20)'],
  ['5f00::', 16, 'reserved', 'SRv6 SIDs (5f00::/16)'],
  ['fc00::', 7, 'unique_local', 'unique local (fc00::/7)'],
  ['fe80::', 10, 'link_local', 'link-local (fe80::/10)'],
  ['fec0::', 10, 'site_local', 'site-local (fec0::/10, deprecated)'],
  ['ff00::', 8, 'multicast', 'multicast (ff00::/8)'],
];

const V6_PARSED = V6_RULES.map(([prefix, length, kind, label]) => ({ bytes: v6ToBytes(prefix), length, kind, label }));
const GLOBAL_UNICAST = v6ToBytes('2000::');

function classifyV6(bytes: Uint8Array): AddressClass {
  for (const rule of V6_PARSED) {
    if (!matchesPrefix(bytes, rule.bytes, rule.length)) continue;
    switch (rule.kind) {
      case 'mapped':
      case 'nat64':
        return wrapping(rule.label, [v4At(bytes, 12)]) ?? { range: 'public', description: 'public' };
      case 'compatible':
        // Deprecated and never a real destination, whatever it wraps.
        return wrapping(rule.label, [v4At(bytes, 12)]) ?? { range: 'reserved', description: rule.label };
      case 'teredo':
        // Server address in bits 32-63, client address bit-inverted in the last 32 bits (RFC 4380).
        return wrapping(rule.label, [v4At(bytes, 4), ~v4At(bytes, 12) >>> 0]) ?? { range: 'public', description: 'public' };
      case '6to4':
        return wrapping(rule.label, [v4At(bytes, 2)]) ?? { range: 'public', description: 'public' };
      default:
        return { range: rule.kind, description: rule.label };
    }
  }
  // Only 2000::/3 is allocated for global unicast; everything else is reserved.
  if (!matchesPrefix(bytes, GLOBAL_UNICAST, 3)) return { range: 'reserved', description: 'reserved (outside 2000::/3)' };
  return { range: 'public', description: 'public' };
}

/** The first embedded IPv4 address that is not public, as the verdict for the whole address; null if all are public. */
function wrapping(label: string, embedded: number[]): AddressClass | null {
  for (const n of embedded) {
    const inner = classifyV4(n);
    if (inner.range !== 'public') return { range: inner.range, description: `${label} wrapping ${numberToV4(n)}: ${inner.description}` };
  }
  return null;
}

function matchesPrefix(bytes: Uint8Array, prefix: Uint8Array, length: number): boolean {
  const full = Math.floor(length / 8);
  for (let i = 0; i < full; i++) if (bytes[i] !== prefix[i]) return false;
  const rest = length % 8;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (bytes[full] & mask) === (prefix[full] & mask);
}

function v4ToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0) >>> 0;
}

function numberToV4(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

function v4At(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

/** Expects an address isIP() accepted (possibly with a trailing dotted IPv4 part). */
function v6ToBytes(ip: string): Uint8Array {
  let text = ip.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const n = v4ToNumber(dotted[1]);
    text = `${text.slice(0, dotted.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const groups = [...headGroups, ...zeros, ...tailGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}
