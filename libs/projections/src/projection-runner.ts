import {
  comparePositions,
  formatPosition,
  parsePosition,
  StoreUnavailableError,
  type EventStore,
  type Position,
  type RecordedEvent,
  type Subscription,
} from '@csmcp/event-store';
import { ProjectionApplyError, ProjectionTimeoutError, ProjectionVersionConflictError } from './errors';
import { validateProjections, type Projection } from './projection';
import { createTablesOnce } from './ddl';
import { send, type ReadModelDatabase, type SqlExecutor } from './sql';

export interface ProjectionLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

export interface ProjectionRunnerOptions {
  readonly store: EventStore;
  readonly db: ReadModelDatabase;
  readonly projections: readonly Projection[];
  /** Events per read-model transaction while following the log. Default 500. */
  readonly batchSize?: number;
  /** Events per read-model transaction during rebuild(). Default 1000. */
  readonly rebuildBatchSize?: number;
  /** Default: silent. status() always shows the last error of each projection. */
  readonly logger?: ProjectionLogger;
  /** First back-off after a failure; it doubles on each failure in a row. Default 500 ms. */
  readonly retryDelayMs?: number;
  /** Longest back-off. Default 30 s. */
  readonly maxRetryDelayMs?: number;
  /** Default timeout of waitForPosition. Default 10 s. */
  readonly waitTimeoutMs?: number;
}

export interface ProjectionStatus {
  readonly name: string;
  /** The version this process runs. */
  readonly version: number;
  /** Newest position applied to the read model as far as this process knows (null: nothing yet). */
  readonly position: Position | null;
  /** True once its subscription reached the head of the log (and it runs). */
  readonly live: boolean;
  /** The failure it is backing off from, null when healthy. */
  readonly lastError: string | null;
}

/** A projection's checkpoint as stored in the read-model database. */
export interface ProjectionCheckpoint {
  readonly name: string;
  /** Version the read model was built with; null before its first start. */
  readonly version: number | null;
  /** Version this process runs. */
  readonly codeVersion: number;
  readonly position: Position | null;
  readonly updatedAt: string | null;
}

export interface ProjectionLag {
  readonly head: Position | null;
  readonly caughtUp: boolean;
  readonly projections: ReadonlyArray<{ readonly name: string; readonly position: Position | null; readonly caughtUp: boolean }>;
}

export interface RebuildProgress {
  readonly name: string;
  /** Events of the log handled so far (applied, or skipped because they are not of a handled type). */
  readonly processed: number;
  /** Events in the log up to the head measured when the rebuild started. */
  readonly total: number;
}

export interface WaitForPositionOptions {
  /** Projections to wait for. Default: all. */
  readonly projections?: readonly string[];
  readonly timeoutMs?: number;
}

const CHECKPOINT_TABLE = `CREATE TABLE IF NOT EXISTS projection_checkpoints (
  name       TEXT PRIMARY KEY,
  position   TEXT NOT NULL,
  version    INTEGER,
  updated_at TEXT NOT NULL
)`;
const COUNT_PAGE = 10_000;
/** During a rebuild on SQLite, a pause of FAIR_SHARE_PAUSE_MS every FAIR_SHARE_EVERY_MS of work. */
const FAIR_SHARE_EVERY_MS = 100;
const FAIR_SHARE_PAUSE_MS = 5;

interface CheckpointRow {
  position: string;
  version: number | null;
}

interface BatchOutcome {
  /** The stored checkpoint was behind the batch's start: someone reset the projection. */
  readonly movedBack: boolean;
  /** The stored checkpoint once the transaction committed. */
  readonly position: Position | null;
}

/** Thrown out of a subscription's handler to restart it elsewhere: not a failure. */
class Reposition extends Error {
  constructor(
    readonly position: Position | null,
    readonly reason: 'moved-back' | 'ahead',
  ) {
    super(`reposition to ${formatPosition(position)}`);
  }
}

class Worker {
  readonly handles: ReadonlySet<string>;
  /** Newest position applied to the read model that this process knows of. */
  position: Position | null = null;
  /** The current subscription delivers events strictly after this. */
  cursor: Position | null = null;
  subscription: Subscription | null = null;
  live = false;
  lastError: string | null = null;
  failures = 0;
  retryTimer: NodeJS.Timeout | null = null;
  /** Bumped whenever the subscription is replaced or abandoned: callbacks of older ones are ignored. */
  generation = 0;

  constructor(readonly projection: Projection) {
    this.handles = new Set(projection.handles);
  }

  get name(): string {
    return this.projection.name;
  }
}

