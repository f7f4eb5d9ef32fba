/**
 * The projection runner's behaviour, run once per read-model database (SQLite, PostgreSQL). The events
 * live in the embedded SQLite store; what varies is where read models and checkpoints are kept.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { comparePositions, formatPosition, parsePosition, StoreUnavailableError, type NewEvent, type Position, type RecordedEvent } from '@csmcp/event-store';
import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import {
  ProjectionRunner,
  ProjectionTimeoutError,
  type Projection,
  type ProjectionLogger,
  type ProjectionRunnerOptions,
  type ReadModelDatabase,
  type RebuildProgress,
  type SqlExecutor,
} from '../src';

export interface ReadModelTarget {
  /** Opens a new connection (pool) to the one read-model database this test file uses. */
  open(): Promise<ReadModelDatabase>;
  cleanup(): Promise<void>;
}

export interface SuiteOptions {
  /** Events in the large-rebuild test (rates are measured by npm run bench, never asserted here). */
  readonly rebuildEvents: number;
}

/** A projection recording every event it applies: duplicates and gaps show up in its tables. */
export interface Recorder extends Projection {
  failWhen: ((event: RecordedEvent) => boolean) | null;
  resets: number;
}

export function recorder(name: string, options: { version?: number; handles?: string[] } = {}): Recorder {
  const projection: Recorder = {
    name,
    version: options.version ?? 1,
    handles: options.handles ?? ['Counted', 'Other'],
    failWhen: null,
    resets: 0,
    async setup(db: SqlExecutor) {
      await db.exec(
        `CREATE TABLE IF NOT EXISTS ${name}_applied (event_id TEXT NOT NULL, type TEXT NOT NULL, position TEXT NOT NULL, seq INTEGER NOT NULL);
         CREATE TABLE IF NOT EXISTS ${name}_totals (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);`,
      );
      await db.run(`INSERT INTO ${name}_totals (id, n) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`);
    },
    async reset(db: SqlExecutor) {
      projection.resets++;
      await db.run(`DELETE FROM ${name}_applied`);
      await db.run(`UPDATE ${name}_totals SET n = 0`);
    },
    async apply(event: RecordedEvent, db: SqlExecutor) {
      await db.run(`INSERT INTO ${name}_applied (event_id, type, position, seq) VALUES (?, ?, ?, ?)`, [
        event.id,
        event.type,
        formatPosition(event.position),
        event.data.seq as number,
      ]);
      // Not idempotent on purpose: applying an event twice shows.
      await db.run(`UPDATE ${name}_totals SET n = n + 1 WHERE id = 1`);
      if (projection.failWhen?.(event)) throw new Error(`poisoned event ${event.id}`);
    },
  };
  return projection;
}

interface ReadModelState {
  rows: number;
  distinct: number;
  total: number;
  ids: string[];
}

async function readModel(db: SqlExecutor, name: string): Promise<ReadModelState> {
  const stats = (await db.get<{ rows: number; distinct_ids: number }>(
    `SELECT COUNT(*) AS rows, COUNT(DISTINCT event_id) AS distinct_ids FROM ${name}_applied`,
  ))!;
  const totals = (await db.get<{ n: number }>(`SELECT n FROM ${name}_totals WHERE id = 1`))!;
  const ids = (await db.all<{ event_id: string }>(`SELECT event_id FROM ${name}_applied ORDER BY seq`)).map((r) => r.event_id);
  return { rows: Number(stats.rows), distinct: Number(stats.distinct_ids), total: Number(totals.n), ids };
}

