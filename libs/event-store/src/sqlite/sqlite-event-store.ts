import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { CatchUpSubscription, LocalWakeUps, type WakeUpSource } from '../catch-up-subscription';
import { ConcurrencyError, DuplicateEventIdError, EventStoreError, StoreUnavailableError } from '../errors';
import { sqliteUnavailable } from './sqlite-errors';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  ExpectedRevision,
  MultiAppendOptions,
  MultiAppendResult,
  NewEvent,
  Position,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  StreamAppendResult,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { latestPosition } from '../position';
import {
  prepareAppend,
  prepareAppends,
  validateReadAll,
  validateReadStream,
  validateStreamName,
  type PreparedEvent,
  type PreparedStreamAppend,
} from '../validation';

export interface SqliteEventStoreOptions {
  /** Database file, created with its folder if missing. ':memory:' for a throwaway store. */
  readonly filename: string;
  /** How often to look for commits made by other processes. Default 20 ms. */
  readonly crossProcessPollMs?: number;
  /** How long a writer waits for another process's write lock before giving up. Default 5 s. */
  readonly busyTimeoutMs?: number;
}

interface EventRow {
  position: number;
  event_id: string;
  stream_name: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
}

/** One call of appendToStream (one stream) or appendToStreams: written in one savepoint, all or nothing. */
interface PendingAppend {
  readonly streams: readonly PreparedStreamAppend[];
  readonly resolve: (results: StreamAppendResult[]) => void;
  readonly reject: (error: unknown) => void;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position    INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT    NOT NULL UNIQUE,
    stream_name TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    metadata    TEXT    NOT NULL,
    UNIQUE (stream_name, revision)
  );
