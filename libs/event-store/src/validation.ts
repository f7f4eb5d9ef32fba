import { randomUUID } from 'node:crypto';
import { EventStoreInputError } from './errors';
import type {
  AppendOptions,
  EventMetadata,
  EventMetadataInput,
  ExpectedRevision,
  JsonObject,
  MultiAppendOptions,
  NewEvent,
  Position,
  ReadAllOptions,
  ReadStreamOptions,
} from './event-store.port';

export const MAX_STREAM_NAME_LENGTH = 200;
export const MAX_EVENT_TYPE_LENGTH = 200;
export const MAX_EVENTS_PER_APPEND = 10_000;
/** Streams in one appendToStreams call: csmcp writes two or three (events, idempotency, audit). */
export const MAX_STREAMS_PER_APPEND = 100;
export const MAX_READ_COUNT = 100_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Control characters break logs and some stores' stream naming; `$` names are reserved by EventStoreDB.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** An append, checked and with defaults filled in: what adapters write. */
export interface PreparedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: EventMetadata;
  /** JSON text of data and metadata, serialised once. */
  readonly dataJson: string;
  readonly metadataJson: string;
}

export function validateStreamName(streamName: unknown, field = 'streamName'): string {
  if (typeof streamName !== 'string') throw new EventStoreInputError(field, `must be a string, got ${typeOf(streamName)}`);
  if (streamName.trim() === '') throw new EventStoreInputError(field, 'must not be empty');
  if (streamName.length > MAX_STREAM_NAME_LENGTH)
    throw new EventStoreInputError(field, `must be at most ${MAX_STREAM_NAME_LENGTH} characters, got ${streamName.length}`);
  if (CONTROL.test(streamName)) throw new EventStoreInputError(field, 'must not contain control characters');
  if (streamName.startsWith('$')) throw new EventStoreInputError(field, 'must not start with "$" (reserved for system streams)');
  return streamName;
}

export function validateExpectedRevision(value: unknown, field = 'expectedRevision'): ExpectedRevision {
  if (value === 'no_stream' || value === 'stream_exists' || value === 'any') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'bigint' && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  throw new EventStoreInputError(
    field,
    `must be "no_stream", "stream_exists", "any" or a non-negative integer revision, got ${describeValue(value)}`,
  );
}

/** One stream's append, checked and with defaults filled in. */
export interface PreparedStreamAppend {
  readonly streamName: string;
  readonly events: PreparedEvent[];
  readonly expectedRevision: ExpectedRevision;
}

export function prepareAppend(streamName: unknown, events: unknown, options: unknown, now: Date = new Date()): PreparedStreamAppend {
  const name = validateStreamName(streamName);
  if (!isPlainObject(options)) throw new EventStoreInputError('options', 'must be an object with expectedRevision');
  const opts = options as unknown as AppendOptions;
  const expectedRevision = validateExpectedRevision(opts.expectedRevision);
  if (opts.metadata !== undefined) checkJson(opts.metadata, 'options.metadata', new Set());
  return { streamName: name, events: prepareEvents(events, '', opts.metadata, now.toISOString(), new Set()), expectedRevision };
}

/**
 * The streams of one appendToStreams call, in input order. Each entry is checked like an append of
 * its own (fields named `appends[i]...`); across entries a stream may appear once and an event id
 * once, and the events of all entries share one recordedAt and one size limit.
 */
export function prepareAppends(appends: unknown, options: unknown, now: Date = new Date()): PreparedStreamAppend[] {
  if (!Array.isArray(appends))
    throw new EventStoreInputError('appends', `must be an array of { streamName, events, expectedRevision }, got ${typeOf(appends)}`);
  if (appends.length === 0) throw new EventStoreInputError('appends', 'must contain at least one stream');
  if (appends.length > MAX_STREAMS_PER_APPEND)
    throw new EventStoreInputError('appends', `at most ${MAX_STREAMS_PER_APPEND} streams per call, got ${appends.length}`);
  if (options !== undefined && !isPlainObject(options))
    throw new EventStoreInputError('options', `must be an object with optional metadata, got ${typeOf(options)}`);
  const metadata = (options as MultiAppendOptions | undefined)?.metadata;
  if (metadata !== undefined) checkJson(metadata, 'options.metadata', new Set());
  const total = appends.reduce((sum: number, entry: unknown) => sum + (isPlainObject(entry) && Array.isArray(entry.events) ? entry.events.length : 0), 0);
  if (total > MAX_EVENTS_PER_APPEND)
    throw new EventStoreInputError('appends', `at most ${MAX_EVENTS_PER_APPEND} events per call in all streams together, got ${total}`);
  const recordedAt = now.toISOString();
  const seenIds = new Set<string>();
  const seenStreams = new Map<string, number>();
  return appends.map((entry: unknown, i) => {
    const at = `appends[${i}]`;
    if (!isPlainObject(entry)) throw new EventStoreInputError(at, `must be an object { streamName, events, expectedRevision }, got ${typeOf(entry)}`);
    const streamName = validateStreamName(entry.streamName, `${at}.streamName`);
    const first = seenStreams.get(streamName);
    if (first !== undefined)
      throw new EventStoreInputError(
        `${at}.streamName`,
        `${describeValue(streamName)} is already appends[${first}]; a stream may appear once per call (put all its events in one entry)`,
      );
    seenStreams.set(streamName, i);
    const expectedRevision = validateExpectedRevision(entry.expectedRevision, `${at}.expectedRevision`);
    return { streamName, events: prepareEvents(entry.events, `${at}.`, metadata, recordedAt, seenIds), expectedRevision };
  });
}

