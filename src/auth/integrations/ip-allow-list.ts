import { isIPv4, isIPv6 } from 'node:net';
import { IntegrationError } from './integration-error';

/**
 * The IP ranges an integration may be used from (CIDR, IPv4 and IPv6). An empty list allows every
 * address. Ranges are stored in canonical form (`10.0.0.0/8`, `2001:db8::/32`); an IPv4 range written
 * as IPv4-mapped IPv6 (`::ffff:10.0.0.0/104`) is stored as the IPv4 range it means, and a request from
 * `::ffff:10.1.2.3` (what a dual-stack socket reports for an IPv4 client) is matched as 10.1.2.3.
 */

export const MAX_IP_RANGES = 100;

interface Address {
  readonly family: 4 | 6;
  readonly value: bigint;
}

const BITS = { 4: 32, 6: 128 } as const;

function invalid(range: string, problem: string): IntegrationError {
  return new IntegrationError('INVALID_IP_RANGE', `IP range ${JSON.stringify(range)} ${problem}`, 'ip_allow_list');
}

/** A CIDR range (or a single address, meaning /32 or /128) in canonical form; INVALID_IP_RANGE when it is not one. */
export function checkIpRange(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new IntegrationError('INVALID_IP_RANGE', 'an IP range must be a CIDR range like 203.0.113.0/24 or 2001:db8::/32, or a single address', 'ip_allow_list');
  const text = value.trim();
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const address = parseAddress(addressText);
  if (!address) {
    const hint = addressText.includes('%') ? ' (zone ids such as %eth0 are not allowed)' : '';
    throw invalid(text, `does not start with an IPv4 or IPv6 address${hint}; write a CIDR range like 203.0.113.0/24 or 2001:db8::/32`);
  }
  let prefix: number = BITS[address.family];
  if (slash !== -1) {
    const prefixText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > BITS[address.family])
      throw invalid(text, `has the prefix length /${prefixText}; an IPv${address.family} prefix is a whole number from 0 to ${BITS[address.family]}`);
    prefix = Number(prefixText);
  }
  let range = { address, prefix };
  if (address.family === 6 && prefix >= 96 && address.value >> 32n === 0xffffn)
    range = { address: { family: 4, value: address.value & 0xffffffffn }, prefix: prefix - 96 };
  const network = range.address.value & mask(range.address.family, range.prefix);
  // 10.0.0.5/8 is almost always a typo for 10.0.0.5/32 or 10.0.0.0/8: refuse rather than guess.
  if (network !== range.address.value)
    throw invalid(
      text,
      `has address bits set after the /${prefix} prefix; write the network (${format({ family: range.address.family, value: network })}/${range.prefix}) or a single address (${format(range.address)})`,
    );
  return `${format(range.address)}/${range.prefix}`;
}

/** Checked, canonical and without duplicates, in the given order. */
export function checkIpAllowList(values: readonly unknown[]): string[] {
  const ranges = [...new Set(values.map(checkIpRange))];
  if (ranges.length > MAX_IP_RANGES)
    throw new IntegrationError('INVALID_IP_RANGE', `${ranges.length} IP ranges given; an integration may have at most ${MAX_IP_RANGES}`, 'ip_allow_list');
  return ranges;
}

/**
 * Whether a request from `ip` may use an integration with this allow list: true for an empty list;
 * false for an address that cannot be parsed. `list` is what checkIpRange returned (stored ranges).
 */
export function ipAllowed(list: readonly string[], ip: string | null | undefined): boolean {
  if (list.length === 0) return true;
  if (typeof ip !== 'string') return false;
  // A link-local address may carry its interface (fe80::1%eth0); the range cannot, so drop it.
  const address = unmap(parseAddress(ip.trim().replace(/%[0-9A-Za-z_.-]+$/, '')));
  if (!address) return false;
  return list.some((stored) => {
    const slash = stored.lastIndexOf('/');
    const network = parseAddress(stored.slice(0, slash));
    const prefix = Number(stored.slice(slash + 1));
    if (!network || network.family !== address.family || !Number.isInteger(prefix)) return false;
    return (address.value & mask(address.family, prefix)) === network.value;
  });
}

/**
 * The group of addresses one client is counted as (per-address limits): an IPv4 address itself (also
 * when written IPv4-mapped), an IPv6 address's /64 (one host can usually pick any address in its
 * /64); null for something that is not an address.
 */
export function addressGroup(ip: string | null | undefined): string | null {
  if (typeof ip !== 'string') return null;
  const address = unmap(parseAddress(ip.trim().replace(/%[0-9A-Za-z_.-]+$/, '')));
  if (!address) return null;
  if (address.family === 4) return format(address);
  return `${format({ family: 6, value: address.value & mask(6, 64) })}/64`;
}

function unmap(address: Address | null): Address | null {
  if (address?.family === 6 && address.value >> 32n === 0xffffn) return { family: 4, value: address.value & 0xffffffffn };
  return address;
}

function mask(family: 4 | 6, prefix: number): bigint {
  const bits = BITS[family];
  const all = (1n << BigInt(bits)) - 1n;
  return (all << BigInt(bits - prefix)) & all;
}

function parseAddress(text: string): Address | null {
  if (isIPv4(text)) return { family: 4, value: ipv4Value(text) };
  if (!isIPv6(text) || text.includes('%')) return null;
  let head = text;
  let tail = '';
  // An embedded IPv4 address (::ffff:10.0.0.1) stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = ipv4Value(last);
    head = text.slice(0, lastColon + 1);
    tail = `${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const full = head + tail;
  const [left, right] = full.includes('::') ? full.split('::') : [full, null];
  const leftGroups = left === '' ? [] : left.split(':');
  const rightGroups = right === null || right === '' ? [] : right.split(':');
  const groups = right === null ? leftGroups : [...leftGroups, ...Array<string>(8 - leftGroups.length - rightGroups.length).fill('0'), ...rightGroups];
  if (groups.length !== 8) return null;
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(parseInt(group, 16));
  return { family: 6, value };
}

function ipv4Value(text: string): bigint {
  return text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

/** Dotted quad, or RFC 5952 text (lower case, longest run of zero groups as ::). */
function format(address: Address): string {
  if (address.family === 4) return [24n, 16n, 8n, 0n].map((shift) => ((address.value >> shift) & 0xffn).toString()).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((address.value >> BigInt((7 - i) * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1; // RFC 5952 §4.2.2: a single zero group is not shortened
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
