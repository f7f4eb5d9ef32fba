import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { createHash, randomUUID } from 'node:crypto';
import { ConcurrencyError, type EventStore, type JsonObject, type RecordedEvent } from '@csmcp/event-store';
import { handleCommand, type DeciderLike } from '../../../infrastructure/aggregate-store';
import { foldEvents } from '../../shared/decider';
import { DomainError } from '../../shared/domain-error';
import { deterministicUuid } from '../../write/deterministic-id';
import { constructorKeyAt } from '../../write/validate-input';
import { adminMetadata, type AdminContext } from './admin-context';
import type { RuleContext } from './import-rules';
import { forEachLimit } from './pool';
import { ReferenceLookups } from './reference-lookups';

/**
 * The engine behind every reference-data import (companies, relationships, contacts, scorecards):
 * validate EVERY row first (shape, references, the decider's own rules), and write nothing unless
 * all rows are good. Then write row by row through the decider: a new record is created, an existing
 * one records only what changed, an unchanged one writes nothing, so importing a file again writes
 * nothing new. Event ids derive from the batch id (the file's hash), the row and the revision the
 * row was decided on: a retry after a crash re-appends the very same events (the store answers as
 * the first time) and then completes the rows that were not written.
 */

/** One row as read from a file: `row` is what the error report calls it (the CSV line, or the JSON position). */
export interface ImportRow {
  readonly row: number;
  readonly data: unknown;
  /** How the report names a field of this row when it differs from the DTO's (e.g. a CSV column for a nested value). */
  readonly fieldLabels?: Readonly<Record<string, string>>;
}

export interface RowProblem {
  readonly row: number;
  readonly field: string;
  /** What is wrong with the value. */
  readonly problem: string;
  /** What the field accepts; null when the problem says it all. */
  readonly allowed: string | null;
}

export type ImportOutcome = 'created' | 'changed' | 'unchanged';

export interface ImportRowResult {
  readonly row: number;
  readonly id: string;
  readonly outcome: ImportOutcome;
  /** For changed records: the fields that changed. */
  readonly changedFields: readonly string[];
}

export interface ImportResult {
  readonly kind: ImportKind;
  readonly dryRun: boolean;
  readonly created: number;
  readonly changed: number;
  readonly unchanged: number;
  /** Events written (0 in a dry run). */
  readonly events: number;
  readonly rows: readonly ImportRowResult[];
}

export interface ImportOptions {
  /** Validate and report what would be created, changed or unchanged; write nothing. */
  readonly dryRun?: boolean;
  /** Names the batch, e.g. the sha256 of the file: event ids derive from it. Default: ids are random. */
  readonly batchId?: string;
  /** Records written at once. Default 64. */
  readonly concurrency?: number;
  /** Companies being imported in the same run (the same file): references to them count as existing. */
  readonly pendingCompanyIds?: Iterable<string>;
}

