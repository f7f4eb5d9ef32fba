import { createHash } from 'node:crypto';
import type * as pg from 'pg';
import { CatchUpSubscription, LocalWakeUps, type WakeUpSource } from '../catch-up-subscription';
import { ConcurrencyError, DuplicateEventIdError, EventStoreError, EventStoreInputError, StoreUnavailableError } from '../errors';
import type {
  AppendOptions,
  AppendResult,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  JsonObject,
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
import { latestPosition, toSafeNumber } from '../position';
import {
  prepareAppend,
  prepareAppends,
  validateReadAll,
  validateReadStream,
  validateStreamName,
  type PreparedEvent,
  type PreparedStreamAppend,
} from '../validation';

export interface PostgresEventStoreOptions {
  /** postgres://user[:password]@host[:port]/database. Also used for the LISTEN connection when `pool` is given. */
  readonly connectionString: string;
  /** Schema holding the store's tables, created if missing. Default `public`. */
  readonly schema?: string;
  /** A pool shared with other components. The store neither ends it nor changes its settings. */
  readonly pool?: pg.Pool;
  /** Connections in the pool the store creates (ignored with `pool`). Default 10. */
  readonly poolSize?: number;
  /** How long to wait for a connection before failing with StoreUnavailableError. Default 5 s. */
  readonly connectionTimeoutMs?: number;
  /**
   * How long a query may wait for its answer before failing with StoreUnavailableError (the
   * connection is then dropped). Default 15 s. Without it, a database that vanished without closing
   * the connection (a network partition, a firewall dropping packets) hangs every caller for good.
   */
  readonly queryTimeoutMs?: number;
  /** Longest wait of a live subscription between two reads when no notification arrives. Default 200 ms. */
  readonly pollIntervalMs?: number;
  /**
   * How long readAll and headPosition wait for committed events that an older, still running
   * transaction holds back from the stable prefix (see the class comment). Default 2 s.
   */
  readonly stableWaitMs?: number;
}

interface EventRow {
  global_position: string | number;
  transaction_id: string;
  event_id: string;
  stream_name: string;
  revision: string | number;
  type: string;
  data: string;
  metadata: string;
}

type PageRow = { held_back: boolean } & { [K in keyof EventRow]: EventRow[K] | null };

interface HeadRow {
  held_back: boolean;
  transaction_id: string | null;
  global_position: string | number | null;
}

interface AppendRow {
  revision: string | number | null;
  global_position: string | number | null;
  transaction_id: string | null;
}

interface StreamResultRow {
  stream_name: string;
  revision: string | number;
  global_position: string | number;
  transaction_id: string;
}

/** How a multi-stream transaction ended when it wrote nothing: the stream whose expectation failed, or a taken event id. */
type MultiRefusal = { readonly stream: PreparedStreamAppend } | { readonly duplicate: unknown };

interface IdRow {
  event_id: string;
  stream_name: string;
  revision: string | number;
  global_position: string | number;
  transaction_id: string;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/**
 * TCP keep-alive probes from 10 s of silence on: an idle connection (the LISTEN one above all) to a
 * database that vanished without a word is found dead in about a minute, not after the OS's 2 hours.
 */
const KEEP_ALIVE = { keepAlive: true, keepAliveInitialDelayMillis: 10_000 } as const;
/** First key of the advisory lock taken around the DDL ("csmc"); the second is a hash of the schema name. */
const DDL_LOCK_CLASS = 0x63736d63;
const EVENT_ID_UNIQUE = 'es_events_event_id_unique';
const STREAM_REVISION_UNIQUE = 'es_events_stream_revision_unique';
/** A concurrent append made a serializable/repeatable-read statement fail: run it again (it then sees the winner). */
const MAX_SERIALIZATION_RETRIES = 3;

/**
 * Events in PostgreSQL, one row per event in `es_events`, plus `es_streams` holding each stream's
 * current revision: the row an append locks to check its expected revision.
 *
 * An append is one statement, hence one round trip and one transaction: it moves the stream row
 * (an INSERT ... ON CONFLICT or an UPDATE ... WHERE revision = expected, depending on the expected
 * revision), inserts every event from unnest(...) and calls pg_notify. Row locking serialises
 * appends to one stream: a racer waits for the winner's commit, then its re-checked WHERE no longer
 * matches, nothing is inserted and the adapter answers ConcurrencyError.
 *
 * Global order and the sequence gap: a bigserial alone cannot order $all, because sequence values
 * are handed out when a transaction inserts, not when it commits. A transaction holding position 10
 * may commit after one holding 11; a reader that already passed 11 would never see 10. So each row
 * also records its writer's transaction id (xid8), and $all is ordered by (transaction id, position)
 * and limited to transactions older than the snapshot's xmin, the oldest transaction still running:
 * every transaction below it has ended, and every transaction that has not ended yet, or has not
 * even started, has an id at or above it. Nothing can ever be inserted before the prefix readAll
 * returns, so a subscriber that passed a position never misses a late commit. The price: a write
 * transaction still running anywhere on the server (xmin is cluster-wide: other schemas, other
 * databases, read-model transactions) holds newer events back until it ends; nothing is lost, events
 * arrive late. readAll and headPosition wait up to `stableWaitMs` for such events, so a caller reads
 * its own appends; subscriptions do not wait, their short poll interval picks the events up.
 *
 * A multi-stream append (appendToStreams of two or more streams) is one explicit transaction on one
 * connection: it moves the stream rows one statement each, in stream-name order so that two calls
 * sharing streams lock them in the same order and cannot deadlock, then inserts all events with one
 * statement in input order, then commits. Every row of it carries the one transaction id, so the
 * stable prefix takes in all of its events at once or none, and in $all nothing lies between them.
 */
export class PostgresEventStore implements EventStore {
  readonly kind = 'postgres';
  readonly schema: string;
  private readonly driver: typeof pg;
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly local = new LocalWakeUps();
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private readonly channel: string;
  private notifyInFlight = false;
  private notifyAgain = false;
  private readonly sql: ReturnType<typeof statements>;
  private readonly onPoolError = (): void => {
    // An idle client lost its connection: the pool drops it and the next query reports the outage.
  };
  private schemaReady: Promise<void> | null = null;
  private listener: pg.Client | null = null;
  private listenerConnecting: Promise<void> | null = null;
  private listenerRetry: NodeJS.Timeout | null = null;
  private heldBackRecheck: NodeJS.Timeout | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: PostgresEventStoreOptions) {
    if (typeof options?.connectionString !== 'string' || options.connectionString === '')
      throw new EventStoreInputError('connectionString', 'must be a PostgreSQL URL');
    this.schema = options.schema ?? 'public';
    if (!SCHEMA_NAME.test(this.schema))
      throw new EventStoreInputError('schema', `"${this.schema}" is not a plain identifier (letters, digits, _; at most 63 characters)`);
    const hash = createHash('sha1').update(this.schema).digest('hex').slice(0, 12);
    // LISTEN/NOTIFY channels are per database: one per schema, so two stores in one database stay apart.
    this.channel = `csmcp_es_${this.schema}`.length <= 63 ? `csmcp_es_${this.schema}` : `csmcp_es_${hash}`;
    this.sql = statements(quoteIdentifier(this.schema), `es_${hash}`);
    // Loaded here, not imported: a deployment on the embedded store never loads the PostgreSQL driver.
    this.driver = require('pg') as typeof pg;
    this.ownsPool = options.pool === undefined;
    this.pool =
      options.pool ??
      new this.driver.Pool({
        connectionString: options.connectionString,
        max: options.poolSize ?? 10,
        connectionTimeoutMillis: this.connectionTimeoutMs,
        query_timeout: this.options.queryTimeoutMs ?? 15_000,
        ...KEEP_ALIVE,
      });
    this.pool.on('error', this.onPoolError);
  }

  /** Creates the schema and tables if missing. Optional: every operation does it on first use. */
  init(): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    this.schemaReady ??= this.createSchema().catch((error) => {
      this.schemaReady = null;
      throw error;
    });
    return this.schemaReady;
  }

  async appendToStream(streamName: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const append = prepareAppend(streamName, events, options);
    await this.init();
    const { nextExpectedRevision, position } = await this.appendOne(append);
    return { nextExpectedRevision, position };
  }

  async appendToStreams(appends: readonly StreamAppend[], options?: MultiAppendOptions): Promise<MultiAppendResult> {
    const prepared = prepareAppends(appends, options);
    await this.init();
    // One stream needs no explicit transaction: the single-statement append is one already, and faster.
    const streams = prepared.length === 1 ? [await this.appendOne(prepared[0])] : await this.appendMany(prepared);
    return { streams, position: latestPosition(streams.map((s) => s.position)) };
  }

  /** One stream: one statement, hence one round trip and one transaction (see the class comment). */
  private async appendOne(append: PreparedStreamAppend): Promise<StreamAppendResult> {
    for (let attempt = 1; ; attempt++) {
      let row: AppendRow;
      try {
        row = (await this.pool.query<AppendRow>(this.appendQuery(append.streamName, append.events, append.expectedRevision))).rows[0];
      } catch (error) {
        if (isUniqueViolation(error, EVENT_ID_UNIQUE)) return this.afterRefusal(append.streamName, append.events, append.expectedRevision, error);
        // Cannot happen while es_streams and es_events agree, but if it does it is a lost race, not a failure.
        if (isUniqueViolation(error, STREAM_REVISION_UNIQUE))
          throw new ConcurrencyError(append.streamName, append.expectedRevision, await this.currentRevision(append.streamName));
        if (isSerializationFailure(error) && attempt < MAX_SERIALIZATION_RETRIES) continue;
        throw toStoreError(error, 'append failed');
      }
      if (row?.revision === null || row?.revision === undefined || row.global_position === null || row.transaction_id === null)
        return this.afterRefusal(append.streamName, append.events, append.expectedRevision, null);
      this.local.notify();
      this.notifyOtherProcesses();
      return {
        streamName: append.streamName,
        nextExpectedRevision: toSafeNumber(row.revision, 'revision'),
        position: toPosition(row.transaction_id, row.global_position),
      };
    }
  }

  /** Two or more streams in one explicit transaction (see the class comment). */
  private async appendMany(appends: PreparedStreamAppend[]): Promise<StreamAppendResult[]> {
    for (let attempt = 1; ; attempt++) {
      let outcome: { results: StreamAppendResult[] } | { refusal: MultiRefusal };
      try {
        outcome = await this.appendManyOnce(appends);
      } catch (error) {
        // A deadlock (only possible between calls that reuse each other's event ids) was rolled back: run it again.
        if (isSerializationFailure(error) && attempt < MAX_SERIALIZATION_RETRIES) continue;
        throw toStoreError(error, 'append failed');
      }
      if ('refusal' in outcome) return this.afterMultiRefusal(appends, outcome.refusal);
      this.local.notify();
      this.notifyOtherProcesses();
      return outcome.results;
    }
  }

  private async appendManyOnce(appends: PreparedStreamAppend[]): Promise<{ results: StreamAppendResult[] } | { refusal: MultiRefusal }> {
    const client = await this.pool.connect();
    // A connection that failed mid-transaction is not given back to the pool.
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const revisions = new Map<string, number>();
      for (const append of [...appends].sort((a, b) => (a.streamName < b.streamName ? -1 : a.streamName > b.streamName ? 1 : 0))) {
        const { rows } = await client.query<{ revision: string | number }>(this.moveQuery(append));
        if (rows.length === 0) {
          await client.query('ROLLBACK');
          return { refusal: { stream: append } };
        }
        revisions.set(append.streamName, toSafeNumber(rows[0].revision, 'revision'));
      }
      let rows: StreamResultRow[];
      try {
        rows = (await client.query<StreamResultRow>(this.insertEventsQuery(appends, revisions))).rows;
      } catch (error) {
        if (!isUniqueViolation(error, EVENT_ID_UNIQUE)) throw error;
        await client.query('ROLLBACK');
        return { refusal: { duplicate: error } };
      }
      await client.query('COMMIT');
      const byStream = new Map(rows.map((row) => [row.stream_name, row]));
      return {
        results: appends.map(({ streamName }) => {
          const row = byStream.get(streamName)!;
          return {
            streamName,
            nextExpectedRevision: toSafeNumber(row.revision, 'revision'),
            position: toPosition(row.transaction_id, row.global_position),
          };
        }),
      };
    } catch (error) {
      broken = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * A multi-stream append wrote nothing. Streams whose events were written before (a retry, same
   * ids and expectation) answer as the first time; if some streams remain, they are appended now
   * (they were refused only because the call as a whole was). Otherwise the refusal stands.
   */
  private async afterMultiRefusal(appends: PreparedStreamAppend[], refusal: MultiRefusal): Promise<StreamAppendResult[]> {
    const { rows } = await this.query<IdRow>({ ...this.sql.byIds, values: [appends.flatMap((a) => a.events.map((e) => e.id))] });
    const byId = new Map(rows.map((row) => [row.event_id, row]));
    const answered = new Map<string, StreamAppendResult>();
    for (const { streamName, events, expectedRevision } of appends) {
      const first = byId.get(events[0].id);
      if (first) answered.set(streamName, await this.idempotentResult(streamName, events, expectedRevision, byId, toSafeNumber(first.revision, 'revision')));
    }
    if (answered.size === 0) {
      if ('stream' in refusal) {
        const { streamName, expectedRevision } = refusal.stream;
        throw new ConcurrencyError(streamName, expectedRevision, await this.currentRevision(streamName));
      }
      const taken = appends.flatMap((a) => a.events).find((e) => byId.has(e.id))?.id;
      throw new DuplicateEventIdError(taken ?? duplicateKey(refusal.duplicate) ?? appends[0].events[0].id);
    }
    const rest = appends.filter((a) => !answered.has(a.streamName));
    if (rest.length > 0) {
      const written = rest.length === 1 ? [await this.appendOne(rest[0])] : await this.appendMany(rest);
      for (const result of written) answered.set(result.streamName, result);
    }
    return appends.map((a) => answered.get(a.streamName)!);
  }

  /**
   * Wakes subscribers in other processes. Outside the append's transaction on purpose: PostgreSQL
   * serialises the commits of notifying transactions, which would stop concurrent appends from
   * sharing a WAL flush. At most one NOTIFY is in flight per store; appends meanwhile coalesce into
   * one more. A lost NOTIFY only delays delivery to the next poll.
   */
  private notifyOtherProcesses(): void {
    if (this.notifyInFlight) {
      this.notifyAgain = true;
      return;
    }
    this.notifyInFlight = true;
    this.pool.query('SELECT pg_notify($1, $2)', [this.channel, '']).then(
      () => this.afterNotify(),
      () => this.afterNotify(),
    );
  }

  private afterNotify(): void {
    this.notifyInFlight = false;
    if (this.notifyAgain && !this.closed) {
      this.notifyAgain = false;
      this.notifyOtherProcesses();
    }
  }

  async readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    validateStreamName(streamName);
    const { fromRevision, maxCount } = validateReadStream(options);
    const { rows } = await this.query<EventRow>({ name: this.sql.readStream.name, text: this.sql.readStream.text, values: [streamName, fromRevision, maxCount] });
    return rows.map(toRecorded);
  }

  /**
   * The stable prefix after `after`. When committed events lie beyond it, held back by an older
   * transaction still running, waits for that transaction (up to stableWaitMs) so a caller reads
   * its own appends; after that it answers with the prefix as it is.
   */
  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    const { after, maxCount } = validateReadAll(options);
    return this.untilStable(async () => {
      const { events, heldBack } = await this.readPage(after, maxCount);
      return { result: events, heldBack: heldBack && events.length < maxCount };
    });
  }

  /** The newest position of the stable prefix, waiting like readAll for events held back. */
  async headPosition(): Promise<Position | null> {
    return this.untilStable(async () => {
      const { rows } = await this.query<HeadRow>({ ...this.sql.head, values: [] });
      const row = rows[0];
      const head = row?.transaction_id == null || row.global_position == null ? null : toPosition(row.transaction_id, row.global_position);
      return { result: head, heldBack: row?.held_back === true };
    });
  }

  subscribeToAll(options: SubscribeOptions): Subscription {
    let subscription: CatchUpSubscription | undefined;
    const wakeUps: WakeUpSource = {
      onWakeUp: (listener) => {
        const off = this.local.onWakeUp(listener);
        this.startListener();
        return () => {
          off();
          if (subscription) this.subscriptions.delete(subscription);
        };
      },
    };
    subscription = new CatchUpSubscription((after, max) => this.readAfter(after, max), wakeUps, options, {
      // Short, because a notification can arrive while xmin still holds the event back (an older
      // transaction is running); the poll picks it up once that transaction has ended.
      pollIntervalMs: this.options.pollIntervalMs ?? 200,
    });
    this.subscriptions.add(subscription);
    if (this.closed) void subscription.stop();
    return subscription;
  }

  async ping(): Promise<void> {
    if (this.closed) throw closedError();
    try {
      await this.pool.query('SELECT 1');
    } catch (error) {
      throw toStoreError(error, 'ping failed');
    }
  }

  /** Stops this store's subscriptions, closes the LISTEN connection and ends the pool it created. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = (async () => {
      // Without their store they could only retry forever.
      for (const subscription of this.subscriptions) void subscription.stop();
      this.subscriptions.clear();
      if (this.listenerRetry) clearTimeout(this.listenerRetry);
      this.listenerRetry = null;
      if (this.heldBackRecheck) clearTimeout(this.heldBackRecheck);
      this.heldBackRecheck = null;
      await this.listenerConnecting;
      const listener = this.listener;
      this.listener = null;
      await listener?.end().catch(() => undefined);
      if (this.ownsPool) await this.pool.end().catch(() => undefined);
      // Queries of a shared pool that fail later must still not crash the process; only our listener goes.
      else this.pool.off('error', this.onPoolError);
    })();
    return this.closing;
  }

  private get connectionTimeoutMs(): number {
    return this.options.connectionTimeoutMs ?? 5_000;
  }

  /**
   * What subscriptions read, without waiting. Events held back behind a transaction still running
   * elsewhere in the database were announced by a NOTIFY that has been spent: look again shortly,
   * rather than at the next poll (which may be far off), until they are in the prefix.
   */
  private async readAfter(after: Position | null, maxCount: number): Promise<RecordedEvent[]> {
    const page = await this.readPage(after, maxCount);
    if (page.heldBack && !this.heldBackRecheck && !this.closed) {
      this.heldBackRecheck = setTimeout(() => {
        this.heldBackRecheck = null;
        this.local.notify();
      }, 25);
      this.heldBackRecheck.unref();
    }
    return page.events;
  }

  private async readPage(after: Position | null, maxCount: number): Promise<{ events: RecordedEvent[]; heldBack: boolean }> {
    // (0, 0) is before every event: real transaction ids start at 3.
    const { rows } = await this.query<PageRow>({
      ...this.sql.readAll,
      values: [String(after?.commit ?? 0), after?.prepare ?? 0, maxCount],
    });
    // No event in the prefix: one row of NULLs carrying held_back.
    const events = rows.filter((row) => row.event_id !== null).map((row) => toRecorded(row as EventRow));
    return { events, heldBack: rows[0]?.held_back === true };
  }

  private async untilStable<T>(read: () => Promise<{ result: T; heldBack: boolean }>): Promise<T> {
    const deadline = Date.now() + (this.options.stableWaitMs ?? 2_000);
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      const { result, heldBack } = await read();
      if (!heldBack || Date.now() + delay > deadline) return result;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  private async query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>> {
    await this.init();
    try {
      return await this.pool.query<R>(config);
    } catch (error) {
      throw toStoreError(error, 'read failed');
    }
  }

  private appendQuery(streamName: string, events: PreparedEvent[], expected: ExpectedRevision): pg.QueryConfig {
    const rows = [events.map((e) => e.id), events.map((e) => e.type), events.map((e) => e.dataJson), events.map((e) => e.metadataJson)];
    const common = [streamName, events.length, ...rows];
    if (typeof expected === 'number') return { ...this.sql.appendExact, values: [...common, expected] };
    const statement = { no_stream: this.sql.appendNoStream, stream_exists: this.sql.appendStreamExists, any: this.sql.appendAny }[expected];
    return { ...statement, values: common };
  }

  /** Moves one stream row of a multi-stream append; no row back when its expected revision does not hold. */
  private moveQuery({ streamName, events, expectedRevision }: PreparedStreamAppend): pg.QueryConfig {
    if (typeof expectedRevision === 'number') return { ...this.sql.moveExact, values: [streamName, events.length, expectedRevision] };
    const statement = { no_stream: this.sql.moveNoStream, stream_exists: this.sql.moveStreamExists, any: this.sql.moveAny }[expectedRevision];
    return { ...statement, values: [streamName, events.length] };
  }

  /** The events of all streams in input order, at the revisions their moved stream rows leave room for. */
  private insertEventsQuery(appends: PreparedStreamAppend[], revisions: Map<string, number>): pg.QueryConfig {
    const events = appends.flatMap(({ streamName, events }) => {
      const first = revisions.get(streamName)! - events.length + 1;
      return events.map((event, i) => ({ event, streamName, revision: first + i }));
    });
    return {
      ...this.sql.insertEvents,
      values: [
        events.map((e) => e.event.id),
        events.map((e) => e.streamName),
        events.map((e) => e.revision),
        events.map((e) => e.event.type),
        events.map((e) => e.event.dataJson),
        events.map((e) => e.event.metadataJson),
      ],
    };
  }

  /**
   * The append wrote nothing: either its expected revision did not hold or one of its ids exists.
   * Ids already written by this very append (a retry) answer as the first time did.
   */
  private async afterRefusal(
    streamName: string,
    events: PreparedEvent[],
    expected: ExpectedRevision,
    duplicate: unknown,
  ): Promise<StreamAppendResult> {
    const { rows } = await this.query<IdRow>({ ...this.sql.byIds, values: [events.map((e) => e.id)] });
    const byId = new Map(rows.map((row) => [row.event_id, row]));
    const first = byId.get(events[0].id);
    if (first) return this.idempotentResult(streamName, events, expected, byId, toSafeNumber(first.revision, 'revision'));
    if (duplicate !== null) throw new DuplicateEventIdError(events.find((e) => byId.has(e.id))?.id ?? duplicateKey(duplicate) ?? events[0].id);
    throw new ConcurrencyError(streamName, expected, await this.currentRevision(streamName));
  }

  /** The same ids appended again at the same expected revision answer as the first time and write nothing. */
  private async idempotentResult(
    streamName: string,
    events: PreparedEvent[],
    expected: ExpectedRevision,
    byId: Map<string, IdRow>,
    firstRevision: number,
  ): Promise<StreamAppendResult> {
    const placed = (e: PreparedEvent, i: number) => {
      const row = byId.get(e.id);
      return row !== undefined && row.stream_name === streamName && toSafeNumber(row.revision, 'revision') === firstRevision + i;
    };
    if (!events.every(placed)) {
      // The first id written elsewhere than this append would have put it; else some ids are new: the first one is reused.
      const misplaced = events.find((e, i) => byId.has(e.id) && !placed(e, i));
      throw new DuplicateEventIdError((misplaced ?? events[0]).id);
    }
    const expectedBefore = firstRevision === 0 ? 'no_stream' : firstRevision - 1;
    const sameExpectation = expected === 'any' || expected === expectedBefore || (expected === 'stream_exists' && firstRevision > 0);
    if (!sameExpectation) throw new ConcurrencyError(streamName, expected, await this.currentRevision(streamName));
    const last = byId.get(events[events.length - 1].id)!;
    return {
      streamName,
      nextExpectedRevision: toSafeNumber(last.revision, 'revision'),
      position: toPosition(last.transaction_id, last.global_position),
    };
  }

  private async currentRevision(streamName: string): Promise<number | 'no_stream'> {
    const { rows } = await this.query<{ revision: string | number }>({ ...this.sql.streamRevision, values: [streamName] });
    return rows.length === 0 ? 'no_stream' : toSafeNumber(rows[0].revision, 'revision');
  }

  private async createSchema(): Promise<void> {
    const s = quoteIdentifier(this.schema);
    try {
      const { rows } = await this.pool.query<{ ready: boolean }>(
        'SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL AS ready',
        [`${s}.es_events`, `${s}.es_streams`, `${s}.es_events_commit_order`],
      );
      // Already there: no DDL, so a role without CREATE rights can use a prepared schema.
      if (rows[0]?.ready) return;
      // Several statements in one simple query run as one transaction: the advisory lock is held until
      // all of them commit, so two processes starting at once do not race on the catalog (IF NOT EXISTS
      // alone can still fail with a unique violation in pg_namespace or pg_type).
      await this.pool.query(`
        SELECT pg_advisory_xact_lock(${DDL_LOCK_CLASS}, hashtext(${quoteLiteral(this.schema)}));
        CREATE SCHEMA IF NOT EXISTS ${s};
        CREATE TABLE IF NOT EXISTS ${s}.es_streams (
          stream_name text   PRIMARY KEY,
          revision    bigint NOT NULL
        );
        CREATE TABLE IF NOT EXISTS ${s}.es_events (
          global_position bigserial PRIMARY KEY,
          transaction_id  xid8      NOT NULL DEFAULT pg_current_xact_id(),
          event_id        uuid      NOT NULL CONSTRAINT ${EVENT_ID_UNIQUE} UNIQUE,
          stream_name     text      NOT NULL,
          revision        bigint    NOT NULL,
          type            text      NOT NULL,
          data            json      NOT NULL,
          metadata        json      NOT NULL,
          CONSTRAINT ${STREAM_REVISION_UNIQUE} UNIQUE (stream_name, revision)
        );
        CREATE INDEX IF NOT EXISTS es_events_commit_order ON ${s}.es_events (transaction_id, global_position);
      `);
    } catch (error) {
      throw toStoreError(error, `cannot create the event store tables in schema "${this.schema}"`);
    }
  }

  /** One connection per store LISTENs for appends of other processes; opened with the first subscription. */
  private startListener(): void {
    if (this.closed || this.listener || this.listenerConnecting || this.listenerRetry) return;
    const client = new this.driver.Client({
      connectionString: this.options.connectionString,
      connectionTimeoutMillis: this.connectionTimeoutMs,
      query_timeout: this.options.queryTimeoutMs ?? 15_000,
      ...KEEP_ALIVE,
    });
    const lost = () => {
      if (this.listener !== client) return;
      this.listener = null;
      client.end().catch(() => undefined);
      this.retryListener();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', () => this.local.notify());
    this.listenerConnecting = (async () => {
      try {
        await client.connect();
        await client.query(`LISTEN ${quoteIdentifier(this.channel)}`);
      } catch {
        await client.end().catch(() => undefined);
        this.retryListener();
        return;
      } finally {
        this.listenerConnecting = null;
      }
      if (this.closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.listener = client;
      // Appends committed while nobody listened (a reconnect): have the subscriptions look.
      this.local.notify();
    })();
  }

  private retryListener(): void {
    // Subscriptions keep polling meanwhile; notifications only make them faster.
    if (this.closed || this.local.size === 0 || this.listenerRetry) return;
    this.listenerRetry = setTimeout(() => {
      this.listenerRetry = null;
      if (this.local.size > 0) this.startListener();
    }, 1_000);
    this.listenerRetry.unref();
  }
}

/** The SQL of the store for one schema, each with a prepared-statement name unique to that schema. */
function statements(s: string, prefix: string) {
  const named = (name: string, text: string) => ({ name: `${prefix}_${name}`, text });
  const columns = `global_position, transaction_id::text AS transaction_id, event_id::text AS event_id, stream_name, revision, type,
    data::text AS data, metadata::text AS metadata`;
  // $1 stream, $2 number of events, $3..$6 the events' ids, types, data, metadata, $7 expected revision.
  // `stream` moves the stream row and yields its new revision, or no row when the expectation does not hold.
  const append = (name: string, stream: string) =>
    named(
      name,
      `WITH stream AS (${stream}),
       inserted AS (
         INSERT INTO ${s}.es_events (event_id, stream_name, revision, type, data, metadata)
         SELECT e.id, $1, stream.revision - $2::int + e.ord, e.type, e.data, e.metadata
         FROM stream, unnest($3::uuid[], $4::text[], $5::json[], $6::json[]) WITH ORDINALITY AS e(id, type, data, metadata, ord)
         ORDER BY e.ord
         RETURNING revision, global_position, transaction_id
       )
       -- One append is one transaction: every row has the same transaction id.
       SELECT max(revision) AS revision, max(global_position) AS global_position, (array_agg(transaction_id))[1]::text AS transaction_id
       FROM inserted`,
    );
  // Moving a stream row by $2 events, one statement per expectation; $expected is the exact revision.
  const moveNoStream = `INSERT INTO ${s}.es_streams (stream_name, revision) VALUES ($1, $2::int - 1) ON CONFLICT (stream_name) DO NOTHING RETURNING revision`;
  const moveAny = `INSERT INTO ${s}.es_streams AS st (stream_name, revision) VALUES ($1, $2::int - 1)
       ON CONFLICT (stream_name) DO UPDATE SET revision = st.revision + $2::int RETURNING revision`;
  const moveStreamExists = `UPDATE ${s}.es_streams SET revision = revision + $2::int WHERE stream_name = $1 RETURNING revision`;
  const moveExact = (expected: string) =>
    `UPDATE ${s}.es_streams SET revision = revision + $2::int WHERE stream_name = $1 AND revision = ${expected}::bigint RETURNING revision`;
  return {
    appendNoStream: append('append_no_stream', moveNoStream),
    appendAny: append('append_any', moveAny),
    appendStreamExists: append('append_stream_exists', moveStreamExists),
    appendExact: append('append_exact', moveExact('$7')),
    // The steps of a multi-stream append (one transaction): $1 stream, $2 number of events, $3 expected revision.
    moveNoStream: named('move_no_stream', moveNoStream),
    moveAny: named('move_any', moveAny),
    moveStreamExists: named('move_stream_exists', moveStreamExists),
    moveExact: named('move_exact', moveExact('$3')),
    // $1..$6 the events' ids, streams, revisions, types, data, metadata, in input order; one row per stream back.
    insertEvents: named(
      'insert_events',
      `WITH inserted AS (
         INSERT INTO ${s}.es_events (event_id, stream_name, revision, type, data, metadata)
         SELECT e.id, e.stream, e.revision, e.type, e.data, e.metadata
         FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::json[], $6::json[]) WITH ORDINALITY AS e(id, stream, revision, type, data, metadata, ord)
         ORDER BY e.ord
         RETURNING stream_name, revision, global_position, transaction_id
       )
       SELECT stream_name, max(revision) AS revision, max(global_position) AS global_position, (array_agg(transaction_id))[1]::text AS transaction_id
       FROM inserted GROUP BY stream_name`,
    ),
    readStream: named(
      'read_stream',
      `SELECT ${columns} FROM ${s}.es_events WHERE stream_name = $1 AND revision >= $2::bigint ORDER BY revision LIMIT $3::int`,
    ),
    // Only transactions older than the snapshot's xmin: they have all ended, and no transaction that
    // is still running or yet to start can get an id below xmin (see the class comment).
    // held_back: committed events lie beyond that prefix (same snapshot): readAll and headPosition wait for them.
    readAll: named(
      'read_all',
      `SELECT h.held_back, e.* FROM (
         -- The same bound as the page below, but as a scalar start key plus a filter: a row comparison
         -- next to a scalar on the same index column makes the scan start at $1 and walk the whole
         -- index from there to the end for every page (quadratic over a replay).
         SELECT EXISTS (
           SELECT 1 FROM ${s}.es_events
           WHERE transaction_id >= greatest(pg_snapshot_xmin(pg_current_snapshot()), $1::text::xid8)
             AND (transaction_id > $1::text::xid8 OR global_position > $2::bigint)
         ) AS held_back
       ) h
       LEFT JOIN LATERAL (
         -- Qualified names: unqualified, ORDER BY would pick the ::text output column and sort
         -- transaction ids as strings ('100000' < '99999'), skipping events and defeating the index.
         SELECT ${columns}, ev.transaction_id AS commit_order FROM ${s}.es_events ev
         WHERE ev.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
           AND (ev.transaction_id, ev.global_position) > ($1::text::xid8, $2::bigint)
         ORDER BY ev.transaction_id, ev.global_position
         LIMIT $3::int
       ) e ON true
       ORDER BY e.commit_order, e.global_position`,
    ),
    head: named(
      'head',
      `SELECT h.held_back, e.transaction_id, e.global_position FROM (
         SELECT EXISTS (SELECT 1 FROM ${s}.es_events WHERE transaction_id >= pg_snapshot_xmin(pg_current_snapshot())) AS held_back
       ) h
       LEFT JOIN LATERAL (
         SELECT ev.transaction_id::text AS transaction_id, ev.global_position FROM ${s}.es_events ev
         WHERE ev.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY ev.transaction_id DESC, ev.global_position DESC
         LIMIT 1
       ) e ON true`,
    ),
    byIds: named(
      'by_ids',
      `SELECT event_id::text AS event_id, stream_name, revision, global_position, transaction_id::text AS transaction_id
       FROM ${s}.es_events WHERE event_id = ANY($1::uuid[])`,
    ),
    streamRevision: named('stream_revision', `SELECT revision FROM ${s}.es_streams WHERE stream_name = $1`),
  };
}

function toPosition(transactionId: string, globalPosition: string | number): Position {
  return { commit: toSafeNumber(transactionId, 'transaction id'), prepare: toSafeNumber(globalPosition, 'global position') };
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    streamName: row.stream_name,
    revision: toSafeNumber(row.revision, 'revision'),
    position: toPosition(row.transaction_id, row.global_position),
    type: row.type,
    // Read as text and parsed here, whatever JSON parser a shared pool's owner installed.
    data: JSON.parse(row.data) as JsonObject,
    metadata: JSON.parse(row.metadata) as EventMetadata,
  };
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function closedError(): StoreUnavailableError {
  return new StoreUnavailableError('the store is closed');
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: string; constraint?: string };
  return e?.code === '23505' && e.constraint === constraint;
}

function isSerializationFailure(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === '40001' || code === '40P01';
}

/** The id in "Key (event_id)=(…) already exists." */
function duplicateKey(error: unknown): string | undefined {
  return /\(event_id\)=\(([0-9a-f-]{36})\)/i.exec((error as { detail?: string })?.detail ?? '')?.[1]?.toLowerCase();
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// Errors node-postgres raises itself, without a code, when a connection is lost or cannot be had.
// 'Query read timeout' is query_timeout expiring: no answer in time, the connection is dropped.
const DRIVER_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|is not queryable|Cannot use a pool after calling end|Query read timeout/i;

/**
 * The database cannot answer now (down, restarting, refusing connections, out of disk, a read-only
 * standby after a failover): StoreUnavailableError, safe to retry; a retried append with the same
 * event ids is idempotent, so an append whose commit was in flight is not written twice.
 * Everything else (bugs, permissions, bad SQL) propagates unchanged.
 */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof AggregateError && error.errors.some(isUnavailable)) return true;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (code.startsWith('08') || code.startsWith('57P0') || code.startsWith('53') || code === '25006') return true;
    if (NETWORK_CODES.has(code)) return true;
  }
  return typeof message === 'string' && DRIVER_MESSAGES.test(message);
}

function toStoreError(error: unknown, what: string): Error {
  if (error instanceof EventStoreError) return error;
  if (isUnavailable(error)) {
    const e = error as { code?: string; message?: string };
    // 53100 disk_full; 25006 read_only_sql_transaction (a standby, or default_transaction_read_only).
    const reason = e.code === '53100' ? 'disk_full' : e.code === '25006' ? 'read_only' : 'unknown';
    return new StoreUnavailableError(`${what} (${e.code ? `${e.code}: ` : ''}${e.message ?? String(error)})`, error, reason);
  }
  return error instanceof Error ? error : new Error(String(error));
}
