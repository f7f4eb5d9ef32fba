/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * A real JSON Schema validator for the specs: ajv, the one the MCP SDK validates with (a transitive
 * dependency, so required here and in specs only, never by the server).
 */

type AjvValidate = ((data: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string; params?: unknown }> | null };
interface AjvInstance {
  compile(schema: object): AjvValidate;
}

function load(path: string): new (options: object) => AjvInstance {
  const mod = require(path) as { default?: new (options: object) => AjvInstance };
  return (mod.default ?? mod) as new (options: object) => AjvInstance;
}

/** Strict about the schemas themselves (unknown keywords are errors), union types allowed. */
const OPTIONS = { strict: true, allowUnionTypes: true, allErrors: true };

/** Draft-07 (ajv's default, what the SDK's client uses) and 2020-12 (MCP's default dialect). */
export function validators(): Array<{ dialect: string; ajv: AjvInstance }> {
  return [
    { dialect: 'draft-07', ajv: new (load('ajv'))(OPTIONS) },
    { dialect: '2020-12', ajv: new (load('ajv/dist/2020'))(OPTIONS) },
  ];
}

/** The schema with every object closed: extra properties in the real output then fail the check. */
export function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema))
    out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, closed(v)])) : closed(value);
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false;
  return out;
}

/** Validates `data`; returns ajv's errors as readable lines (empty when valid). */
export function schemaErrors(schema: object, data: unknown): string[] {
  const validate = new (load('ajv'))(OPTIONS).compile(closed(schema) as object);
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params ?? {})}`);
}
