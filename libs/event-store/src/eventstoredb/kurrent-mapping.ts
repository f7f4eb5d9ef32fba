/**
 * Pure translations between the port's types and those of @kurrent/kurrentdb-client: expected
 * revisions, positions, recorded events and errors, plus the paging rules of readAll/headPosition.
 * Nothing here talks to a server, so all of it is covered by kurrent-mapping.unit.spec.ts.
 */
import {
  ANY,
  ErrorType,
  NO_STREAM,
  STREAM_EXISTS,
  type AppendStreamState,
  type Position as ClientPosition,
} from '@kurrent/kurrentdb-client';
import { ConcurrencyError, EventStoreError, EventStoreInputError, StoreUnavailableError } from '../errors';
import type { EventMetadata, ExpectedRevision, JsonObject, Position, RecordedEvent } from '../event-store.port';
import type { PreparedStreamAppend } from '../validation';
import { comparePositions, toSafeNumber } from '../position';

/** The fields of the client's RecordedEvent this adapter reads (its type is a conditional union). */
export interface ClientRecordedEvent {
  readonly streamId: string;
  readonly id: string;
  readonly revision: bigint;
  readonly type: string;
  readonly isJson: boolean;
  readonly created: Date;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly position?: ClientPosition;
}

/** What readStream/readAll yield: the event (or resolved link), the link, and a commit position. */
export interface ClientResolvedEvent {
  readonly event?: ClientRecordedEvent;
  readonly link?: unknown;
  readonly commitPosition?: bigint;
}

/** A page reader: events of $all in the read direction starting at `from` (null: START or END). */
export type PageReader = (from: Position | null, maxCount: number) => Promise<ClientRecordedEvent[]>;

// ---------------------------------------------------------------------------------------------
// Expected revision, positions

export function toClientStreamState(expected: ExpectedRevision): AppendStreamState {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default:
      return BigInt(expected);
  }
}

/** The stream's revision as the client reports it after a conflict: a bigint >= 0, else no stream. */
export function toActualRevision(actual: unknown): number | 'no_stream' {
  if (typeof actual === 'bigint' && actual >= 0n) return toSafeNumber(actual, 'stream revision');
  if (typeof actual === 'number' && Number.isSafeInteger(actual) && actual >= 0) return actual;
  // 'no_stream', or the negative sentinels some server versions send for a missing/deleted stream.
  return 'no_stream';
}

export function fromClientPosition(position: ClientPosition): Position {
  return { commit: toSafeNumber(position.commit, 'commit position'), prepare: toSafeNumber(position.prepare, 'prepare position') };
}

export function toClientPosition(position: Position): ClientPosition {
  return { commit: BigInt(position.commit), prepare: BigInt(position.prepare) };
}

/**
 * The event of a resolved event with its $all position. Reads of a stream from servers before 22.6
 * carry no position on the event itself: the commit position of the record stands in for both.
 */
export function eventOf(resolved: ClientResolvedEvent): (ClientRecordedEvent & { readonly position: ClientPosition }) | null {
  const event = resolved.event;
  if (!event) return null;
  if (event.position) return event as ClientRecordedEvent & { position: ClientPosition };
  if (resolved.commitPosition === undefined) return null;
  return { ...event, position: { commit: resolved.commitPosition, prepare: resolved.commitPosition } };
}

// ---------------------------------------------------------------------------------------------
// Recorded events

/** Events of the server ($-types: stream metadata, links, statistics) and of $-streams are never ours. */
export function isSystemEvent(event: Pick<ClientRecordedEvent, 'streamId' | 'type'>): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

export function toRecordedEvent(event: ClientRecordedEvent & { readonly position: ClientPosition }): RecordedEvent {
  return {
    id: event.id,
    streamName: event.streamId,
    revision: toSafeNumber(event.revision, 'stream revision'),
    position: fromClientPosition(event.position),
    type: event.type,
    data: toJsonObject(event.data),
    metadata: toMetadata(event.metadata, event.id, event.created),
  };
}

/**
 * The client has already parsed JSON data (and returns the text when it was not JSON). Events this
 * adapter wrote are always JSON objects; anything else was written by another program and is kept
 * as `{ value }` (JSON that is not an object) or `{ text }` / `{ base64 }` (not JSON at all).
 */
function toJsonObject(data: unknown): JsonObject {
  const value = parseIfBytes(data);
  if (isPlainObject(value)) return value as JsonObject;
  if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString('base64') };
  if (typeof value === 'string') {
    const parsed = tryParse(value);
    if (parsed === undefined) return { text: value };
    return isPlainObject(parsed) ? (parsed as JsonObject) : { value: parsed as JsonObject[string] };
  }
  return { value: (value ?? null) as JsonObject[string] };
}

