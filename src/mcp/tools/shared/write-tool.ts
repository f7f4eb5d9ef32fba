import type { Command } from '@nestjs/cqrs';
import { GetCompanyQuery } from '../../../customer-success/queries/get-company/get-company.query';
import type { WriteContext, WriteResult } from '../../../customer-success/write/write-context';
import type { JsonSchemaObject, ToolContext, ToolDefinition, ToolOutput } from '../tool-definition';
import { createAnnotations, updateAnnotations } from './annotations';
import { camelToSnake, snakeToCamel } from './case';
import { WRITE_RESULT } from './output-schemas';
import { clip } from './render';

export interface WriteToolSpec {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly inputSchema: JsonSchemaObject;
  readonly operation: 'create' | 'update';
  /** The command for the raw arguments: its DTO is the one judge of what is accepted. */
  readonly command: (input: unknown, context: WriteContext) => Command<WriteResult>;
  /** The outcome in a line, e.g. `Created CTA "Renewal risk" for c-acme`. */
  readonly done: (result: WriteResult, args: Record<string, unknown>) => string;
  readonly describeChange: (args: Record<string, unknown>, context: ToolContext) => Promise<string>;
}

/**
 * A write tool over one command. The arguments go to the command untouched (idempotency_key is one
 * of the DTO's fields and part of the request hash); the key also goes into the write context so the
 * pipeline derives the write's ids from it.
 */
export function writeTool(spec: WriteToolSpec): ToolDefinition {
  return {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    inputSchema: spec.inputSchema,
    outputSchema: WRITE_RESULT,
    annotations: spec.operation === 'create' ? createAnnotations(spec.title) : updateAnnotations(spec.title),
    scope: 'cs:write',
    kind: 'write',
    async run(args: Record<string, unknown>, context: ToolContext): Promise<ToolOutput> {
      // A key of the wrong type is left to the DTO to refuse, with its message.
      const key = typeof args?.idempotency_key === 'string' ? args.idempotency_key : null;
      const result = await context.commands.execute(spec.command(args, context.writeContext(key)));
      return { structured: writeStructured(result), text: writeText(result, spec.done(result, args)), position: result.position };
    },
    describeChange: spec.describeChange,
  };
}

export function writeStructured(result: WriteResult): Record<string, unknown> {
  return {
    entity_type: result.entityType,
    entity_id: result.entityId,
    parent_id: result.parentId ?? null,
    revision: result.revision,
    events: result.events.map((e) => ({ id: e.id, type: e.type })),
    // Field names as the tools spell them (due_date), not as the events do (dueDate).
    changes: (result.changes ?? []).map((c) => ({ field: camelToSnake(c.field), from: c.from ?? null, to: c.to ?? null })),
    replayed: result.replayed,
  };
}

function writeText(result: WriteResult, done: string): string {
  const changes = (result.changes ?? []).map((c) => {
    const field = camelToSnake(c.field);
    return `- ${field}: ${showField(field, c.from)} → ${showField(field, c.to)}`;
  });
  const replay = result.replayed ? ' (repeat of an earlier call with this idempotency_key: nothing new was written)' : '';
  return [`${done}${replay}`, ...changes].join('\n');
}

/** A value in a sentence: text quoted (and clipped), null as "(none)". */
export function show(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (typeof value === 'string') return JSON.stringify(clip(value, 80));
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.map(show).join(', ');
  return String(value);
}

/** "Acme [c-acme]" when the caller can see it, else just the id: a description never fails on a lookup. */
export async function companyLabel(companyId: unknown, context: ToolContext): Promise<string> {
  if (typeof companyId !== 'string') return `company ${show(companyId)}`;
  try {
    const company = await context.queries.execute(new GetCompanyQuery(context.viewer, { companyId, ...(context.after ? { after: context.after } : {}) }));
    return `${company.name} [${companyId}]`;
  } catch {
    return `company ${companyId}`;
  }
}

/** The given optional fields, in the order of `fields`, as "field value" parts. */
export function givenFields(args: Record<string, unknown>, fields: readonly string[]): string[] {
  return fields.filter((f) => args[f] !== undefined).map((f) => `${f} ${showField(f, args[f])}`);
}

// Free text is quoted in a description; values, dates and ids read better bare.
const TEXT_FIELDS = new Set(['name', 'title', 'subject', 'reason', 'comments', 'description', 'notes']);

export function showField(field: string, value: unknown): string {
  if (typeof value === 'string' && !TEXT_FIELDS.has(field)) return value;
  return show(value);
}

/** For updates: each field given as `field: old → new` against the current record (view, camelCase). */
export function fieldChanges(args: Record<string, unknown>, fields: readonly string[], current: Record<string, unknown> | null): string[] {
  return fields
    .filter((f) => args[f] !== undefined)
    .map((f) => {
      if (!current) return `${f} → ${showField(f, args[f])}`;
      const before = current[snakeToCamel(f)] ?? null;
      return before === args[f] ? `${f}: ${showField(f, before)} (unchanged)` : `${f}: ${showField(f, before)} → ${showField(f, args[f])}`;
    });
}

/** Runs a lookup for a description; null when it fails (the write will say why, if it is refused). */
export async function lookup<T>(work: () => Promise<T>): Promise<T | null> {
  try {
    return await work();
  } catch {
    return null;
  }
}

export function afterOf(context: ToolContext) {
  return context.after ? { after: context.after } : {};
}