export const IMPORT_KINDS = ['companies', 'relationships', 'contacts', 'scorecards'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/** Some rows are wrong: nothing was imported. */
export class ImportRejectedError extends Error {
  readonly code = 'IMPORT_REJECTED' as const;
  constructor(
    readonly kind: ImportKind,
    readonly problems: readonly RowProblem[],
  ) {
    const shown = problems.slice(0, 5).map((p) => `row ${p.row} ${p.field}: ${p.problem}${p.allowed ? ` (allowed: ${p.allowed})` : ''}`);
    super(
      `The ${kind} import has ${problems.length} problem${problems.length === 1 ? '' : 's'}, so nothing was imported: ${shown.join('; ')}` +
        (problems.length > shown.length ? `; and ${problems.length - shown.length} more` : ''),
    );
    this.name = 'ImportRejectedError';
  }
}

export type Report = (field: string, problem: string, allowed?: string | null) => void;

/** What one kind of import needs: its DTO, how a valid row becomes the decider's command, and where it goes. */
export interface ImportSpec<Dto extends object, Data, Command, State, Event extends { type: string; data: object }> {
  readonly kind: ImportKind;
  /** "company": in messages. */
  readonly record: string;
  readonly dto: ClassConstructor<Dto>;
  /** The DTO's columns, for the message about a column that is not one. */
  readonly columns: readonly string[];
  /** Checks against the store (companies and owners that must exist) and maps the row to command data; null when it reported a problem. */
  resolve(dto: Dto, refs: ReferenceLookups, report: Report): Promise<Data | null>;
  /** The record's id (in results), its stream, the key that may appear once per batch, and the column naming it. */
  identify(data: Data): { id: string; stream: string; unique: string; column: string };
  readonly decider: DeciderLike<Command, State, Event>;
  command(data: Data, now: string): Command;
  /** created / changed for the events a row produced on top of `before`. */
  outcome(events: Event[], before: State): Exclude<ImportOutcome, 'unchanged'>;
  changedFields(events: Event[]): string[];
  /** Decider fields (camelCase) to report under the DTO's column names. */
  readonly fieldColumns?: Readonly<Record<string, string>>;
}

interface Planned<Data, Event> {
  readonly row: ImportRow;
  readonly data: Data;
  readonly key: { id: string; stream: string };
  events: Event[];
  /** Events in the record's stream when its events were decided. */
  revision: number;
  outcome: ImportOutcome;
  changedFields: string[];
}

export async function runImport<Dto extends object, Data, Command, State, Event extends { type: string; data: object }>(
  store: EventStore,
  spec: ImportSpec<Dto, Data, Command, State, Event>,
  rows: readonly ImportRow[],
  context: AdminContext,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const now = (context.now ?? new Date()).toISOString();
  const concurrency = options.concurrency ?? 64;
  const refs = new ReferenceLookups(store, options.pendingCompanyIds);
  const problems: RowProblem[] = [];

  // 1. Shape and references, row by row.
  const resolved: Array<{ row: ImportRow; data: Data } | null> = new Array(rows.length).fill(null);
  await forEachLimit(rows, concurrency, async (row, index) => {
    const report: Report = (field, problem, allowed = null) =>
      problems.push({ row: row.row, field: row.fieldLabels?.[field] ?? field, problem, allowed });
    const dto = validateRow(spec, row, report);
    if (dto === null) return;
    const data = await spec.resolve(dto, refs, report);
    if (data !== null) resolved[index] = { row, data };
  });

  // 2. A record appears once per batch (two rows for one company would race each other).
  const planned: Array<Planned<Data, Event>> = [];
  const firstRow = new Map<string, number>();
  for (const item of resolved) {
    if (item === null) continue;
    const key = spec.identify(item.data);
    const first = firstRow.get(key.unique);
    if (first !== undefined) {
      problems.push({
        row: item.row.row,
        field: key.column,
        problem: `repeats the ${spec.record} of row ${first}`,
        allowed: `each ${spec.record} once per file`,
      });
      continue;
    }
    firstRow.set(key.unique, item.row.row);
    planned.push({ row: item.row, data: item.data, key, events: [], revision: 0, outcome: 'unchanged', changedFields: [] });
  }

  // 3. The decider's own rules, on the current state of each record.
  await forEachLimit(planned, concurrency, async (item) => {
    const history = await store.readStream(item.key.stream);
    const before = foldEvents(spec.decider, history as unknown as Event[]);
    item.revision = history.length;
    try {
      item.events = spec.decider.decide(spec.command(item.data, now), before);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const field = error.field === undefined ? '(row)' : (spec.fieldColumns?.[error.field] ?? error.field);
      problems.push({ row: item.row.row, field: item.row.fieldLabels?.[field] ?? field, problem: error.message, allowed: null });
      return;
    }
    setOutcome(spec, item, before);
  });

  if (problems.length > 0) throw new ImportRejectedError(spec.kind, problems.sort((a, b) => a.row - b.row));
  if (options.dryRun) return summarize(spec.kind, true, planned, 0);

  // 4. Write. Rows of one stream (a company's scorecard readings) go one after the other.
  const commandId = options.batchId ? deterministicUuid(`import|${options.batchId}|${spec.kind}`) : randomUUID();
  const metadata = adminMetadata(context, commandId);
  const streams = new Map<string, Array<Planned<Data, Event>>>();
  for (const item of planned) {
    if (item.events.length === 0) continue;
    const group = streams.get(item.key.stream);
    if (group) group.push(item);
    else streams.set(item.key.stream, [item]);
  }
  let events = 0;
  const eventIds = (item: Planned<Data, Event>, revision: number) =>
    options.batchId ? (i: number) => deterministicUuid(`import|${options.batchId}|${spec.kind}|${item.row.row}|${item.key.stream}|${revision}|${i}`) : undefined;
  await forEachLimit([...streams.values()], concurrency, async (group) => {
    for (const [n, item] of group.entries()) {
      // The first row of a stream was decided on the revision read above: append it at that revision.
      // If the stream moved since (or for the next rows of the same stream), decide again on a fresh read.
      if (n === 0) {
        const ids = eventIds(item, item.revision);
        try {
          await store.appendToStream(
            item.key.stream,
            item.events.map((e, i) => ({ id: ids?.(i), type: e.type, data: e.data as JsonObject })),
            { expectedRevision: item.revision === 0 ? 'no_stream' : item.revision - 1, metadata },
          );
          events += item.events.length;
          continue;
        } catch (error) {
          if (!(error instanceof ConcurrencyError)) throw error;
        }
      }
      let revision = -1;
      const outcome = await handleCommand(
        store,
        item.key.stream,
        spec.decider,
        (history: RecordedEvent[]) => {
          // Read here, used by the event ids in the same attempt: the ids name the revision decided on.
          revision = history.length;
          return spec.command(item.data, now);
        },
        { metadata, eventIds: options.batchId ? (i) => eventIds(item, revision)!(i) : undefined },
      );
      item.events = outcome.events;
      events += outcome.events.length;
      setOutcome(spec, item, foldEvents(spec.decider, outcome.history as unknown as Event[]));
    }
  });
  return summarize(spec.kind, false, planned, events);
}

function setOutcome<Data, State, Event extends { type: string; data: object }>(
  spec: ImportSpec<object, Data, unknown, State, Event>,
  item: Planned<Data, Event>,
  before: State,
): void {
  item.outcome = item.events.length === 0 ? 'unchanged' : spec.outcome(item.events, before);
  item.changedFields = item.outcome === 'changed' ? spec.changedFields(item.events) : [];
}

function summarize<Data, Event>(kind: ImportKind, dryRun: boolean, planned: Array<Planned<Data, Event>>, events: number): ImportResult {
  const rows = planned.map((p) => ({ row: p.row.row, id: p.key.id, outcome: p.outcome, changedFields: p.changedFields }));
  const count = (outcome: ImportOutcome) => rows.filter((r) => r.outcome === outcome).length;
  return { kind, dryRun, created: count('created'), changed: count('changed'), unchanged: count('unchanged'), events, rows };
}

/** The row checked against the DTO; null when it reported problems. */
export function validateRow<Dto extends object>(spec: Pick<ImportSpec<Dto, unknown, unknown, unknown, never>, 'dto' | 'record' | 'columns' | 'kind'>, row: ImportRow, report: Report): Dto | null {
  if (typeof row.data !== 'object' || row.data === null || Array.isArray(row.data)) {
    report('(row)', `is ${Array.isArray(row.data) ? 'a list' : describeType(row.data)}`, `an object with the columns of a ${spec.record}`);
    return null;
  }
  // As for tool arguments: class-transformer would take an own "constructor" key for the class to build and throw.
  const odd = constructorKeyAt(row.data, '');
  if (odd !== null) {
    if (odd === 'constructor') report(odd, `is not a column of a ${spec.kind} import`, spec.columns.join(', '));
    else report(odd, 'holds a key named "constructor", which no column accepts', null);
    return null;
  }
  const dto = plainToInstance(spec.dto, row.data, { enableImplicitConversion: false });
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length === 0) return dto;
  for (const problem of flatten(errors, '', spec)) report(problem.field, problem.problem, problem.allowed);
  return null;
}

function flatten(
  errors: ValidationError[],
  prefix: string,
  spec: { kind: ImportKind; columns: readonly string[] },
): Array<{ field: string; problem: string; allowed: string | null }> {
  return errors.flatMap((e) => {
    const field = prefix === '' ? e.property : /^\d+$/.test(e.property) ? `${prefix}[${e.property}]` : `${prefix}.${e.property}`;
    const [name, message] = Object.entries(e.constraints ?? {})[0] ?? [];
    const own =
      name === undefined
        ? []
        : name === 'whitelistValidation'
          ? [{ field, problem: `is not a column of a ${spec.kind} import`, allowed: prefix === '' ? spec.columns.join(', ') : null }]
          : [{ field, problem: message!, allowed: (e.contexts?.[name] as RuleContext | undefined)?.allowed ?? null }];
    return [...own, ...flatten(e.children ?? [], field, spec)];
  });
}

function describeType(value: unknown): string {
  return value === null ? 'null' : typeof value === 'string' ? 'text' : `a ${typeof value}`;
}

/** A batch id for a file: the sha256 of its bytes. */
export function contentHash(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