/**
 * The one property our metadata travels in through a multi-stream append: that API takes string
 * properties only (the server adds "$schema.*" ones beside it), so the JSON goes as one text.
 */
export const METADATA_PROPERTY = 'csmcp.metadata';

/** Our metadata JSON as written by prepareAppend; defaults filled in for events written by others. */
function toMetadata(metadata: unknown, eventId: string, created: Date): EventMetadata {
  let value = parseIfBytes(metadata);
  if (typeof value === 'string') value = tryParse(value);
  let found = isPlainObject(value) ? (value as Record<string, unknown>) : {};
  const packed = found[METADATA_PROPERTY];
  if (typeof packed === 'string') {
    const inner = tryParse(packed);
    if (isPlainObject(inner)) found = inner as Record<string, unknown>;
  }
  return {
    ...found,
    actor: found.actor ?? { type: 'system', id: 'system' },
    correlationId: found.correlationId ?? eventId,
    causationId: found.causationId ?? eventId,
    recordedAt: found.recordedAt ?? (Number.isNaN(created.getTime()) ? new Date(0) : created).toISOString(),
  } as EventMetadata;
}

function parseIfBytes(value: unknown): unknown {
  if (!(value instanceof Uint8Array)) return value;
  const parsed = tryParse(Buffer.from(value).toString('utf8'));
  return parsed === undefined ? value : parsed;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

// ---------------------------------------------------------------------------------------------
// Paging over $all

/**
 * Up to `maxCount` of our events strictly after `after`, in global order. `readForward(from, n)`
 * reads $all forwards from `from` (START when null) with the server-side system-event filter.
 * EventStoreDB's fromPosition is inclusive, so each page asks for one more event than needed and
 * drops the one at `from`. Events of $-streams that pass the server's type filter are dropped here,
 * and reading goes on after them, so a run of them can never make a batch look like the end.
 */
export async function readForwardAfter(readForward: PageReader, after: Position | null, maxCount: number): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  let from = after;
  for (;;) {
    const want = maxCount - out.length + 1;
    const page = await readForward(from, want);
    let advanced = false;
    for (const raw of page) {
      const event = withPosition(raw);
      const position = fromClientPosition(event.position);
      if (from !== null && comparePositions(position, from) <= 0) continue;
      from = position;
      advanced = true;
      if (isSystemEvent(event)) continue;
      out.push(toRecordedEvent(event));
      if (out.length === maxCount) return out;
    }
    // A short page is the end of $all (filtered reads fill a page until count or end of log).
    if (page.length < want || !advanced) return out;
  }
}

/**
 * Position of the newest of our events: $all backwards from END (null) with the system-event
 * filter, one event at first, and more only when the newest ones live in $-streams.
 */
export async function findHeadPosition(readBackward: PageReader): Promise<Position | null> {
  let before: Position | null = null;
  for (;;) {
    const want = before === null ? 1 : 33;
    const page = await readBackward(before, want);
    let advanced = false;
    for (const raw of page) {
      const event = withPosition(raw);
      const position = fromClientPosition(event.position);
      // A backwards read may or may not include the event at its starting position.
      if (before !== null && comparePositions(position, before) >= 0) continue;
      before = position;
      advanced = true;
      if (!isSystemEvent(event)) return position;
    }
    if (page.length < want || !advanced) return null;
  }
}

function withPosition(event: ClientRecordedEvent): ClientRecordedEvent & { readonly position: ClientPosition } {
  if (!event.position) throw new Error(`EventStoreDB returned event ${event.id} of $all without a position`);
  return event as ClientRecordedEvent & { position: ClientPosition };
}

// ---------------------------------------------------------------------------------------------
// Errors

const UNAVAILABLE_TYPES: ReadonlySet<string> = new Set<string>([
  ErrorType.UNAVAILABLE,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.TIMEOUT,
  ErrorType.NOT_LEADER,
  ErrorType.CANCELLED,
]);

// gRPC status codes of a raw ServiceError: CANCELLED, DEADLINE_EXCEEDED, UNAVAILABLE.
const UNAVAILABLE_GRPC_CODES: ReadonlySet<number> = new Set([1, 4, 14]);

// Connection failures that reach us as plain errors: discovery giving up, sockets, the Rust bridge.
const CONNECTION_FAILURE =
  /failed to discover|ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EPIPE|connection (refused|reset|closed|error)|transport error|tcp connect|dns error|no connection|unavailable|deadline exceeded|timed out|not leader/i;

