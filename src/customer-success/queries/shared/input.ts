import type { Position } from '@csmcp/event-store';
import { DomainError } from '../../shared/domain-error';
import { calendarDate, dateTime, describeValue, requiredId } from '../../shared/validation';
import { invalidQuery, QueryError } from './query-error';

/**
 * Guards for query input. Inputs arrive from MCP tools (an LLM's arguments), the CLI and HTTP, so
 * every field is checked at run time whatever its TypeScript type says. Each guard returns the
 * normalised value or throws INVALID_QUERY naming the field, what was wrong and what is allowed.
 */

export const MAX_TEXT = 200;

/** The input must be an object naming only `allowed` fields (a misspelt filter is not silently ignored). */
export function inputObject(value: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new QueryError('INVALID_QUERY', `The query input must be an object; got ${describeValue(value)}`);
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined || allowed.includes(key)) continue;
    throw new QueryError('INVALID_QUERY', `${key} is not a field of this query; allowed: ${allowed.join(', ')}`, { field: key });
  }
  return value as Record<string, unknown>;
}

/** Rethrows a shared validator's VALIDATION DomainError as INVALID_QUERY with the same message. */
function asQueryError<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof DomainError && error.category === 'VALIDATION')
      throw new QueryError('INVALID_QUERY', error.message, { field: error.field });
    throw error;
  }
}

export function requiredIdInput(field: string, value: unknown): string {
  return asQueryError(() => requiredId(field, value));
}

export function optionalIdInput(field: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return requiredIdInput(field, value);
}

/** One id or a list of 1-100 ids. */
export function idList(field: string, value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) return [requiredIdInput(field, value)];
  if (value.length === 0 || value.length > 100) throw invalidQuery(field, `must be an id or a list of 1 to 100 ids; got ${value.length} entries`);
  return [...new Set(value.map((v, i) => requiredIdInput(`${field}[${i}]`, v)))];
}

/** Free text for a search: trimmed, 1-200 characters. */
export function optionalSearchText(field: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalidQuery(field, `must be text; got ${describeValue(value)}`);
  const text = value.trim();
  if (text === '') return null;
  if (text.length > MAX_TEXT) throw invalidQuery(field, `must be at most ${MAX_TEXT} characters; got ${text.length}`);
  return text;
}

/** One of `allowed`, or a list of them (any of). */
export function enumList<T extends string>(field: string, value: unknown, allowed: readonly T[]): T[] | null {
  if (value === undefined || value === null) return null;
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0) throw invalidQuery(field, `must be one of ${allowed.join(', ')} or a non-empty list of them; got an empty list`);
  for (const v of values)
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
      throw invalidQuery(field, `must be one of ${allowed.join(', ')} (or a list of them); got ${describeValue(v)}`);
  return [...new Set(values as T[])];
}

export function optionalEnum<T extends string>(field: string, value: unknown, allowed: readonly T[]): T | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalidQuery(field, `must be one of ${allowed.join(', ')}; got ${describeValue(value)}`);
}

export function optionalDate(field: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return asQueryError(() => calendarDate(field, value));
}

export function optionalDateTime(field: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return asQueryError(() => dateTime(field, value));
}

export function requiredDateTime(field: string, value: unknown): string {
  if (value === undefined || value === null)
    throw invalidQuery(field, 'is required: an ISO 8601 date-time with a time zone, for example 2025-03-01T14:30:00Z');
  return asQueryError(() => dateTime(field, value));
}

/**
 * A bound of an instant range given as a date (YYYY-MM-DD) or a date-time. A date as the lower bound
 * means from the start of that day (UTC); as the upper bound, up to the end of that day.
 * Returns an ISO instant and whether the bound is exclusive.
 */
export function instantBound(field: string, value: unknown, side: 'from' | 'to'): { iso: string; exclusive: boolean } | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = asQueryError(() => calendarDate(field, value));
    if (side === 'from') return { iso: `${day}T00:00:00.000Z`, exclusive: false };
    return { iso: new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString(), exclusive: true };
  }
  if (typeof value !== 'string')
    throw invalidQuery(field, `must be a date (YYYY-MM-DD) or an ISO 8601 date-time with a time zone; got ${describeValue(value)}`);
  return { iso: asQueryError(() => dateTime(field, value)), exclusive: false };
}

export function optionalNumber(field: string, value: unknown, range: { min: number; max: number }): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < range.min || value > range.max)
    throw invalidQuery(field, `must be a number from ${range.min} to ${range.max}; got ${describeValue(value)}`);
  return value;
}

export function optionalBooleanInput(field: string, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw invalidQuery(field, `must be true or false; got ${describeValue(value)}`);
  return value;
}

export function optionalInteger(field: string, value: unknown, range: { min: number; max: number; default: number }): number {
  if (value === undefined || value === null) return range.default;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max)
    throw invalidQuery(field, `must be an integer from ${range.min} to ${range.max}; got ${describeValue(value)}`);
  return value;
}

/** A range whose lower bound is above its upper bound matches nothing: almost always a mistake. */
export function orderedRange<T extends string | number>(fromField: string, from: T | null, toField: string, to: T | null): void {
  if (from !== null && to !== null && from > to)
    throw new QueryError('INVALID_QUERY', `${fromField} (${from}) must not be after ${toField} (${to})`, { field: fromField });
}

/** `after`: the position an append returned; the query waits until the read models include it. */
export function optionalPosition(value: unknown): Position | null {
  if (value === undefined || value === null) return null;
  const p = value as { commit?: unknown; prepare?: unknown };
  if (
    typeof value !== 'object' ||
    !Number.isSafeInteger(p.commit) ||
    !Number.isSafeInteger(p.prepare) ||
    (p.commit as number) < 0 ||
    (p.prepare as number) < 0
  )
    throw invalidQuery('after', `must be a position { commit, prepare } as returned by a write; got ${describeValue(value)}`);
  return { commit: p.commit as number, prepare: p.prepare as number };
}
