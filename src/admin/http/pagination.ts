import { AdminApiError } from './admin-api-error';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** What every list answers: a page of items and the cursor of the next page (null: this was the last). */
export interface Page<T> {
  readonly items: T[];
  readonly next_cursor: string | null;
}

/** A list request's `limit` and `cursor`, checked; the cursor's sort key is decoded (null: the first page). */
export interface PageRequest {
  readonly limit: number;
  readonly after: readonly (string | number)[] | null;
}

/**
 * Reads `limit` (1 to MAX_PAGE_SIZE, default DEFAULT_PAGE_SIZE) and `cursor` (opaque, from the
 * previous page's next_cursor, for this `list` only) from the query; any other parameter is refused.
 */
export function pageRequest(query: Record<string, unknown>, list: string): PageRequest {
  for (const name of Object.keys(query))
    if (name !== 'limit' && name !== 'cursor')
      throw new AdminApiError(400, 'UNKNOWN_FIELD', `${JSON.stringify(name)} is not a query parameter of this list; the parameters are limit and cursor`, {
        field: name,
        allowed: ['limit', 'cursor'],
      });
  const rawLimit = query.limit;
  let limit = DEFAULT_PAGE_SIZE;
  if (rawLimit !== undefined) {
    limit = typeof rawLimit === 'string' && /^\d{1,4}$/.test(rawLimit) ? Number(rawLimit) : NaN;
    if (!(limit >= 1 && limit <= MAX_PAGE_SIZE))
      throw new AdminApiError(400, 'VALIDATION', `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}; got ${JSON.stringify(rawLimit)}`, { field: 'limit' });
  }
  const rawCursor = query.cursor;
  if (rawCursor === undefined) return { limit, after: null };
  const after = typeof rawCursor === 'string' ? decodeCursor(rawCursor, list) : null;
  if (!after)
    throw new AdminApiError(400, 'INVALID_CURSOR', `cursor is not a cursor of this list: pass the next_cursor of the previous page of ${list} as it is, or leave it out for the first page`, {
      field: 'cursor',
    });
  return { limit, after };
}

/** The cursor that continues after an item with this sort key. */
export function encodeCursor(list: string, key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify({ l: list, k: key }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, list: string): readonly (string | number)[] | null {
  if (cursor.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { l?: unknown; k?: unknown };
    if (parsed.l !== list || !Array.isArray(parsed.k) || !parsed.k.every((v) => typeof v === 'string' || typeof v === 'number')) return null;
    return parsed.k as (string | number)[];
  } catch {
    return null;
  }
}

/**
 * A page of a list held in memory, in the order of `keyOf` (compared value by value, by code unit, so
 * the order never depends on a database's collation). The cursor names the last item's key, so a page
 * stays right when items are added or removed in between.
 */
export function pageOf<T, R>(items: readonly T[], keyOf: (item: T) => readonly (string | number)[], request: PageRequest, list: string, view: (item: T) => R): Page<R> {
  const sorted = [...items].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  const after = request.after;
  const rest = after ? sorted.filter((item) => compareKeys(keyOf(item), after) > 0) : sorted;
  const page = rest.slice(0, request.limit);
  const more = rest.length > page.length;
  return { items: page.map(view), next_cursor: more ? encodeCursor(list, keyOf(page[page.length - 1])) : null };
}

export function compareKeys(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : 1;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}
