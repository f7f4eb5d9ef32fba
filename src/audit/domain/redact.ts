/**
 * Arguments go into the audit log as the caller sent them, except secrets and bulk: a value under a
 * key that names a secret is replaced, long strings are cut, deep or huge structures are summarised.
 * The log must answer "what was asked" without becoming a second copy of every secret or megabyte.
 */
const SECRET_KEY = /pass(word|wd)?|secret|token|authori[sz]ation|api[-_]?key|credential|cookie|private[-_]?key/i;
const MAX_STRING = 2_000;
const MAX_DEPTH = 6;
const MAX_ITEMS = 100;
export const REDACTED = '[redacted]';

export function redactArguments(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string') return value.length <= MAX_STRING ? value : `${value.slice(0, MAX_STRING)}… [${value.length - MAX_STRING} more characters]`;
  if (typeof value !== 'object') return String(value);
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => redactArguments(v, depth + 1));
    return value.length > MAX_ITEMS ? [...items, `[${value.length - MAX_ITEMS} more items]`] : items;
  }
  const out: Record<string, unknown> = {};
  const keys = Object.keys(value as object);
  for (const key of keys.slice(0, MAX_ITEMS)) {
    const v = (value as Record<string, unknown>)[key];
    // defineProperty, not assignment: a "__proto__" key (JSON.parse makes it an own property) assigned
    // would set the copy's prototype, and the event store refuses an entry that is not plain JSON: the
    // call then failed INTERNAL, unaudited (found by the MCP fuzz soak, seed 1).
    Object.defineProperty(out, key.length <= 200 ? key : `${key.slice(0, 200)}…`, {
      value: SECRET_KEY.test(key) && v !== null && v !== undefined ? REDACTED : redactArguments(v, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  if (keys.length > MAX_ITEMS) out['…'] = `[${keys.length - MAX_ITEMS} more keys]`;
  return out;
}
