import * as fc from 'fast-check';
import { badDate, nastyJson, nastyNumber, nastyString, sometimes } from './fuzz-http';

/**
 * Near-valid and invalid values from a JSON Schema (the tools' inputSchemas from tools/list): mostly
 * values of the right type and range (so calls reach the handlers, not just the schema check), with
 * wrong types, out-of-range numbers, bad dates, nasty strings, missing required and unknown
 * properties mixed in. `ids` are real ids of the store, so some calls find their records.
 */
export type JsonSchema = Record<string, any>;

export function valueFor(schema: JsonSchema | undefined, ids: readonly string[], depth = 0): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 5, arbitrary: plausibleFor(schema ?? {}, ids, depth) },
    { weight: 1, arbitrary: depth > 2 ? fc.jsonValue({ maxDepth: 1 }) : nastyJson },
  );
}

function plausibleFor(schema: JsonSchema, ids: readonly string[], depth: number): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.enum)) return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...(schema.enum as unknown[])) }, { weight: 1, arbitrary: nastyString });
  for (const key of ['anyOf', 'oneOf'] as const)
    if (Array.isArray(schema[key]) && schema[key].length > 0) return fc.oneof(...(schema[key] as JsonSchema[]).map((s) => plausibleFor(s, ids, depth + 1)));
  const types: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : ['string', 'number', 'object'];
  return fc.oneof(...types.map((type) => ofType(type, schema, ids, depth)));
}

function ofType(type: string, schema: JsonSchema, ids: readonly string[], depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.oneof(fc.boolean(), fc.constantFrom('true', 0, 1));
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : -1_000;
      const max = typeof schema.maximum === 'number' ? schema.maximum : 1_000_000;
      return fc.oneof(
        { weight: 4, arbitrary: type === 'integer' ? fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) }) : fc.double({ min, max, noNaN: true }) },
        { weight: 1, arbitrary: fc.constantFrom(min - 1, max + 1, 1.5, '10', -0) },
        { weight: 1, arbitrary: nastyNumber },
      );
    }
    case 'string': {
      const pattern = String(schema.pattern ?? '');
      const description = String(schema.description ?? '');
      if (pattern.includes('\\d{4}-\\d{2}-\\d{2}T'))
        return fc.oneof(fc.date({ noInvalidDate: true, min: new Date('1900-01-01'), max: new Date('2200-01-01') }).map((d) => d.toISOString()), badDate);
      if (pattern.includes('\\d{4}-\\d{2}-\\d{2}') || /YYYY-MM-DD/.test(description))
        return fc.oneof(fc.date({ noInvalidDate: true, min: new Date('1900-01-01'), max: new Date('2200-01-01') }).map((d) => d.toISOString().slice(0, 10)), badDate);
      const known = ids.length > 0 ? [{ weight: 3, arbitrary: fc.constantFrom(...ids) }] : [];
      return fc.oneof(
        ...known,
        { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: Math.min(Number(schema.maxLength ?? 60), 60) }) },
        { weight: 2, arbitrary: nastyString },
        ...(typeof schema.maxLength === 'number' ? [{ weight: 1, arbitrary: fc.constant('y'.repeat(schema.maxLength + 1)) }] : []),
      );
    }
    case 'array':
      if (depth > 3) return fc.constant([]);
      return fc.array(valueFor(schema.items, ids, depth + 1), { maxLength: typeof schema.maxItems === 'number' ? Math.min(schema.maxItems + 1, 8) : 5 });
    case 'object':
      return depth > 3 ? fc.constant({}) : argumentsFor(schema, ids, depth + 1);
    default:
      return nastyJson;
  }
}

/**
 * Arguments for a tool: a random subset of its properties (required ones usually there), each
 * plausible or not, sometimes an unknown property, sometimes not an object at all.
 */
