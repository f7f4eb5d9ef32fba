/**
 * Stable codes of the read side; a transport maps them once (MCP tool result, HTTP status, CLI exit
 * code). Never rename one: clients and LLMs branch on them.
 */
export const QUERY_ERROR_CODES = ['NOT_FOUND', 'INVALID_QUERY', 'INVALID_CURSOR'] as const;
export type QueryErrorCode = (typeof QUERY_ERROR_CODES)[number];

/**
 * A query refused: an unknown (or invisible) id, an input that is not allowed, a cursor that is not
 * one of ours. The message says what was wrong and what is allowed; it never contains SQL.
 */
export class QueryError extends Error {
  readonly field?: string;

  constructor(
    readonly code: QueryErrorCode,
    message: string,
    options: { field?: string } = {},
  ) {
    super(message);
    this.name = 'QueryError';
    if (options.field !== undefined) this.field = options.field;
  }
}

export function invalidQuery(field: string, message: string): QueryError {
  return new QueryError('INVALID_QUERY', `${field} ${message}`, { field });
}

/**
 * The same answer for a record that does not exist and one the caller may not see, so ids cannot
 * be probed.
 */
export function notFound(what: string, id: string, hint: string): QueryError {
  return new QueryError('NOT_FOUND', `There is no ${what} with id ${JSON.stringify(id)} that you can see; ${hint}`);
}