`;

/**
 * The embedded store: one SQLite file in WAL mode, synchronous=FULL so a commit is on disk when the
 * append resolves. SQLite has one writer at a time, so positions are handed out in commit order and
 * every reader sees a prefix of the log. Appends arriving in the same tick share one transaction
 * (group commit, one fsync), each inside its own savepoint so one refused append does not affect another.
 * A multi-stream append is one such savepoint: its events get consecutive positions, and a refusal
 * on any of its streams rolls back all of them.
 */
export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly local = new LocalWakeUps();
  private readonly queue: PendingAppend[] = [];
  private flushScheduled = false;
  private watcher: NodeJS.Timeout | null = null;
  private lastDataVersion = 0;
  private closed = false;
  private readonly statements;
  private readonly wakeUps: WakeUpSource;

  constructor(private readonly options: SqliteEventStoreOptions) {
    try {
      if (options.filename !== ':memory:') mkdirSync(dirname(options.filename), { recursive: true });
      this.db = new Database(options.filename);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5_000}`);
      this.db.exec(SCHEMA);
    } catch (error) {
      throw sqliteUnavailable(error, `cannot open ${options.filename}`, options.filename, true);
    }
    const db = this.db;
    this.statements = {
      streamRevision: db.prepare<[string], { revision: number | null }>('SELECT MAX(revision) AS revision FROM events WHERE stream_name = ?'),
      insert: db.prepare(
        'INSERT INTO events (event_id, stream_name, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      byId: db.prepare<[string], EventRow>('SELECT * FROM events WHERE event_id = ?'),
      readStream: db.prepare<[string, number, number], EventRow>(
        'SELECT * FROM events WHERE stream_name = ? AND revision >= ? ORDER BY revision LIMIT ?',
      ),
      readAll: db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
      head: db.prepare<[], { position: number | null }>('SELECT MAX(position) AS position FROM events'),
    };
    this.wakeUps = {
      onWakeUp: (listener) => {
        const off = this.local.onWakeUp(listener);
        this.startWatcher();
        return () => {
          off();
          if (this.local.size === 0) this.stopWatcher();
        };
      },
    };
  }

  appendToStream(streamName: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    let prepared: PreparedStreamAppend;
    try {
      prepared = prepareAppend(streamName, events, options);
    } catch (error) {
      return Promise.reject(error);
    }
    // Mapped in the callback rather than with .then: one promise per append, as before multi-stream appends.
    return new Promise((resolve, reject) =>
      this.enqueue([prepared], ([{ nextExpectedRevision, position }]) => resolve({ nextExpectedRevision, position }), reject),
    );
  }

  appendToStreams(appends: readonly StreamAppend[], options?: MultiAppendOptions): Promise<MultiAppendResult> {
    let prepared: PreparedStreamAppend[];
    try {
      prepared = prepareAppends(appends, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) =>
      this.enqueue(prepared, (streams) => resolve({ streams, position: latestPosition(streams.map((s) => s.position)) }), reject),
    );
  }

  async readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    validateStreamName(streamName);
    const { fromRevision, maxCount } = validateReadStream(options);
    return this.guard(() => this.statements.readStream.all(streamName, fromRevision, maxCount).map(toRecorded));
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    const { after, maxCount } = validateReadAll(options);
    return this.readAfter(after, maxCount);
  }

  async headPosition(): Promise<Position | null> {
    const { position } = this.guard(() => this.statements.head.get()!);
    return position === null ? null : { commit: position, prepare: position };
  }

  subscribeToAll(options: SubscribeOptions): Subscription {
    return new CatchUpSubscription((after, max) => this.readAfter(after, max), this.wakeUps, options, {
      pollIntervalMs: 1_000,
    });
  }

  async ping(): Promise<void> {
    this.guard(() => this.db.prepare('SELECT 1').get());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWatcher();
    // Appends already queued still get their answer before the connection goes.
    if (this.queue.length > 0) this.flush();
    this.db.close();
  }

  private async readAfter(after: Position | null, maxCount: number): Promise<RecordedEvent[]> {
    // Positions are row ids here, so commit and prepare are the same number.
    return this.guard(() => this.statements.readAll.all(after?.commit ?? 0, maxCount).map(toRecorded));
  }

  private enqueue(streams: readonly PreparedStreamAppend[], resolve: PendingAppend['resolve'], reject: PendingAppend['reject']): void {
    if (this.closed) return reject(new StoreUnavailableError('the store is closed'));
    this.queue.push({ streams, resolve, reject });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue.splice(0);
    if (batch.length === 0) return;
    const outcomes: Array<{ ok: true; result: StreamAppendResult[] } | { ok: false; error: unknown }> = [];
    const appendOne = this.db.transaction((item: PendingAppend) => item.streams.map((stream) => this.appendInTransaction(stream)));
    const commitAll = this.db.transaction(() => {
      outcomes.length = 0;
      for (const item of batch) {
        try {
          // A nested better-sqlite3 transaction is a savepoint: a refused append rolls back alone.
          outcomes.push({ ok: true, result: appendOne(item) });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    });
    try {
      commitAll.immediate();
    } catch (error) {
      const failure = sqliteUnavailable(error, 'the append could not be committed', this.options.filename);
      for (const item of batch) item.reject(failure);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) item.resolve(outcome.result);
      else item.reject(outcome.error instanceof EventStoreError ? outcome.error : sqliteUnavailable(outcome.error, 'append failed', this.options.filename));
    });
    if (outcomes.some((o) => o.ok)) this.local.notify();
  }

  private appendInTransaction({ streamName, events, expectedRevision }: PreparedStreamAppend): StreamAppendResult {
    const existing = this.statements.byId.get(events[0].id);
    if (existing) return this.idempotentResult(streamName, events, expectedRevision);
    const current = this.statements.streamRevision.get(streamName)!.revision;
    checkExpected(streamName, expectedRevision, current);
    let revision = current ?? -1;
    let position = 0;
    for (const event of events) {
      revision += 1;
      try {
        const info = this.statements.insert.run(event.id, streamName, revision, event.type, event.dataJson, event.metadataJson);
        position = Number(info.lastInsertRowid);
      } catch (error) {
        if (isUniqueViolation(error, 'event_id')) throw new DuplicateEventIdError(event.id);
        throw error;
      }
    }
    return { streamName, nextExpectedRevision: revision, position: { commit: position, prepare: position } };
  }

  /** The same ids appended again at the same expected revision answer as the first time and write nothing. */
  private idempotentResult(streamName: string, events: PreparedEvent[], expected: ExpectedRevision): StreamAppendResult {
    const rows = events.map((e) => this.statements.byId.get(e.id));
    const first = rows[0]!;
    const sameAppend = rows.every(
      (row, i) => row !== undefined && row.stream_name === streamName && row.revision === first.revision + i,
    );
    const expectedBefore = first.revision === 0 ? 'no_stream' : first.revision - 1;
    const sameExpectation = expected === 'any' || expected === expectedBefore || (expected === 'stream_exists' && first.revision > 0);
    if (!sameAppend) throw new DuplicateEventIdError(events[rows.findIndex((r, i) => !r || r.revision !== first.revision + i || r.stream_name !== streamName)]?.id ?? events[0].id);
    if (!sameExpectation) throw new ConcurrencyError(streamName, expected, this.statements.streamRevision.get(streamName)!.revision ?? 'no_stream');
    const last = rows[rows.length - 1]!;
    return { streamName, nextExpectedRevision: last.revision, position: { commit: last.position, prepare: last.position } };
  }

  private guard<T>(work: () => T): T {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    try {
      return work();
    } catch (error) {
      throw error instanceof EventStoreError ? error : sqliteUnavailable(error, 'read failed', this.options.filename);
    }
  }

  private startWatcher(): void {
    if (this.watcher || this.closed) return;
    this.lastDataVersion = this.dataVersion();
    // data_version changes when another connection (another process: the CLI, a second server) commits.
    this.watcher = setInterval(() => {
      if (this.closed) return;
      const version = this.dataVersion();
      if (version !== this.lastDataVersion) {
        this.lastDataVersion = version;
        this.local.notify();
      }
    }, this.options.crossProcessPollMs ?? 20);
    this.watcher.unref();
  }

  private stopWatcher(): void {
    if (this.watcher) clearInterval(this.watcher);
    this.watcher = null;
  }

  private dataVersion(): number {
    try {
      return this.db.pragma('data_version', { simple: true }) as number;
    } catch {
      return this.lastDataVersion;
    }
  }
}

function checkExpected(streamName: string, expected: ExpectedRevision, current: number | null): void {
  const actual = current ?? 'no_stream';
  if (expected === 'any') return;
  if (expected === 'no_stream' ? current !== null : expected === 'stream_exists' ? current === null : current !== expected)
    throw new ConcurrencyError(streamName, expected, actual);
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    streamName: row.stream_name,
    revision: row.revision,
    position: { commit: row.position, prepare: row.position },
    type: row.type,
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
  };
}

function isUniqueViolation(error: unknown, column: string): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' && (e.message ?? '').includes(column);
}