export function argumentsFor(schema: JsonSchema, ids: readonly string[], depth = 0): fc.Arbitrary<unknown> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set<string>(Array.isArray(schema.required) ? schema.required : []);
  const names = Object.keys(properties);
  const object = fc
    .tuple(
      fc.tuple(...names.map((name) => fc.tuple(fc.constant(name), fc.double({ min: 0, max: 1, noNaN: true }), valueFor(properties[name], ids, depth)))),
      sometimes(fc.dictionary(fc.oneof(nastyString, fc.constantFrom('__proto__', 'constructor', 'extra', 'company_ids', 'owner_id')), nastyJson, { maxKeys: 2 }), 8),
    )
    .map(([entries, extra]) => {
      const args: Record<string, unknown> = {};
      // A required property is kept 95% of the time, an optional one half of the time.
      for (const [name, roll, value] of entries) if (roll < (required.has(name) ? 0.95 : 0.5)) args[name] = value;
      if (extra) for (const [k, v] of Object.entries(extra)) Object.defineProperty(args, k, { value: v, enumerable: true, writable: true, configurable: true });
      return args;
    });
  if (depth > 0) return object;
  return fc.oneof({ weight: 12, arbitrary: object }, { weight: 1, arbitrary: nastyJson });
}

/**
 * Arguments that satisfy the schema as far as a schema can say (required properties present, right
 * types, enums, ranges, dates, real ids for *_id): calls that get past validation and write, so the
 * properties are also tested on the paths that succeed. Ids of other owners' records still get refused.
 */
export function validArgumentsFor(schema: JsonSchema, ids: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set<string>(Array.isArray(schema.required) ? schema.required : []);
  const names = Object.keys(properties);
  return fc
    .tuple(...names.map((name) => fc.tuple(fc.constant(name), fc.boolean(), validValue(name, properties[name], ids, 0))))
    .map((entries) => Object.fromEntries(entries.filter(([name, keep]) => keep || required.has(name)).map(([name, , value]) => [name, value])));
}

const WORDS = fc.constantFrom('Renewal at risk', 'QBR prep', 'Onboarding', 'Usage dropped', 'Exec sponsor left', "O'Reilly & Sons", 'Ünïcode ✓', '50% off_');

function validValue(name: string, schema: JsonSchema, ids: readonly string[], depth: number): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  for (const key of ['anyOf', 'oneOf'] as const)
    if (Array.isArray(schema[key]) && schema[key].length > 0) return fc.oneof(...(schema[key] as JsonSchema[]).map((s) => validValue(name, s, ids, depth + 1)));
  const types = (Array.isArray(schema.type) ? schema.type : [schema.type ?? 'string']).filter((t: string) => t !== 'null') as string[];
  const type = types[0] ?? 'string';
  switch (type) {
    case 'boolean':
      return fc.boolean();
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : 0;
      const max = typeof schema.maximum === 'number' ? schema.maximum : 100_000;
      return type === 'integer' ? fc.integer({ min, max: Math.min(max, 2 ** 31) }) : fc.integer({ min: Math.ceil(min), max: Math.floor(Math.min(max, 1e9)) });
    }
    case 'array':
      return fc.array(validValue(name, schema.items ?? {}, ids, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 3, 3) });
    case 'object':
      return depth > 2 ? fc.constant({}) : validArgumentsFor(schema, ids);
    default: {
      const pattern = String(schema.pattern ?? '');
      if (pattern.includes('\\d{4}-\\d{2}-\\d{2}T')) return fc.date({ noInvalidDate: true, min: new Date('2020-01-01'), max: new Date('2030-01-01') }).map((d) => d.toISOString());
      if (pattern.includes('\\d{4}-\\d{2}-\\d{2}') || /YYYY-MM-DD/.test(String(schema.description ?? '')))
        return fc.date({ noInvalidDate: true, min: new Date('2020-01-01'), max: new Date('2030-01-01') }).map((d) => d.toISOString().slice(0, 10));
      if (pattern.startsWith('^[\\x21-\\x7e]')) return fc.uuid();
      if ((name.endsWith('_id') || name.endsWith('_ids')) && ids.length > 0) return fc.constantFrom(...ids);
      if (name === 'cursor') return fc.constant(undefined);
      return WORDS;
    }
  }
}