/** The client's error type ('wrong-expected-version', 'unavailable', ...), whichever copy of the client made it. */
export function clientErrorType(error: unknown): string | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : undefined;
}

/** Any failure of a call: unavailability becomes StoreUnavailableError, port errors pass through. */
export function toStoreError(error: unknown, what: string): Error {
  if (error instanceof EventStoreError) return error;
  const type = clientErrorType(error);
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const unavailable =
    (type !== undefined && UNAVAILABLE_TYPES.has(type)) ||
    (typeof code === 'number' && UNAVAILABLE_GRPC_CODES.has(code)) ||
    // UnknownError is what the client makes of bridge errors it does not recognise: look at the text.
    ((type === undefined || type === ErrorType.UNKNOWN) && CONNECTION_FAILURE.test(message));
  if (unavailable) return new StoreUnavailableError(`${what} (${type ?? (error as Error)?.name ?? 'error'}: ${message || 'no detail'})`, error);
  if (error instanceof Error) return error;
  return new Error(`${what}: ${message}`);
}

/** A failed append: a conflict becomes ConcurrencyError, a too large append an input error. */
export function toAppendError(error: unknown, streamName: string, expected: ExpectedRevision): Error {
  switch (clientErrorType(error)) {
    case ErrorType.WRONG_EXPECTED_VERSION:
      return new ConcurrencyError(streamName, expected, toActualRevision((error as { actualState?: unknown }).actualState));
    case ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED: {
      const max = (error as { maxAppendSize?: unknown }).maxAppendSize;
      return new EventStoreInputError(
        'events',
        `the append is larger than the EventStoreDB server accepts${typeof max === 'number' ? ` (${max} bytes)` : ''}; append fewer or smaller events`,
      );
    }
    default:
      return toStoreError(error, `append to "${streamName}" failed`);
  }
}

/**
 * A failed multi-stream append (nothing was written): a conflict becomes ConcurrencyError naming the
 * stream the server reports, a call or event beyond the server's size limits an input error naming
 * the limit, a server before 25.1 an error saying so.
 */
export function toMultiAppendError(error: unknown, appends: readonly PreparedStreamAppend[], where: string): Error {
  const e = (error ?? {}) as {
    streamName?: unknown;
    actualState?: unknown;
    stream?: unknown;
    recordId?: unknown;
    size?: unknown;
    maxSize?: unknown;
  };
  switch (clientErrorType(error)) {
    case ErrorType.WRONG_EXPECTED_VERSION: {
      const append = appends.find((a) => a.streamName === e.streamName) ?? appends[0];
      return new ConcurrencyError(append.streamName, append.expectedRevision, toActualRevision(e.actualState));
    }
    case ErrorType.TRANSACTION_MAX_SIZE_EXCEEDED:
      return new EventStoreInputError(
        'appends',
        `the call is larger than the EventStoreDB server accepts in one transaction${bytes(e.maxSize)}; append fewer or smaller events`,
      );
    case ErrorType.APPEND_RECORD_SIZE_EXCEEDED: {
      const i = appends.findIndex((a) => a.streamName === e.stream);
      const j = i < 0 ? -1 : appends[i].events.findIndex((event) => event.id === String(e.recordId).toLowerCase());
      const field = i < 0 ? 'appends' : j < 0 ? `appends[${i}].events` : `appends[${i}].events[${j}]`;
      return new EventStoreInputError(field, `an event is larger than the EventStoreDB server accepts${bytes(e.maxSize)}; make it smaller`);
    }
    case ErrorType.UNSUPPORTED:
      return new Error(
        `appendToStreams needs KurrentDB 25.1 or later (multi-stream append); the server at ${where} is older. ` +
          'Upgrade the server, or write one stream per call.',
      );
    default:
      return toStoreError(error, `append to ${appends.map((a) => `"${a.streamName}"`).join(', ')} failed`);
  }
}

function bytes(size: unknown): string {
  return typeof size === 'number' ? ` (${size} bytes)` : '';
}

/** Connection strings: the `esdb` schemes still work but make the client warn on every start. */
export function normalizeConnectionString(connectionString: string): string {
  return connectionString.replace(/^esdb(\+discover)?:\/\//i, (_match, discover: string | undefined) => `kurrentdb${discover ?? ''}://`);
}

/** A connection string fit for error messages and logs: credentials masked. */
export function redactConnectionString(connectionString: string): string {
  return connectionString.replace(/\/\/([^:/@\s]+):([^@\s]*)@/g, '//$1:***@');
}
