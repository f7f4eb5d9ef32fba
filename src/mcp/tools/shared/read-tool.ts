import type { Query } from '@nestjs/cqrs';
import type { Position } from '@csmcp/event-store';
import { QueryError } from '../../../customer-success/queries/shared/query-error';
import type { ViewerScope } from '../../../customer-success/queries/shared/viewer';
import { describeValue } from '../../../customer-success/shared/validation';
import type { JsonSchemaObject, ToolContext, ToolDefinition, ToolOutput } from '../tool-definition';
import { readAnnotations } from './annotations';
import { camelToSnake, snakeToCamel } from './case';
import { inputSchema, type Schema } from './input-schemas';

/** One argument of a read tool: its schema, and how it reaches the query. */
export interface ReadArg {
  readonly schema: Schema;
  readonly required?: boolean;
  /** The query's field; default the argument's name in camelCase. */
  readonly field?: string;
  /** Values the tool spells in snake_case but the query in camelCase (sort names). */
  readonly values?: readonly string[];
}

export interface ReadToolSpec<Input, Result> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly args: Record<string, ReadArg>;
  readonly outputSchema: JsonSchemaObject;
  /** The query for this call; `input` holds only the arguments given, renamed, plus `after`. */
  readonly query: (viewer: ViewerScope, input: Input) => Query<Result>;
  readonly structured: (result: Result) => Record<string, unknown>;
  readonly text: (result: Result) => string;
}

/**
 * A read tool over one query. The tool checks only what the query cannot: argument names (so an
 * unknown one is named with the accepted list) and snake_case sort values. Types, ranges and formats
 * stay with the query's own guards; their refusals are renamed back to the arguments' names.
 */
export function readTool<Input, Result>(spec: ReadToolSpec<Input, Result>): ToolDefinition {
  const required = Object.entries(spec.args)
    .filter(([, a]) => a.required)
    .map(([name]) => name);
  return {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    inputSchema: inputSchema(
      Object.fromEntries(Object.entries(spec.args).map(([name, a]) => [name, a.schema])),
      required,
    ),
    outputSchema: spec.outputSchema,
    annotations: readAnnotations(spec.title),
    scope: 'cs:read',
    kind: 'read',
    async run(args: Record<string, unknown>, context: ToolContext): Promise<ToolOutput> {
      const input = queryInput(spec.args, args, context.after) as Input;
      const result = await inSnakeCase(spec.args, () => context.queries.execute(spec.query(context.viewer, input)));
      return { structured: spec.structured(result), text: spec.text(result) };
    },
  };
}

/** The tool's arguments as the query's input (camelCase), with `after` for read-your-writes. */
export function queryInput(specs: Record<string, ReadArg>, args: Record<string, unknown>, after: Position | undefined): Record<string, unknown> {
  const accepted = Object.keys(specs);
  // A call without arguments is a call with none.
  if (args === undefined || args === null) args = {};
  if (typeof args !== 'object' || Array.isArray(args))
    throw new QueryError('INVALID_QUERY', `The arguments must be an object; accepted: ${accepted.join(', ') || 'none'}`);
  const input: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) {
    // Own keys only: "constructor" or "toString" must not find Object's (the MCP fuzz soak sent
    // {"constructor": [...]} and the call failed INTERNAL), nor "__proto__" set the input's prototype.
    const spec = Object.prototype.hasOwnProperty.call(specs, name) ? specs[name] : undefined;
    if (!spec) {
      const hint = name === 'after' ? ' (read-your-writes is automatic within a session)' : '';
      throw new QueryError('INVALID_QUERY', `${name} is not an argument of this tool${hint}; accepted: ${accepted.join(', ') || 'none'}`, { field: name });
    }
    if (value === undefined || value === null) continue;
    input[spec.field ?? snakeToCamel(name)] = spec.values ? camelValue(name, value, spec.values) : value;
  }
  if (after !== undefined) input.after = after;
  return input;
}

function camelValue(name: string, value: unknown, allowed: readonly string[]): string {
  if (typeof value === 'string' && allowed.includes(value)) return snakeToCamel(value);
  throw new QueryError('INVALID_QUERY', `${name} must be one of ${allowed.join(', ')}; got ${describeValue(value)}`, { field: name });
}

/**
 * Runs a query and renames, in its refusals, the query's camelCase fields to the tool's argument
 * names: an LLM must be told about `due_from`, the argument it sent, not `dueFrom`.
 */
export async function inSnakeCase<T>(specs: Record<string, ReadArg>, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof QueryError)) throw error;
    const renames = new Map<string, string>([['nextCursor', 'next_cursor']]);
    for (const [name, spec] of Object.entries(specs)) renames.set(spec.field ?? snakeToCamel(name), name);
    const pattern = new RegExp(`\\b(${[...renames.keys()].filter((k) => renames.get(k) !== k).join('|')})\\b`, 'g');
    const message = error.message.replace(pattern, (word) => renames.get(word) ?? word);
    const field = error.field === undefined ? undefined : (renames.get(error.field) ?? camelToSnake(error.field));
    throw new QueryError(error.code, message, field === undefined ? {} : { field });
  }
}