interface Waiter {
  readonly workers: readonly Worker[];
  readonly position: Position;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const silent: ProjectionLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Runs projections: one subscription to the whole log per projection, each batch applied in one
 * read-model transaction together with the projection's checkpoint. Inside that transaction the stored
 * checkpoint is locked and re-read, so several processes (servers, the CLI) can run the same
 * projections on the same read models and every event is still applied exactly once.
 */
export class ProjectionRunner {
  private readonly store: EventStore;
  private readonly db: ReadModelDatabase;
  private readonly workers: Worker[];
  private readonly byName: Map<string, Worker>;
  private readonly batchSize: number;
  private readonly rebuildBatchSize: number;
  private readonly logger: ProjectionLogger;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly waitTimeoutMs: number;
  private readonly waiters = new Set<Waiter>();
  private readonly background = new Set<Promise<void>>();
  private running = false;
  private starting = false;
  /** Bumped by stop(): a start() still preparing when stop() is called subscribes nothing. */
  private epoch = 0;
  private tableReady = false;

  constructor(options: ProjectionRunnerOptions) {
    validateProjections(options.projections);
    this.store = options.store;
    this.db = options.db;
    this.workers = options.projections.map((p) => new Worker(p));
    this.byName = new Map(this.workers.map((w) => [w.name, w]));
    this.batchSize = options.batchSize ?? 500;
    this.rebuildBatchSize = options.rebuildBatchSize ?? 1_000;
    for (const [key, value] of [['batchSize', this.batchSize], ['rebuildBatchSize', this.rebuildBatchSize]] as const)
      if (!Number.isSafeInteger(value) || value < 1 || value > 100_000) throw new RangeError(`${key} must be an integer from 1 to 100000`);
    this.logger = options.logger ?? silent;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.waitTimeoutMs = options.waitTimeoutMs ?? 10_000;
  }

  /**
   * Creates the checkpoint table, sets every projection up (rebuilding those whose stored version
   * differs from their code version) and subscribes each from its stored checkpoint.
   */
  async start(): Promise<void> {
    if (this.running || this.starting) throw new Error('The projection runner is already started');
    this.starting = true;
    const epoch = this.epoch;
    try {
      await this.ensureCheckpointTable();
      for (const worker of this.workers) {
        worker.position = await this.prepare(worker, 'start');
        worker.lastError = null;
        worker.failures = 0;
      }
      if (epoch !== this.epoch) return;
      this.running = true;
      for (const worker of this.workers) {
        this.logger.info({ projection: worker.name, version: worker.projection.version, from: formatPosition(worker.position) }, 'projection starting');
        this.subscribe(worker, worker.position);
      }
    } finally {
      this.starting = false;
    }
  }

