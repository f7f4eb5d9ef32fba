import { DEFAULT_LIMIT, MAX_LIMIT } from '../../../customer-success/queries/shared/pagination';
import { MAX_TEXT } from '../../../customer-success/queries/shared/input';
import { TEXT_LIMITS } from '../../../customer-success/shared/values';

/**
 * Building blocks of the tools' input schemas. The limits and value lists come from the same
 * constants the DTOs and query guards use, so a schema cannot promise what the validator refuses.
 */

export type Schema = Record<string, unknown>;

const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';
const DATE_TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$';

export const id = (description: string): Schema => ({ type: 'string', minLength: 1, maxLength: TEXT_LIMITS.id, description });

/** For writes: null clears the field. */
export const nullableId = (description: string): Schema => ({ type: ['string', 'null'], minLength: 1, maxLength: TEXT_LIMITS.id, description });

/** One id or a list of them (any of), as the list queries accept. */
export const idOrIds = (description: string): Schema => ({
  anyOf: [id('one id'), { type: 'array', items: id('an id'), minItems: 1, maxItems: 100 }],
  description,
});

export const oneOf = (values: readonly string[], description: string): Schema => ({ type: 'string', enum: [...values], description });

export const oneOrMoreOf = (values: readonly string[], description: string): Schema => ({
  anyOf: [
    { type: 'string', enum: [...values] },
    { type: 'array', items: { type: 'string', enum: [...values] }, minItems: 1 },
  ],
  description: `${description} One of ${values.join(', ')}, or a list of them (any of).`,
});

export const date = (description: string): Schema => ({ type: 'string', pattern: DATE_PATTERN, description: `${description} (YYYY-MM-DD)` });

export const nullableDate = (description: string): Schema => ({
  type: ['string', 'null'],
  pattern: DATE_PATTERN,
  description: `${description} (YYYY-MM-DD; null clears it)`,
});

export const dateTime = (description: string): Schema => ({
  type: 'string',
  pattern: DATE_TIME_PATTERN,
  description: `${description} (ISO 8601 with a time zone, e.g. 2026-03-31T14:30:00Z)`,
});

/** A date or a date-time: the timeline's from/to bounds. */
export const dateOrDateTime = (description: string): Schema => ({ type: 'string', description });

export const text = (max: number, description: string): Schema => ({ type: 'string', maxLength: max, description });
export const requiredText = (max: number, description: string): Schema => ({ type: 'string', minLength: 1, maxLength: max, pattern: '\\S', description });
export const nullableText = (max: number, description: string): Schema => ({ type: ['string', 'null'], maxLength: max, description: `${description} (null clears it)` });

export const searchText = (description: string): Schema => ({ type: 'string', maxLength: MAX_TEXT, description });

export const number = (min: number, max: number, description: string): Schema => ({ type: 'number', minimum: min, maximum: max, description });
export const integer = (min: number, max: number, fallback: number, description: string): Schema => ({
  type: 'integer',
  minimum: min,
  maximum: max,
  default: fallback,
  description,
});
export const boolean = (description: string): Schema => ({ type: 'boolean', description });

export const LIMIT: Schema = integer(1, MAX_LIMIT, DEFAULT_LIMIT, `Items per page: 1-${MAX_LIMIT}, default ${DEFAULT_LIMIT}. For more, follow next_cursor.`);
export const CURSOR: Schema = {
  type: 'string',
  description: 'The next_cursor of the previous page, unchanged (with the same filters, sort and order); leave out for the first page.',
};
export const ORDER: Schema = oneOf(['asc', 'desc'], 'Sort direction; the default depends on the sort (see sort).');

export const IDEMPOTENCY_KEY: Schema = {
  type: 'string',
  pattern: '^[\\x21-\\x7e]{1,200}$',
  description:
    'Optional: a unique key you choose for this write (1-200 printable ASCII characters, no spaces), e.g. a UUID. ' +
    'Retrying with the same key and the same arguments returns the first result and writes nothing; the same key with other arguments is refused.',
};

/** An input schema: no argument outside `properties`. */
export function inputSchema(properties: Record<string, Schema>, required: readonly string[] = []) {
  return { type: 'object' as const, properties, ...(required.length > 0 ? { required } : {}), additionalProperties: false };
}
