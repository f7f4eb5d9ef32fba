import { AdminApiError } from './admin-api-error';

/** What a field of a request body may hold. Services check the values themselves; this checks the JSON types. */
export type FieldKind = 'string' | 'string|null' | 'string[]' | 'boolean' | 'object' | 'number' | 'number|null';

export type FieldSpec = Readonly<Record<string, { readonly kind: FieldKind; readonly required?: boolean }>>;

type ValueOf<K extends FieldKind> = K extends 'string'
  ? string
  : K extends 'string|null'
    ? string | null
    : K extends 'string[]'
      ? string[]
      : K extends 'boolean'
        ? boolean
        : K extends 'number'
          ? number
          : K extends 'number|null'
            ? number | null
            : Record<string, unknown>;
export type FieldsOf<S extends FieldSpec> = { -readonly [F in keyof S]?: ValueOf<S[F]['kind']> };

const KIND_WORDS: Record<FieldKind, string> = {
  string: 'a string',
  // As number|null: null is a value (e.g. "no team"), so a missing field stays missing.
  'string|null': 'a string or null',
  'string[]': 'an array of strings',
  boolean: 'true or false',
  object: 'an object',
  number: 'a number',
  // null is a value here (e.g. "no limit"), so it must be given: a missing field stays missing.
  'number|null': 'a number or null',
};

/**
 * The body's fields, checked against `spec`: a JSON object, no field outside the spec (400
 * UNKNOWN_FIELD naming it and the allowed ones), each of its JSON type, the required ones present
 * (400 VALIDATION naming the field and what it must be). A missing body counts as `{}`.
 */
export function fieldsOf<S extends FieldSpec>(body: unknown, spec: S): FieldsOf<S> {
  const allowed = Object.keys(spec);
  if (body === undefined) body = {};
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new AdminApiError(400, 'VALIDATION', `The body must be a JSON object${allowed.length > 0 ? ` with the fields ${allowed.join(', ')}` : ' ({} or none)'}`, { field: null, allowed });
  const input = body as Record<string, unknown>;
  for (const field of Object.keys(input))
    if (!Object.hasOwn(spec, field))
      throw new AdminApiError(
        400,
        'UNKNOWN_FIELD',
        `${JSON.stringify(field)} is not a field of this request; ${allowed.length > 0 ? `the fields are ${allowed.join(', ')}` : 'it takes none'}`,
        { field, allowed },
      );
  const fields: Record<string, unknown> = {};
  for (const [field, { kind, required }] of Object.entries(spec)) {
    const value = input[field];
    if (value === undefined) {
      if (required) throw new AdminApiError(400, 'VALIDATION', `${field} is required: ${KIND_WORDS[kind]}`, { field });
      continue;
    }
    if (!isKind(value, kind)) throw new AdminApiError(400, 'VALIDATION', `${field} must be ${KIND_WORDS[kind]}; got ${describe(value)}`, { field });
    fields[field] = value;
  }
  return fields as FieldsOf<S>;
}

function isKind(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'string|null':
      return value === null || typeof value === 'string';
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'number|null':
      return value === null || (typeof value === 'number' && Number.isFinite(value));
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.every((v) => typeof v === 'string') ? 'an array' : 'an array with a value that is not a string';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`.slice(0, 80);
}
