/**
 * The one event store port csmcp uses. Adapters: embedded SQLite, PostgreSQL, EventStoreDB/KurrentDB.
 * Every adapter passes the same contract suite (libs/event-store/test/event-store.contract.ts).
 */

/** A JSON value: what event data and metadata may contain. Anything else is refused at the port. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * A place in the global order ($all). Ordered by `commit`, then `prepare`.
 * SQLite: both are the row id. PostgreSQL: commit = writing transaction id, prepare = sequence value
 * (see postgres-event-store.ts for why). EventStoreDB: its own commit/prepare log positions.
 */
export interface Position {
  readonly commit: number;
  readonly prepare: number;
}

/** Expected state of a stream before an append. A number is the exact revision of its last event. */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | number;

/** Who caused an event, through which client, and in reply to what. */
export interface EventActor {
  readonly type: 'user' | 'client' | 'system';
  readonly id: string;
  readonly email?: string;
  readonly name?: string;
}

export interface EventClient {
  readonly id: string;
  readonly name?: string;
}

export interface EventMetadata {
  readonly actor: EventActor;
  readonly client?: EventClient;
  /** Groups everything one request caused. Defaults to the event's own id. */
  readonly correlationId: string;
  /** The message (command, event) that directly caused this one. Defaults to the event's own id. */
  readonly causationId: string;
  /** When the store recorded the event (ISO 8601, UTC). Set by the store, never by the caller. */
  readonly recordedAt: string;
  /** Anything else the application records (MCP session, tool name, idempotency key, ...). */
  readonly [key: string]: JsonValue | EventActor | EventClient | undefined;
}

/** Metadata as a caller supplies it: the store fills in defaults and `recordedAt`. */
export type EventMetadataInput = Partial<Omit<EventMetadata, 'recordedAt'>> & {
  readonly [key: string]: JsonValue | EventActor | EventClient | undefined;
};

export interface NewEvent<Type extends string = string, Data extends JsonObject = JsonObject> {
  /** A UUID. Re-appending the same ids at the same expected revision is idempotent. Generated if absent. */
  readonly id?: string;
  readonly type: Type;
  readonly data: Data;
  readonly metadata?: EventMetadataInput;
}

export interface RecordedEvent<Type extends string = string, Data extends JsonObject = JsonObject> {
  readonly id: string;
  readonly streamName: string;
  /** 0-based position of the event inside its stream. */
  readonly revision: number;
  readonly position: Position;
  readonly type: Type;
  readonly data: Data;
  readonly metadata: EventMetadata;
}

export interface AppendOptions {
  readonly expectedRevision: ExpectedRevision;
  /** Merged under each event's own metadata: convenient for the actor and correlation of a command. */
  readonly metadata?: EventMetadataInput;
}

export interface AppendResult {
  /** Revision of the last event appended: pass it as `expectedRevision` of the next append. */
  readonly nextExpectedRevision: number;
  /** Global position of the last event appended: wait for it to read your own write. */
  readonly position: Position;
}

/** One stream's part of an atomic multi-stream append (appendToStreams). */
export interface StreamAppend {
  readonly streamName: string;
  readonly events: readonly NewEvent[];
  readonly expectedRevision: ExpectedRevision;
}

export interface MultiAppendOptions {
  /** Merged under each event's own metadata, in every stream of the call. */
  readonly metadata?: EventMetadataInput;
}

export interface StreamAppendResult extends AppendResult {
  readonly streamName: string;
}

export interface MultiAppendResult {
  /** One per stream, in the order the streams were given. */
  readonly streams: readonly StreamAppendResult[];
  /** The latest of the streams' positions: wait for it to read the whole write. */
  readonly position: Position;
}

export interface ReadStreamOptions {
  /** First revision to return (inclusive). Default 0. */
  readonly fromRevision?: number;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Return events strictly after this position. Default: from the very start. */
  readonly after?: Position | null;
  readonly maxCount?: number;
}

export interface SubscribeOptions {
  /** Checkpoint: deliver events strictly after it. `null` starts from the beginning. */
  readonly after: Position | null;
  /** Maximum events per handler call. Default 500. */
  readonly batchSize?: number;
  /** Called with each batch, in global order; the next batch waits for the promise. */
  readonly handler: (events: readonly RecordedEvent[]) => Promise<void> | void;
  /** Called once when the handler or the store fails; the subscription has stopped by then. */
  readonly onError?: (error: unknown) => void;
  /** Called each time the subscription reaches the head of the log (then it is live). */
  readonly onCaughtUp?: (position: Position | null) => void;
}

export interface Subscription {
  /** Position of the last event handed to the handler (null before the first). */
  readonly position: Position | null;
  /** True while the subscription has seen the head of the log and waits for new events. */
  readonly isLive: boolean;
  /** Resolves when the subscription has stopped and its handler is not running. */
  stop(): Promise<void>;
}

export interface EventStore {
  /** A short name for logs and errors: 'sqlite', 'postgres', 'eventstoredb'. */
  readonly kind: string;
  appendToStream(streamName: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult>;
  /**
   * Appends to several streams in one transaction: every stream's events land, or none do. Each
   * stream is checked against its own expected revision; the first that does not hold fails the
   * whole call with a ConcurrencyError naming it. A stream may appear once and needs at least one
   * event. Re-appending the same event ids at the same expected revisions answers as the first time
   * (per stream). The events of one call are in input order in the global order, with nothing
   * between them on SQLite and PostgreSQL, and subscribers see all of them or none.
   */
  appendToStreams(appends: readonly StreamAppend[], options?: MultiAppendOptions): Promise<MultiAppendResult>;
  /** Events of one stream in revision order; an empty array if the stream does not exist. */
  readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Events of every stream in global order. Only a stable prefix is returned: no later commit can land before it. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Position of the newest event in the stable prefix, null when the store is empty. */
  headPosition(): Promise<Position | null>;
  /** Catch-up subscription from a checkpoint that goes on live, in every process writing to the store. */
  subscribeToAll(options: SubscribeOptions): Subscription;
  /** Cheap round trip used by readiness checks. Throws StoreUnavailableError when the store cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
