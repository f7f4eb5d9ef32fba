import { AdminApiError } from './admin-api-error';

/**
 * The query parameters of an endpoint that takes filters (not a plain list: see pagination.ts): none
 * outside `allowed` (400 UNKNOWN_FIELD naming the allowed ones), each at most once (a list is one
 * comma-separated value). An empty value counts as not given, as an HTML form sends an empty field.
 */
export function queryParams<P extends string>(query: Record<string, unknown>, allowed: readonly P[]): Partial<Record<P, string>> {
  const params: Partial<Record<P, string>> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!(allowed as readonly string[]).includes(name))
      throw new AdminApiError(
        400,
        'UNKNOWN_FIELD',
        `${JSON.stringify(name)} is not a query parameter of this endpoint; ${allowed.length > 0 ? `the parameters are ${allowed.join(', ')}` : 'it takes none'}`,
        { field: name, allowed: [...allowed] },
      );
    if (typeof value !== 'string')
      throw new AdminApiError(400, 'VALIDATION', `${name} is given more than once; give it once (several values as one comma-separated list, e.g. ${name}=a,b)`, { field: name });
    if (value !== '') params[name as P] = value;
  }
  return params;
}

/** `a,b , c` → ['a', 'b', 'c']; a single value stays a string (the queries take either). */
export function commaList(value: string | undefined): string | string[] | undefined {
  if (value === undefined || !value.includes(',')) return value;
  return value.split(',').map((v) => v.trim());
}
