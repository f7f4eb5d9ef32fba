import { DomainError } from './domain-error';

/**
 * Guards for command input. Each returns the normalised value or throws a VALIDATION DomainError
 * naming the field, what was wrong and what is allowed. The DTOs check the same things at the edge;
 * the decider checks again because seeds, imports and tests reach it without a DTO.
 */

// Control characters other than tab and newlines break logs, CSV exports and some LLM clients.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):(\d{2}))$/;
const MIN_YEAR = 1900;

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return value.length > 60 ? `"${value.slice(0, 57)}..."` : `"${value}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

function invalid(field: string, message: string): DomainError {
  return new DomainError('VALIDATION', `${field} ${message}`, { field });
}

/** A non-blank string of at most `max` characters, trimmed. */
export function requiredText(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string') throw invalid(field, `is required and must be text; got ${describeValue(value)}`);
  const text = value.trim();
  if (text === '') throw invalid(field, 'is required and must not be blank');
  return checkText(field, text, max);
}

/** Optional text for a create: absent, null or blank means none (null). */
export function optionalText(field: string, value: unknown, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalid(field, `must be text or null; got ${describeValue(value)}`);
  const text = value.trim();
  return text === '' ? null : checkText(field, text, max);
}

function checkText(field: string, text: string, max: number): string {
  if (text.length > max) throw invalid(field, `must be at most ${max} characters; got ${text.length}`);
  if (CONTROL.test(text)) throw invalid(field, 'must not contain control characters (tabs and line breaks are fine)');
  return text;
}

/** An identifier: non-blank, at most 200 characters, no whitespace or control characters. */
export function requiredId(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid(field, `is required and must be a non-blank id; got ${describeValue(value)}`);
  if (value.length > 200) throw invalid(field, `must be at most 200 characters; got ${value.length}`);
  if (/\s/.test(value) || CONTROL.test(value)) throw invalid(field, 'must not contain spaces or control characters');
  return value;
}

export function optionalId(field: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return requiredId(field, value);
}

export function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalid(field, `must be one of ${allowed.join(', ')}; got ${describeValue(value)}`);
}

/** A calendar date written YYYY-MM-DD that exists (no 2025-02-30), from the year 1900 on. */
export function calendarDate(field: string, value: unknown): string {
  const match = typeof value === 'string' ? CALENDAR_DATE.exec(value) : null;
  if (!match || !isCalendarDay(Number(match[1]), Number(match[2]), Number(match[3])))
    throw invalid(field, `must be a calendar date written YYYY-MM-DD, for example 2025-03-31; got ${describeValue(value)}`);
  if (Number(match[1]) < MIN_YEAR) throw invalid(field, `must be in the year ${MIN_YEAR} or later; got ${describeValue(value)}`);
  return value as string;
}

export function optionalCalendarDate(field: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return calendarDate(field, value);
}

/**
 * An ISO 8601 date-time with a time zone (Z or ±hh:mm), returned normalised to UTC
 * (`2025-03-01T09:00:00.000Z`) so that equal instants compare equal and sort as text.
 */
export function dateTime(field: string, value: unknown): string {
  const ms = typeof value === 'string' ? parseDateTime(value) : null;
  if (ms === null)
    throw invalid(
      field,
      `must be an ISO 8601 date-time with a time zone, for example 2025-03-01T14:30:00Z or 2025-03-01T15:30:00+01:00; got ${describeValue(value)}`,
    );
  if (new Date(ms).getUTCFullYear() < MIN_YEAR)
    throw invalid(field, `must be in the year ${MIN_YEAR} or later; got ${describeValue(value)}`);
  return new Date(ms).toISOString();
}

/** Epoch milliseconds of a valid ISO date-time with a zone, or null. */
export function parseDateTime(text: string): number | null {
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  if (!isCalendarDay(year, month, day) || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

function isCalendarDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

/** The command's clock. A bad `now` is a bug in the caller, reported like any other invalid field. */
export function commandNow(metadata: { now?: unknown } | undefined): { iso: string; ms: number } {
  const iso = dateTime('metadata.now', metadata?.now);
  return { iso, ms: Date.parse(iso) };
}

/** In an update, a required field may be left out (undefined) but not cleared (null). */
export function notCleared(field: string, value: unknown): void {
  if (value === null)
    throw new DomainError('VALIDATION', `${field} cannot be cleared; give a new value or leave the field out`, { field });
}

/** An optional yes/no flag. */
export function optionalBoolean(field: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalid(field, `must be true or false; got ${describeValue(value)}`);
  return value;
}

/**
 * An update names only fields it may change. Callers that bypass the typed command (an LLM's raw
 * arguments, an import) get told which fields are fixed instead of having them silently ignored.
 */
export function onlyUpdatableFields(data: object, allowed: readonly string[], updatable: readonly string[]): void {
  for (const [field, value] of Object.entries(data)) {
    if (value === undefined || allowed.includes(field) || updatable.includes(field)) continue;
    throw new DomainError('VALIDATION', `${field} cannot be changed by an update; an update may change only ${updatable.join(', ')}`, {
      field,
    });
  }
}