  /** Stops every subscription; resolves once no batch is being applied any more. */
  async stop(): Promise<void> {
    this.running = false;
    this.epoch++;
    const stopping: Array<Promise<void>> = [];
    for (const worker of this.workers) {
      worker.generation++;
      if (worker.retryTimer) clearTimeout(worker.retryTimer);
      worker.retryTimer = null;
      if (worker.subscription) stopping.push(worker.subscription.stop());
      worker.subscription = null;
      worker.live = false;
    }
    await Promise.all([...stopping, ...this.background]);
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error('The projection runner stopped before the projections reached the position'));
    }
    this.waiters.clear();
  }

  status(): ProjectionStatus[] {
    return this.workers.map((w) => ({
      name: w.name,
      version: w.projection.version,
      position: w.position,
      live: this.running && w.live,
      lastError: w.lastError,
    }));
  }

  /** The checkpoints as stored (what every process sees), whether or not this runner is started. */
  async checkpoints(): Promise<ProjectionCheckpoint[]> {
    await this.ensureCheckpointTable();
    const rows = await this.db.all<CheckpointRow & { name: string; updated_at: string }>(
      'SELECT name, position, version, updated_at FROM projection_checkpoints',
    );
    const byName = new Map(rows.map((r) => [r.name, r]));
    return this.workers.map((w) => {
      const row = byName.get(w.name);
      return {
        name: w.name,
        version: row?.version ?? null,
        codeVersion: w.projection.version,
        position: parsePosition(row?.position),
        updatedAt: row?.updated_at ?? null,
      };
    });
  }

  /** Each projection's position against the head of the log. */
  async lag(): Promise<ProjectionLag> {
    const head = await this.store.headPosition();
    const projections = this.workers.map((w) => ({
      name: w.name,
      position: w.position,
      caughtUp: comparePositions(w.position, head) >= 0,
    }));
    return { head, caughtUp: projections.every((p) => p.caughtUp), projections };
  }

  /** True when every projection has applied the log up to its current head (readiness). */
  async isCaughtUp(): Promise<boolean> {
    return (await this.lag()).caughtUp;
  }

  /**
   * Resolves as soon as the projections (default: all) have applied the event at `position`, e.g. the
   * position an append returned: read-your-writes. Rejects with ProjectionTimeoutError after the timeout.
   */
  waitForPosition(position: Position, options?: WaitForPositionOptions): Promise<void> {
    let workers: Worker[];
    try {
      workers = this.select(options?.projections);
    } catch (error) {
      return Promise.reject(error);
    }
    if (reached(workers, position)) return Promise.resolve();
    const timeoutMs = options?.timeoutMs ?? this.waitTimeoutMs;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        workers,
        position,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(this.timeoutError(workers, position, timeoutMs));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /**
   * Rebuilds projections (default: all) from the first event: in one transaction their data is reset
   * and their checkpoint set to the start, then they are caught up to the head of the log as it was
   * when the rebuild began. Safe while other processes run the same projections: they notice the
   * reset checkpoint and help. If this runner is started, the projection resumes live afterwards.
   */
  async rebuild(names?: readonly string[], onProgress?: (progress: RebuildProgress) => void): Promise<void> {
    const workers = this.select(names);
    await this.ensureCheckpointTable();
    const head = await this.store.headPosition();
    const total = onProgress ? await this.countEvents(head) : 0;
    for (const worker of workers) {
      const wasRunning = this.running;
      if (wasRunning) await this.pause(worker);
      const started = Date.now();
      try {
        await this.prepare(worker, 'rebuild');
        worker.position = null;
        worker.lastError = null;
        worker.failures = 0;
        this.logger.info({ projection: worker.name, head: formatPosition(head) }, 'projection rebuilding');
        onProgress?.({ name: worker.name, processed: 0, total });
        const processed = await this.catchUp(worker, head, (n) => onProgress?.({ name: worker.name, processed: n, total }));
        const ms = Date.now() - started;
        this.logger.info({ projection: worker.name, events: processed, ms }, 'projection rebuilt');
      } finally {
        if (wasRunning && this.running) this.track(this.resume(worker));
      }
    }
  }

  // --- one projection's life --------------------------------------------------------------------

  /**
   * In one transaction, holding the projection's checkpoint lock: create its checkpoint row if missing,
   * run its setup, and reset it when rebuilding, on its first start, or when its version changed.
   * Returns the checkpoint to continue from.
   */
  private prepare(worker: Worker, mode: 'start' | 'rebuild'): Promise<Position | null> {
    const { projection } = worker;
    return this.db.transaction(async (tx) => {
      const now = new Date().toISOString();
      await tx.run(
        'INSERT INTO projection_checkpoints (name, position, version, updated_at) VALUES (?, ?, NULL, ?) ON CONFLICT (name) DO NOTHING',
        [projection.name, formatPosition(null), now],
      );
      const row = (await lockCheckpoint(tx, projection.name))!;
      await projection.setup(tx);
      if (mode === 'start' && row.version === projection.version) return parsePosition(row.position);
      if (mode === 'start' && row.version !== null)
        this.logger.info(
          { projection: projection.name, from: row.version, to: projection.version },
          'projection version changed: rebuilding its read model',
        );
      await projection.reset(tx);
      await tx.run('UPDATE projection_checkpoints SET position = ?, version = ?, updated_at = ? WHERE name = ?', [
        formatPosition(null),
        projection.version,
        now,
        projection.name,
      ]);
      return null;
    });
  }

  /**
   * The heart of it: one transaction applies the events after the stored checkpoint and moves it.
   * `cursor` is where the caller's reading started; a stored checkpoint behind it means the projection
   * was reset by someone else, and nothing is applied.
   */
  private applyBatch(worker: Worker, cursor: Position | null, events: readonly RecordedEvent[]): Promise<BatchOutcome> {
    const { projection, handles } = worker;
    return this.db.transaction(async (tx) => {
      const row = await lockCheckpoint(tx, projection.name);
      if (!row) throw new Error(`The checkpoint of projection "${projection.name}" has disappeared`);
      if (row.version !== projection.version) throw new ProjectionVersionConflictError(projection.name, row.version, projection.version);
      const stored = parsePosition(row.position);
      if (comparePositions(stored, cursor) < 0) return { movedBack: true, position: stored };
      let applied = stored;
      for (const event of events) {
        // At or before the checkpoint: another process applied it already.
        if (comparePositions(event.position, applied) <= 0) continue;
        if (handles.has(event.type)) {
          try {
            await projection.apply(event, tx);
          } catch (error) {
            if (error instanceof StoreUnavailableError) throw error;
            throw new ProjectionApplyError(projection.name, event, error);
          }
        }
        applied = event.position;
      }
      // Queued: on PostgreSQL it rides with the batch's statements and the COMMIT, no round trip of its own.
      if (applied !== stored)
        await send(tx, 'UPDATE projection_checkpoints SET position = ?, updated_at = ? WHERE name = ?', [
          formatPosition(applied),
          new Date().toISOString(),
          projection.name,
        ]);
      return { movedBack: false, position: applied };
    });
  }

  private subscribe(worker: Worker, after: Position | null): void {
    const generation = ++worker.generation;
    worker.cursor = after;
    worker.live = false;
    try {
      worker.subscription = this.store.subscribeToAll({
        after,
        batchSize: this.batchSize,
        handler: (events) => this.handleBatch(worker, generation, events),
        onCaughtUp: () => {
          if (generation !== worker.generation) return;
          worker.live = true;
        },
        onError: (error) => this.onSubscriptionError(worker, generation, error),
      });
    } catch (error) {
      worker.subscription = null;
      this.fail(worker, error);
    }
  }

  private async handleBatch(worker: Worker, generation: number, events: readonly RecordedEvent[]): Promise<void> {
    if (events.length === 0 || generation !== worker.generation) return;
    const outcome = await this.applyBatch(worker, worker.cursor, events);
    if (outcome.movedBack) throw new Reposition(outcome.position, 'moved-back');
    const last = events[events.length - 1].position;
    worker.cursor = last;
    worker.failures = 0;
    worker.lastError = null;
    this.advance(worker, outcome.position);
    // Another process is more than a batch ahead: skip to its checkpoint instead of reading through.
    if (comparePositions(outcome.position, last) > 0) throw new Reposition(outcome.position, 'ahead');
    // With an embedded (synchronous) store and database, catching up is all microtasks: let I/O in.
    await yieldToEventLoop();
  }

  private onSubscriptionError(worker: Worker, generation: number, error: unknown): void {
    if (generation !== worker.generation) return;
    worker.subscription = null;
    worker.live = false;
    if (!this.running) return;
    if (error instanceof Reposition) {
      if (error.reason === 'moved-back') {
        this.logger.info(
          { projection: worker.name, from: formatPosition(error.position), was: formatPosition(worker.position) },
          'projection checkpoint moved back (rebuilt elsewhere): following it',
        );
        worker.position = error.position;
      }
      this.subscribe(worker, error.position);
      return;
    }
    this.fail(worker, error);
  }

  /** Logs the failure, shows it in status() and restarts from the stored checkpoint after a back-off. */
  private fail(worker: Worker, error: unknown): void {
    worker.failures++;
    worker.live = false;
    worker.lastError = error instanceof Error ? error.message : String(error);
    // An unavailable store comes back by itself: retried at least every 5 s.
    const cap = error instanceof StoreUnavailableError ? Math.min(this.maxRetryDelayMs, 5_000) : this.maxRetryDelayMs;
    const delay = Math.min(this.retryDelayMs * 2 ** Math.min(worker.failures - 1, 30), cap);
    const context: Record<string, unknown> = { projection: worker.name, err: error, retryInMs: delay, failures: worker.failures };
    if (error instanceof ProjectionApplyError)
      this.logger.error(
        { ...context, eventId: error.eventId, eventType: error.eventType, position: formatPosition(error.position) },
        'projection failed to apply an event; its batch was rolled back',
      );
    else if (error instanceof StoreUnavailableError) this.logger.warn(context, 'projection paused: store unavailable');
    else this.logger.error(context, 'projection failed');
    if (!this.running) return;
    if (worker.retryTimer) clearTimeout(worker.retryTimer);
    const generation = worker.generation;
    worker.retryTimer = setTimeout(() => {
      worker.retryTimer = null;
      if (generation === worker.generation) this.track(this.resume(worker));
    }, delay);
  }

  /** Subscribes again from the stored checkpoint (which may have moved while it was stopped). */
  private async resume(worker: Worker): Promise<void> {
    if (!this.running) return;
    const generation = ++worker.generation;
    try {
      const row = await this.db.get<CheckpointRow>('SELECT position, version FROM projection_checkpoints WHERE name = ?', [worker.name]);
      const after = row ? parsePosition(row.position) : await this.prepare(worker, 'start');
      if (!this.running || generation !== worker.generation) return;
      worker.position = after;
      this.subscribe(worker, after);
    } catch (error) {
      if (this.running && generation === worker.generation) this.fail(worker, error);
    }
  }

  /** Stops one projection's subscription (for a rebuild by this runner). */
  private async pause(worker: Worker): Promise<void> {
    worker.generation++;
    if (worker.retryTimer) clearTimeout(worker.retryTimer);
    worker.retryTimer = null;
    const subscription = worker.subscription;
    worker.subscription = null;
    worker.live = false;
    await subscription?.stop();
  }

  /** Applies the log up to `head` in batches, starting from the (just reset) checkpoint. */
  private async catchUp(worker: Worker, head: Position | null, report: (processed: number) => void): Promise<number> {
    let cursor: Position | null = null;
    let processed = 0;
    let lastPause = Date.now();
    while (head !== null && comparePositions(cursor, head) < 0) {
      if (this.db.dialect === 'sqlite' && Date.now() - lastPause >= FAIR_SHARE_EVERY_MS) {
        // SQLite has one writer: leave a gap now and then so other processes' projections get a turn.
        await new Promise((resolve) => setTimeout(resolve, FAIR_SHARE_PAUSE_MS));
        lastPause = Date.now();
      }
      const page = await this.store.readAll({ after: cursor, maxCount: this.rebuildBatchSize });
      const events = comparePositions(page[page.length - 1]?.position ?? null, head) > 0 ? page.filter((e) => comparePositions(e.position, head) <= 0) : page;
      if (events.length === 0) break;
      const outcome = await this.applyBatch(worker, cursor, events);
      if (outcome.movedBack) {
        // Rebuilt once more by someone else meanwhile: follow the stored checkpoint.
        cursor = outcome.position;
        if (cursor === null) processed = 0;
        continue;
      }
      cursor = events[events.length - 1].position;
      processed += events.length;
      this.advance(worker, outcome.position);
      report(processed);
      await yieldToEventLoop();
    }
    return processed;
  }

  private async countEvents(head: Position | null): Promise<number> {
    let count = 0;
    let after: Position | null = null;
    while (head !== null && comparePositions(after, head) < 0) {
      const page = await this.store.readAll({ after, maxCount: COUNT_PAGE });
      if (page.length === 0) break;
      for (const event of page) if (comparePositions(event.position, head) <= 0) count++;
      after = page[page.length - 1].position;
    }
    return count;
  }

  // --- helpers ----------------------------------------------------------------------------------

  private advance(worker: Worker, position: Position | null): void {
    if (comparePositions(position, worker.position) > 0) worker.position = position;
    if (this.waiters.size === 0) return;
    for (const waiter of this.waiters) {
      if (!reached(waiter.workers, waiter.position)) continue;
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
      waiter.resolve();
    }
  }

  private async ensureCheckpointTable(): Promise<void> {
    if (this.tableReady) return;
    await createTablesOnce(this.db, 'csmcp_projection_checkpoints_ddl', CHECKPOINT_TABLE);
    this.tableReady = true;
  }

  private select(names: readonly string[] | undefined): Worker[] {
    if (names === undefined || names.length === 0) return [...this.workers];
    const unknown = names.filter((n) => !this.byName.has(n));
    if (unknown.length > 0)
      throw new RangeError(
        `Unknown projection ${unknown.map((n) => `"${n}"`).join(', ')}; known: ${this.workers.map((w) => w.name).join(', ') || '(none)'}`,
      );
    return [...new Set(names)].map((n) => this.byName.get(n)!);
  }

  private track(work: Promise<void>): void {
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
  }

  private timeoutError(workers: readonly Worker[], position: Position, timeoutMs: number): ProjectionTimeoutError {
    const behind = workers
      .filter((w) => comparePositions(w.position, position) < 0)
      .map((w) => `"${w.name}" (at ${formatPosition(w.position)}${w.lastError ? `, failing: ${w.lastError}` : ''})`);
    return new ProjectionTimeoutError(
      `Projection${behind.length === 1 ? '' : 's'} ${behind.join(', ')} did not reach position ${formatPosition(position)} within ${timeoutMs} ms`,
      position,
    );
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function reached(workers: readonly Worker[], position: Position): boolean {
  return workers.every((w) => comparePositions(w.position, position) >= 0);
}

function lockCheckpoint(tx: SqlExecutor, name: string): Promise<CheckpointRow | undefined> {
  // SQLite: BEGIN IMMEDIATE already made the transaction the only writer.
  const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
  return tx.get<CheckpointRow>(`SELECT position, version FROM projection_checkpoints WHERE name = ?${lock}`, [name]);
}