/** `prefix` names the entry in error messages ('' for appendToStream); `seen` holds the ids already used in the call. */
function prepareEvents(
  events: unknown,
  prefix: string,
  common: EventMetadataInput | undefined,
  recordedAt: string,
  seen: Set<string>,
): PreparedEvent[] {
  const field = `${prefix}events`;
  if (!Array.isArray(events)) throw new EventStoreInputError(field, `must be an array, got ${typeOf(events)}`);
  if (events.length === 0) throw new EventStoreInputError(field, 'must contain at least one event');
  if (events.length > MAX_EVENTS_PER_APPEND)
    throw new EventStoreInputError(field, `at most ${MAX_EVENTS_PER_APPEND} events per append, got ${events.length}`);
  return events.map((event: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isPlainObject(event)) throw new EventStoreInputError(at, `must be an object with type and data, got ${typeOf(event)}`);
    const e = event as unknown as NewEvent;
    const id = e.id === undefined ? randomUUID() : e.id;
    if (typeof id !== 'string' || !UUID.test(id)) throw new EventStoreInputError(`${at}.id`, `must be a UUID, got ${describeValue(id)}`);
    const lowerId = id.toLowerCase();
    if (seen.has(lowerId)) throw new EventStoreInputError(`${at}.id`, `${id} appears twice in one append`);
    seen.add(lowerId);
    if (typeof e.type !== 'string' || e.type.trim() === '')
      throw new EventStoreInputError(`${at}.type`, `must be a non-empty string, got ${describeValue(e.type)}`);
    if (e.type.length > MAX_EVENT_TYPE_LENGTH || CONTROL.test(e.type))
      throw new EventStoreInputError(`${at}.type`, `must be at most ${MAX_EVENT_TYPE_LENGTH} printable characters`);
    if (!isPlainObject(e.data)) throw new EventStoreInputError(`${at}.data`, `must be a JSON object, got ${typeOf(e.data)}`);
    checkJson(e.data, `${at}.data`, new Set());
    if (e.metadata !== undefined) checkJson(e.metadata, `${at}.metadata`, new Set());
    const metadata = buildMetadata(lowerId, common, e.metadata, recordedAt);
    return {
      id: lowerId,
      type: e.type,
      data: e.data,
      metadata,
      dataJson: JSON.stringify(e.data),
      metadataJson: JSON.stringify(metadata),
    };
  });
}

export function validateReadStream(options: ReadStreamOptions | undefined): { fromRevision: number; maxCount: number } {
  const fromRevision = options?.fromRevision ?? 0;
  const maxCount = options?.maxCount ?? MAX_READ_COUNT;
  if (!Number.isSafeInteger(fromRevision) || fromRevision < 0)
    throw new EventStoreInputError('fromRevision', `must be a non-negative integer, got ${describeValue(fromRevision)}`);
  checkCount(maxCount);
  return { fromRevision, maxCount };
}

export function validateReadAll(options: ReadAllOptions | undefined): { after: Position | null; maxCount: number } {
  const after = options?.after ?? null;
  const maxCount = options?.maxCount ?? MAX_READ_COUNT;
  if (after !== null) validatePosition(after, 'after');
  checkCount(maxCount);
  return { after, maxCount };
}

export function validatePosition(position: unknown, field: string): Position {
  const p = position as Position;
  if (!isPlainObject(position) || !isNonNegativeInteger(p.commit) || !isNonNegativeInteger(p.prepare))
    throw new EventStoreInputError(field, `must be a position { commit, prepare } of non-negative integers, got ${describeValue(position)}`);
  return p;
}

function checkCount(maxCount: unknown): void {
  if (typeof maxCount !== 'number' || !Number.isSafeInteger(maxCount) || maxCount < 1 || maxCount > MAX_READ_COUNT)
    throw new EventStoreInputError('maxCount', `must be an integer from 1 to ${MAX_READ_COUNT}, got ${describeValue(maxCount)}`);
}

function buildMetadata(
  eventId: string,
  common: EventMetadataInput | undefined,
  own: EventMetadataInput | undefined,
  recordedAt: string,
): EventMetadata {
  const merged = { ...common, ...own };
  return {
    ...merged,
    actor: merged.actor ?? { type: 'system', id: 'system' },
    correlationId: merged.correlationId ?? eventId,
    causationId: merged.causationId ?? eventId,
    recordedAt,
  } as EventMetadata;
}

/** Refuses anything JSON.stringify would drop, change or choke on, naming the path of the first offender. */
function checkJson(value: unknown, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new EventStoreInputError(path, `${value} is not a JSON number (use a finite number)`);
      return;
    case 'object':
      if (value === null) return;
      if (ancestors.has(value)) throw new EventStoreInputError(path, 'contains a circular reference; event data must be a JSON tree');
      ancestors.add(value);
      if (Array.isArray(value)) value.forEach((item, i) => checkJson(item, `${path}[${i}]`, ancestors));
      // An undefined property is simply absent in JSON (optional fields); anything else must be JSON.
      else if (isPlainObject(value)) {
        for (const [k, v] of Object.entries(value)) if (v !== undefined) checkJson(v, `${path}.${k}`, ancestors);
      } else throw new EventStoreInputError(path, `is a ${typeOf(value)}; only plain objects, arrays, strings, finite numbers, booleans and null are allowed`);
      ancestors.delete(value);
      return;
    default:
      throw new EventStoreInputError(path, `is a ${typeof value}; only plain objects, arrays, strings, finite numbers, booleans and null are allowed`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isNonNegativeInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return typeOf(value);
}
