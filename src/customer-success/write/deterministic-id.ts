import { createHash } from 'node:crypto';

// A fixed namespace for csmcp's name-based ids (RFC 9562 UUIDv5 semantics).
const NAMESPACE = Buffer.from('6f1d2c84-6b1e-4a39-9c2e-1c3f6b6a0e57'.replace(/-/g, ''), 'hex');

/**
 * A UUIDv5 from a name: the same name always gives the same id. Used for idempotent writes: the
 * aggregate and event ids of a request with an idempotency key are derived from (user, key), so a
 * retry appends the very same events and the store answers with the first result.
 */
export function deterministicUuid(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A stable hash of a request's arguments: key order does not matter, values do. */
export function requestHash(toolName: string, input: unknown): string {
  return createHash('sha256').update(toolName).update('\0').update(canonicalJson(input)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