async function storedCheckpoint(db: SqlExecutor, name: string): Promise<{ position: string; version: number | null } | undefined> {
  return db.get(`SELECT position, version FROM projection_checkpoints WHERE name = ?`, [name]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Test-side wait for something the runner has no event for (a failure being recorded). */
async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function memoryLogger(): ProjectionLogger & { lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> } {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
}

export function runProjectionRunnerSuite(label: string, makeTarget: () => ReadModelTarget, suite: SuiteOptions): void {
  describe(`ProjectionRunner on ${label} read models`, () => {
    const dir = mkdtempSync(join(tmpdir(), `csmcp-projections-${label}-`));
    let target: ReadModelTarget;
    let testNo = 0;
    const cleanups: Array<() => Promise<void>> = [];

    beforeAll(() => {
      target = makeTarget();
    });

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    afterAll(async () => {
      await target.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    /** A fresh event store for the test, plus a way to open it again (another "process"). */
    function freshStore() {
      const filename = join(dir, `events-${++testNo}.db`);
      const open = () => {
        const store = new SqliteEventStore({ filename, crossProcessPollMs: 5 });
        cleanups.push(() => store.close());
        return store;
      };
      return { store: open(), openAnother: open };
    }

    async function openDb(): Promise<ReadModelDatabase> {
      const db = await target.open();
      cleanups.push(() => db.close());
      return db;
    }

    function runner(options: ProjectionRunnerOptions): ProjectionRunner {
      const r = new ProjectionRunner({ retryDelayMs: 20, maxRetryDelayMs: 200, ...options });
      cleanups.push(() => r.stop());
      return r;
    }

    /** A unique projection name: every test works on its own tables and checkpoint. */
    const uniqueName = (base: string) => `${base}_${testNo}_${Math.random().toString(36).slice(2, 7)}`;

    let seq = 0;
    /** Appends `count` events, `perAppend` to a stream; every third is of an unhandled type. */
    async function append(store: SqliteEventStore, count: number, perAppend = 10): Promise<Position> {
      let last: Position | null = null;
      for (let done = 0; done < count; done += perAppend) {
        const events: NewEvent[] = [];
        for (let i = 0; i < Math.min(perAppend, count - done); i++) {
          const n = ++seq;
          events.push({ type: n % 3 === 0 ? 'Ignored' : n % 3 === 1 ? 'Counted' : 'Other', data: { seq: n } });
        }
        const result = await store.appendToStream(`s-${seq % 7}`, events, { expectedRevision: 'any' });
        last = result.position;
      }
      return last!;
    }

    async function handledIds(store: SqliteEventStore, handles: readonly string[]): Promise<string[]> {
      const out: string[] = [];
      let after: Position | null = null;
      for (;;) {
        const page = await store.readAll({ after, maxCount: 10_000 });
        if (page.length === 0) return out;
        for (const e of page) if (handles.includes(e.type)) out.push(e.id);
        after = page[page.length - 1].position;
      }
    }

    it('applies the handled events and moves the checkpoint past the others too', async () => {
      const { store } = freshStore();
      const db = await openDb();
      const projection = recorder(uniqueName('basic'));
      const r = runner({ store, db, projections: [projection], batchSize: 7 });
      await append(store, 20);
      await r.start();
      const head = await append(store, 25);
      await r.waitForPosition(head);
      const state = await readModel(db, projection.name);
      const expected = await handledIds(store, projection.handles);
      expect(state.ids).toEqual(expected);
      expect(state.total).toBe(expected.length);
      expect(expected.length).toBeLessThan(45);
      expect(await storedCheckpoint(db, projection.name)).toEqual({ position: formatPosition(head), version: 1 });
      expect(await r.isCaughtUp()).toBe(true);
      const [status] = r.status();
      expect(status).toMatchObject({ name: projection.name, version: 1, position: head, lastError: null });
      await eventually(() => r.status()[0].live, 'the projection to be live');
    });

    it('moves the checkpoint over a tail of events it does not handle', async () => {
      const { store } = freshStore();
      const db = await openDb();
      const projection = recorder(uniqueName('unhandled'), { handles: ['Counted'] });
      const r = runner({ store, db, projections: [projection] });
      await r.start();
      await append(store, 3);
      const { position: head } = await store.appendToStream('quiet', [{ type: 'Ignored', data: { seq: ++seq } }, { type: 'Other', data: { seq: ++seq } }], {
        expectedRevision: 'any',
      });
      await r.waitForPosition(head);
      expect((await storedCheckpoint(db, projection.name))!.position).toBe(formatPosition(head));
      expect((await readModel(db, projection.name)).rows).toBe(1);
      expect(await r.lag()).toMatchObject({ head, caughtUp: true, projections: [{ name: projection.name, position: head, caughtUp: true }] });
    });

    it('applies a batch and its checkpoint in one transaction: a failing event leaves nothing of its batch', async () => {
      const { store } = freshStore();
      const db = await openDb();
      const projection = recorder(uniqueName('atomic'), { handles: ['Counted', 'Other', 'Ignored'] });
      const logger = memoryLogger();
      const r = runner({ store, db, projections: [projection], batchSize: 10, logger });
      await append(store, 25, 25);
      const events = await store.readAll();
      const poisoned = events[14];
      projection.failWhen = (e) => e.id === poisoned.id;
      await r.start();
      await eventually(() => r.status()[0].lastError !== null, 'the failure to show');
      // The first batch (events 1-10) committed; nothing of the second (11-20) did, nor its checkpoint.
      const state = await readModel(db, projection.name);
      expect(state.ids).toEqual(events.slice(0, 10).map((e) => e.id));
      expect(state.total).toBe(10);
      expect((await storedCheckpoint(db, projection.name))!.position).toBe(formatPosition(events[9].position));
      const status = r.status()[0];
      expect(status.lastError).toContain(poisoned.id);
      expect(status.position).toEqual(events[9].position);
      const logged = logger.lines.find((l) => l.level === 'error');
      expect(logged?.obj).toMatchObject({ projection: projection.name, eventId: poisoned.id, eventType: poisoned.type, position: formatPosition(poisoned.position) });
      expect(await r.isCaughtUp()).toBe(false);
      await expect(r.waitForPosition(events[24].position, { timeoutMs: 50 })).rejects.toThrow(/poisoned/);

      // Fixed: it resumes from its checkpoint after the back-off and applies each event once.
      projection.failWhen = null;
      await r.waitForPosition(events[24].position);
      const after = await readModel(db, projection.name);
      expect(after.ids).toEqual(events.map((e) => e.id));
      expect(after.total).toBe(25);
      expect(r.status()[0].lastError).toBeNull();
    });

    it('restarts from its checkpoint: no event is applied twice', async () => {
      const { store, openAnother } = freshStore();
      const projection = recorder(uniqueName('restart'));
      const first = runner({ store, db: await openDb(), projections: [projection], batchSize: 8 });
      await first.start();
      await first.waitForPosition(await append(store, 30));
      await first.stop();
      await append(store, 20);

      const again = recorder(projection.name);
      const db = await openDb();
      const second = runner({ store: openAnother(), db, projections: [again], batchSize: 8 });
      await second.start();
      expect(again.resets).toBe(0);
      const head = await append(store, 5);
      await second.waitForPosition(head);
      const state = await readModel(db, projection.name);
      const expected = await handledIds(store, projection.handles);
      expect(state.rows).toBe(expected.length);
      expect(state.distinct).toBe(expected.length);
      expect(state.total).toBe(expected.length);
      expect(state.ids).toEqual(expected);
    });

    it('lets two runners on the same store and read models apply each event exactly once', async () => {
      const { store, openAnother } = freshStore();
      const name = uniqueName('pair');
      const a = runner({ store, db: await openDb(), projections: [recorder(name)], batchSize: 5 });
      const b = runner({ store: openAnother(), db: await openDb(), projections: [recorder(name)], batchSize: 3 });
      await append(store, 40);
      await Promise.all([a.start(), b.start()]);
      const writers = [append(store, 150, 3), append(openAnother(), 150, 7)];
      await Promise.all(writers);
      const head = (await store.headPosition())!;
      await Promise.all([a.waitForPosition(head), b.waitForPosition(head)]);
      const db = await openDb();
      const state = await readModel(db, name);
      const expected = await handledIds(store, ['Counted', 'Other']);
      expect(state.rows).toBe(expected.length);
      expect(state.distinct).toBe(expected.length);
      expect(state.total).toBe(expected.length);
      expect(new Set(state.ids)).toEqual(new Set(expected));
      expect((await storedCheckpoint(db, name))!.position).toBe(formatPosition(head));
      expect(a.status()[0].lastError).toBeNull();
      expect(b.status()[0].lastError).toBeNull();
    });

    it('rebuilds a projection whose version changed when it starts', async () => {
      const { store } = freshStore();
      const name = uniqueName('versioned');
      const db = await openDb();
      const v1 = recorder(name, { version: 1, handles: ['Counted'] });
      const first = runner({ store, db, projections: [v1] });
      await first.start();
      const head = await append(store, 30);
      await first.waitForPosition(head);
      await first.stop();
      expect((await readModel(db, name)).rows).toBe(10);

      // Same version: nothing is rebuilt.
      const same = recorder(name, { version: 1, handles: ['Counted'] });
      const second = runner({ store, db, projections: [same] });
      await second.start();
      await second.stop();
      expect(same.resets).toBe(0);

      const v2 = recorder(name, { version: 2, handles: ['Counted', 'Other'] });
      const logger = memoryLogger();
      const third = runner({ store, db, projections: [v2], logger });
      await third.start();
      expect(v2.resets).toBe(1);
      await third.waitForPosition(head);
      const state = await readModel(db, name);
      expect(state.ids).toEqual(await handledIds(store, ['Counted', 'Other']));
      expect(state.total).toBe(20);
      expect(await storedCheckpoint(db, name)).toEqual({ position: formatPosition(head), version: 2 });
      expect(logger.lines.some((l) => l.msg.includes('version changed') && l.obj.from === 1 && l.obj.to === 2)).toBe(true);
      const [checkpoint] = await third.checkpoints();
      expect(checkpoint).toMatchObject({ name, version: 2, codeVersion: 2, position: head });
    });

    it('stops applying when another process runs a different version of the projection', async () => {
      const { store, openAnother } = freshStore();
      const name = uniqueName('conflict');
      const old = runner({ store, db: await openDb(), projections: [recorder(name, { version: 1 })] });
      await old.start();
      await old.waitForPosition(await append(store, 6));
      const newer = runner({ store: openAnother(), db: await openDb(), projections: [recorder(name, { version: 2 })] });
      await newer.start();
      const head = await append(store, 6);
      await newer.waitForPosition(head);
      await eventually(() => old.status()[0].lastError !== null, 'the old version to notice');
      expect(old.status()[0].lastError).toMatch(/version 2 .* version 1/);
      const db = await openDb();
      const state = await readModel(db, name);
      expect(state.rows).toBe(8);
      expect(state.distinct).toBe(8);
    });

    it('ends a rebuild run while another runner is live in the same state as a build from scratch', async () => {
      const { store, openAnother } = freshStore();
      const name = uniqueName('rebuilt');
      const logger = memoryLogger();
      const live = runner({ store, db: await openDb(), projections: [recorder(name)], batchSize: 20, logger });
      await live.start();
      await live.waitForPosition(await append(store, 300, 30));

      // The CLI: its own connections, not started, rebuilding (slowly) while events keep arriving.
      const slow = recorder(name);
      const apply = slow.apply;
      slow.apply = async (event, tx) => {
        await sleep(1);
        await apply(event, tx);
      };
      const cli = runner({ store: openAnother(), db: await openDb(), projections: [slow], rebuildBatchSize: 50 });
      const progress: RebuildProgress[] = [];
      const writer = (async () => {
        for (let i = 0; i < 10; i++) {
          await append(store, 10, 5);
          await sleep(3);
        }
      })();
      await cli.rebuild([name], (p) => progress.push(p));
      await writer;
      const head = (await store.headPosition())!;
      await live.waitForPosition(head);

      const db = await openDb();
      const state = await readModel(db, name);
      const expected = await handledIds(store, ['Counted', 'Other']);
      expect(state.rows).toBe(expected.length);
      expect(state.distinct).toBe(expected.length);
      expect(state.total).toBe(expected.length);
      expect(state.ids).toEqual(expected);
      expect(live.status()[0].lastError).toBeNull();
      // The live runner noticed the reset and helped from the rebuilt checkpoint on.
      expect(logger.lines.some((l) => l.msg.includes('moved back'))).toBe(true);

      // Progress: from 0 to the events up to the head at the start of the rebuild, never beyond.
      expect(progress[0]).toEqual({ name, processed: 0, total: progress[0].total });
      expect(progress[0].total).toBeGreaterThanOrEqual(300);
      const last = progress[progress.length - 1];
      expect(last.processed).toBe(last.total);
      expect(progress.every((p) => p.processed <= p.total)).toBe(true);

      // The same as a projection built from nothing by a fresh runner.
      const scratchName = uniqueName('scratch');
      const scratch = runner({ store, db, projections: [recorder(scratchName)] });
      await scratch.start();
      await scratch.waitForPosition(head);
      const fromScratch = await readModel(db, scratchName);
      expect(state).toEqual(fromScratch);
    });

    it('rebuilds one of its own running projections and goes on live', async () => {
      const { store } = freshStore();
      const db = await openDb();
      const kept = recorder(uniqueName('kept'));
      const redone = recorder(uniqueName('redone'));
      const r = runner({ store, db, projections: [kept, redone] });
      await r.start();
      await r.waitForPosition(await append(store, 50));
      await expect(r.rebuild(['nope'])).rejects.toThrow(/Unknown projection "nope"/);
      await r.rebuild([redone.name]);
      expect(redone.resets).toBe(2);
      expect(kept.resets).toBe(1);
      const head = await append(store, 10);
      await r.waitForPosition(head);
      const expected = await handledIds(store, ['Counted', 'Other']);
      expect((await readModel(db, redone.name)).ids).toEqual(expected);
      expect((await readModel(db, kept.name)).ids).toEqual(expected);
    });

    it('waits for a position: at once when already applied, as soon as it is, or times out clearly', async () => {
      const { store } = freshStore();
      const db = await openDb();
      const fast = recorder(uniqueName('fast'));
      const stuck = recorder(uniqueName('stuck'));
      const r = runner({ store, db, projections: [fast, stuck] });
      await r.start();
      const first = await append(store, 3);
      await r.waitForPosition(first);
      await r.waitForPosition(first); // already there

      // Read-your-writes right after an acknowledged append.
      const { position } = await store.appendToStream('ryw', [{ type: 'Counted', data: { seq: ++seq } }], { expectedRevision: 'any' });
      const started = Date.now();
      await r.waitForPosition(position, { projections: [fast.name] });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect((await readModel(db, fast.name)).ids).toContain((await store.readStream('ryw'))[0].id);

      stuck.failWhen = () => true;
      const { position: blocked } = await store.appendToStream('ryw', [{ type: 'Counted', data: { seq: ++seq } }], { expectedRevision: 'any' });
      await r.waitForPosition(blocked, { projections: [fast.name] });
      const error = await r.waitForPosition(blocked, { timeoutMs: 100 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProjectionTimeoutError);
      expect((error as Error).message).toContain(`"${stuck.name}"`);
      expect((error as Error).message).not.toContain(`"${fast.name}"`);
      expect((error as Error).message).toContain(formatPosition(blocked));
      await expect(r.waitForPosition(blocked, { projections: ['nope'] })).rejects.toThrow(/Unknown projection/);

      // A position not yet written: resolves when it is applied.
      stuck.failWhen = null;
      const future = { commit: blocked.commit + 1, prepare: blocked.prepare + 1 };
      const waiting = r.waitForPosition(future, { timeoutMs: 5_000 });
      await store.appendToStream('ryw', [{ type: 'Other', data: { seq: ++seq } }], { expectedRevision: 'any' });
      await waiting;
      expect(comparePositions(r.status()[1].position, future)).toBeGreaterThanOrEqual(0);
    });

    it('stops cleanly while batches are in flight, and rejects pending waits', async () => {
      const { store } = freshStore();
      const db = await openDb();
      const slow = recorder(uniqueName('slow'));
      const apply = slow.apply;
      slow.apply = async (event, tx) => {
        await sleep(1);
        await apply(event, tx);
      };
      const r = runner({ store, db, projections: [slow], batchSize: 10 });
      const head = await append(store, 100);
      await r.start();
      const waiting = r.waitForPosition(head, { timeoutMs: 10_000 });
      await sleep(30);
      await r.stop();
      await expect(waiting).rejects.toThrow(/stopped/);
      const state = await readModel(db, slow.name);
      const checkpoint = (await storedCheckpoint(db, slow.name))!;
      // Whatever was committed is consistent: the rows match the checkpoint.
      const events = await store.readAll();
      const upTo = events.filter((e) => comparePositions(e.position, parsePosition(checkpoint.position)) <= 0);
      expect(state.ids).toEqual(upTo.filter((e) => slow.handles.includes(e.type)).map((e) => e.id));
      expect(r.status()[0].live).toBe(false);
    });

    it('retries a store outage without treating it as a poisoned event', async () => {
      const { store } = freshStore();
      const db = await openDb();
      const projection = recorder(uniqueName('outage'));
      let outages = 3;
      const apply = projection.apply;
      projection.apply = async (event, tx) => {
        if (outages > 0) {
          outages--;
          throw new StoreUnavailableError('the disk went away for a moment');
        }
        await apply(event, tx);
      };
      const logger = memoryLogger();
      const r = runner({ store, db, projections: [projection], logger });
      await r.start();
      const head = await append(store, 12);
      await r.waitForPosition(head);
      expect((await readModel(db, projection.name)).ids).toEqual(await handledIds(store, projection.handles));
      expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(3);
      expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(0);
      expect(r.status()[0].lastError).toBeNull();
    });

    it('keeps the event loop turning while it catches up', async () => {
      const { store } = freshStore();
      const db = await openDb();
      const projection = recorder(uniqueName('responsive'));
      const head = await append(store, 3_000, 500);
      const r = runner({ store, db, projections: [projection], batchSize: 50 });
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 0);
      try {
        await r.start();
        const before = ticks;
        await r.waitForPosition(head, { timeoutMs: 30_000 });
        expect(ticks - before).toBeGreaterThanOrEqual(5);
      } finally {
        clearInterval(ticker);
      }
    });

    it(`rebuilds ${suite.rebuildEvents} events across many batches, each exactly once`, async () => {
      const { store } = freshStore();
      const db = await openDb();
      const projection = recorder(uniqueName('rate'), { handles: ['Counted', 'Other', 'Ignored'] });
      for (let i = 0; i < suite.rebuildEvents; i += 1_000) await append(store, Math.min(1_000, suite.rebuildEvents - i), 1_000);
      const r = runner({ store, db, projections: [projection] });
      await r.rebuild();
      expect((await readModel(db, projection.name)).total).toBe(suite.rebuildEvents);
    }, 120_000);
  });
}

