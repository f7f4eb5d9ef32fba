import type { SqlParam } from '@csmcp/projections';
import { describeValue } from '../../shared/validation';
import { invalidQuery, QueryError } from './query-error';

/** One page of a list query. `nextCursor` is null on the last page. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/** What every list query accepts besides its filters. */
export interface PageInput {
  /** 1-100, default 25. */
  readonly limit?: number;
  /** The `nextCursor` of the previous page, unchanged. */
  readonly cursor?: string;
}

export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 100;

export function pageLimit(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_LIMIT;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_LIMIT)
    throw invalidQuery(
      'limit',
      `must be an integer from 1 to ${MAX_LIMIT}; got ${describeValue(value)}. To read more, follow nextCursor page by page`,
    );
  return value;
}

/** A sort a list query offers: the column it orders by, and how its values look in a cursor. */
export interface SortSpec {
  readonly column: string;
  readonly kind: 'text' | 'number';
  /** Nullable columns sort their nulls last in either direction. */
  readonly nullable: boolean;
  readonly defaultDirection: 'asc' | 'desc';
}

export interface ResolvedSort extends SortSpec {
  readonly name: string;
  readonly direction: 'asc' | 'desc';
}

export function resolveSort(sorts: Record<string, SortSpec>, defaultSort: string, sort: unknown, order: unknown): ResolvedSort {
  const names = Object.keys(sorts);
  let name = defaultSort;
  if (sort !== undefined && sort !== null) {
    if (typeof sort !== 'string' || !names.includes(sort)) throw invalidQuery('sort', `must be one of ${names.join(', ')}; got ${describeValue(sort)}`);
    name = sort;
  }
  const spec = sorts[name];
  let direction = spec.defaultDirection;
  if (order !== undefined && order !== null) {
    if (order !== 'asc' && order !== 'desc') throw invalidQuery('order', `must be asc or desc; got ${describeValue(order)}`);
    direction = order;
  }
  return { ...spec, name, direction };
}

/** Where the previous page ended: its last row's sort value and id. */
interface CursorPosition {
  readonly value: string | number | null;
  readonly id: string;
}

const MAX_CURSOR_LENGTH = 2_000;
const INVALID_CURSOR_MESSAGE =
  'cursor is not valid for this query: pass the nextCursor of the previous page unchanged, with the same sort and order, ' +
  'or leave cursor out to start from the first page';

/**
 * Keyset pagination: the cursor is base64url(JSON) of the scope (which query, sort and order it
 * belongs to), the last row's sort value and its id. It only positions the next page; the query's
 * filters and the viewer's scope apply to every page, so a forged cursor reveals nothing.
 */
export class Keyset {
  private readonly signature: string;

  constructor(
    scope: string,
    readonly sort: ResolvedSort,
    readonly idColumn: string,
  ) {
    this.signature = `${scope}:${sort.name}:${sort.direction}`;
  }

  /** `ORDER BY` text: the sort column (nulls last), then the id in the same direction. */
  orderBy(): string {
    const { column, direction, nullable } = this.sort;
    return `${column} ${direction.toUpperCase()}${nullable ? ' NULLS LAST' : ''}, ${this.idColumn} ${direction.toUpperCase()}`;
  }

  /** The condition selecting rows after the cursor, or null without a cursor. */
  after(cursor: unknown): { sql: string; params: SqlParam[] } | null {
    if (cursor === undefined || cursor === null) return null;
    const { value, id } = this.decode(cursor);
    const { column, direction, nullable } = this.sort;
    const cmp = direction === 'asc' ? '>' : '<';
    const idAfter = `${this.idColumn} ${cmp} ?`;
    if (value === null) return { sql: `(${column} IS NULL AND ${idAfter})`, params: [id] };
    const sql = `(${column} ${cmp} ? OR (${column} = ? AND ${idAfter})${nullable ? ` OR ${column} IS NULL` : ''})`;
    return { sql, params: [value, value, id] };
  }

  /** Cuts the `limit + 1` rows read into a page. */
  page<Row, Item>(rows: Row[], limit: number, keyOf: (row: Row) => { value: string | number | null; id: string }, map: (row: Row) => Item): Page<Item> {
    const more = rows.length > limit;
    const kept = more ? rows.slice(0, limit) : rows;
    return { items: kept.map(map), nextCursor: more ? this.encode(keyOf(kept[kept.length - 1])) : null };
  }

  private encode(position: CursorPosition): string {
    return Buffer.from(JSON.stringify({ s: this.signature, k: position.value, id: position.id }), 'utf8').toString('base64url');
  }

  private decode(cursor: unknown): CursorPosition {
    const invalid = () => new QueryError('INVALID_CURSOR', INVALID_CURSOR_MESSAGE, { field: 'cursor' });
    if (typeof cursor !== 'string' || cursor === '' || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      throw invalid();
    }
    const c = parsed as { s?: unknown; k?: unknown; id?: unknown } | null;
    if (typeof c !== 'object' || c === null || c.s !== this.signature) throw invalid();
    if (typeof c.id !== 'string' || c.id === '' || c.id.length > 200) throw invalid();
    const { kind, nullable } = this.sort;
    const k = c.k;
    const valueOk =
      (k === null && nullable) ||
      (kind === 'number' && typeof k === 'number' && Number.isFinite(k)) ||
      (kind === 'text' && typeof k === 'string' && k.length <= 1_000);
    if (!valueOk) throw invalid();
    return { value: k as string | number | null, id: c.id };
  }
}
