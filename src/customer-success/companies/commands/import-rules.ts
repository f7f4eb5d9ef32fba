import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';
import { describeValue, parseDateTime } from '../../shared/validation';

/**
 * Field rules of the import DTOs. Rows come from CSV (every cell is text) or JSON (typed), so each
 * rule first normalises the value the same way for both: text is trimmed and an empty cell is null
 * ("no value"), numbers and yes/no written as text are read as such, enum values are matched
 * ignoring case and separators ("mid-market" is MidMarket). Then it checks the value; a failure says
 * what was wrong (`problem`) and what is allowed (`allowed`), which the per-row report prints.
 *
 * A field left out of a row (a column the file does not have) stays undefined: for a record that
 * exists it keeps its value. Required fields refuse null; most fields accept it.
 */

export interface RuleContext {
  readonly allowed: string;
}

type Check = (value: unknown) => string | null;

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

function rule(name: string, allowed: string, check: Check, normalize: (value: unknown) => unknown): PropertyDecorator {
  return (target, key) => {
    Transform(({ value }) => normalize(value))(target, key);
    ValidateBy(
      {
        name,
        validator: {
          validate: (value) => check(value) === null,
          defaultMessage: (args) => check(args?.value) ?? 'is not valid',
        },
      },
      { context: { allowed } satisfies RuleContext },
    )(target, key);
  };
}

// --- normalisation ---------------------------------------------------------------------------

export function normalizeText(value: unknown): unknown {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return value;
  const text = value.trim();
  return text === '' ? null : text;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function normalizeNumber(value: unknown): unknown {
  const text = normalizeText(value);
  if (typeof text !== 'string') return text;
  // 1,250,000 and 1 250 000 are how spreadsheets often write amounts.
  const compact = text.replace(/(?<=\d)[ ,_](?=\d{3}\b)/g, '');
  return NUMBER.test(compact) ? Number(compact) : text;
}

const YES = ['true', 'yes', 'y', '1'];
const NO = ['false', 'no', 'n', '0'];

export function normalizeBoolean(value: unknown): unknown {
  if (value === 1 || value === 0) return value === 1;
  const text = normalizeText(value);
  if (typeof text !== 'string') return text;
  const lower = text.toLowerCase();
  return YES.includes(lower) ? true : NO.includes(lower) ? false : text;
}

const canonical = (text: string) => text.toLowerCase().replace(/[\s_-]+/g, '');

export function normalizeEnum(values: readonly string[]): (value: unknown) => unknown {
  return (value) => {
    const text = normalizeText(value);
    if (typeof text !== 'string') return text;
    return values.find((v) => canonical(v) === canonical(text)) ?? text;
  };
}

// --- rules -------------------------------------------------------------------------------------

const got = (value: unknown) => `got ${describeValue(value)}`;

/** An id: required (not null), no spaces, at most 200 characters. */
export const RequiredIdColumn = (what: string) =>
  rule('importId', `${what} (no spaces, at most 200 characters)`, (v) => {
    if (v === undefined || v === null) return 'is missing';
    return idProblem(v);
  }, normalizeText);

/** An id or nothing. */
export const IdColumn = (what: string) =>
  rule('importId', `${what} (no spaces, at most 200 characters), or empty`, (v) => (v === undefined || v === null ? null : idProblem(v)), normalizeText);

function idProblem(v: unknown): string | null {
  if (typeof v !== 'string') return got(v);
  if (/\s/.test(v) || CONTROL.test(v)) return `${got(v)}, which contains spaces or control characters`;
  if (v.length > 200) return `has ${v.length} characters`;
  return null;
}

/** Text that may be left out but not emptied (a name). */
export const NameColumn = (max: number) =>
  rule('importName', `text of at most ${max} characters`, (v) => {
    if (v === undefined) return null;
    if (v === null) return 'is empty';
    return textProblem(v, max);
  }, normalizeText);

/** Text that must be there (a measure's name). */
export const RequiredTextColumn = (max: number) =>
  rule('importRequiredText', `text of at most ${max} characters`, (v) => (v === undefined || v === null ? 'is missing' : textProblem(v, max)), normalizeText);

/** Text, or empty for none. */
export const TextColumn = (max: number) =>
  rule('importText', `text of at most ${max} characters, or empty`, (v) => (v === undefined || v === null ? null : textProblem(v, max)), normalizeText);

function textProblem(v: unknown, max: number): string | null {
  if (typeof v !== 'string') return got(v);
  if (v.length > max) return `has ${v.length} characters`;
  if (CONTROL.test(v)) return 'contains control characters';
  return null;
}

export const EnumColumn = (values: readonly string[]) =>
  rule('importEnum', `one of ${values.join(', ')}, or empty`, (v) => (v === undefined || v === null || values.includes(v as string) ? null : got(v)), normalizeEnum(values));

export const CountColumn = (max = 10_000_000) =>
  rule(
    'importCount',
    `a whole number from 0 to ${max}, or empty`,
    (v) => (v === undefined || v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max) ? null : got(v)),
    normalizeNumber,
  );

export const AmountColumn = () =>
  rule(
    'importAmount',
    'an amount from 0 (digits, optional decimals, no currency sign), or empty for 0',
    (v) => (v === undefined || v === null || (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1e15) ? null : got(v)),
    normalizeNumber,
  );

export const ScoreColumn = (required: boolean) =>
  rule(
    'importScore',
    required ? 'a number from 0 to 100' : 'a number from 0 to 100, or empty',
    (v) => {
      if (v === undefined || v === null) return required ? 'is missing' : null;
      return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100 ? null : got(v);
    },
    normalizeNumber,
  );

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isCalendarDate(value: unknown): boolean {
  const m = typeof value === 'string' ? CALENDAR_DATE.exec(value) : null;
  return m !== null && Number(m[1]) >= 1900 && parseDateTime(`${value as string}T00:00:00Z`) !== null;
}

export const DateColumn = (required = false) =>
  rule(
    'importDate',
    `a date written YYYY-MM-DD (from 1900), e.g. 2026-03-31${required ? '' : ', or empty'}`,
    (v) => {
      if (v === undefined || v === null) return required ? 'is missing' : null;
      return isCalendarDate(v) ? null : got(v);
    },
    normalizeText,
  );

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const EmailColumn = () =>
  rule(
    'importEmail',
    'an email address like anna@example.com, or empty',
    (v) => (v === undefined || v === null ? null : typeof v === 'string' && v.length <= 320 && EMAIL.test(v) ? null : got(v)),
    normalizeText,
  );

export const BooleanColumn = () =>
  rule('importBoolean', 'true or false (also yes/no, 1/0), or empty for false', (v) => (v === undefined || v === null || typeof v === 'boolean' ? null : got(v)), normalizeBoolean);
