/**
 * MCP arguments and results are snake_case (the write DTOs already are); the query side speaks
 * camelCase. These convert names at the edge, and nowhere else.
 */

export function snakeToCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function camelToSnake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A view (plain JSON: objects, arrays, scalars) with every object key in snake_case. */
export function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) out[camelToSnake(key)] = snakeKeys(field);
  return out;
}

/** snakeKeys of an object, typed as the object the structured output must be. */
export function snakeObject(value: object): Record<string, unknown> {
  return snakeKeys(value) as Record<string, unknown>;
}
