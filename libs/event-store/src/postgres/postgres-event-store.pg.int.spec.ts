/**
 * What only the PostgreSQL adapter has to prove: the sequence-gap problem (a transaction that commits
 * late must never be skipped by readers that went past it), racing appends on one database, schema
 * creation by processes starting together, and behaviour when connections fail.
 */
import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { ConcurrencyError, StoreUnavailableError } from '../errors';
import type { NewEvent, Position, RecordedEvent, Subscription } from '../event-store.port';
import { comparePositions } from '../position';
import { PostgresEventStore } from './postgres-event-store';
import { TEST_DATABASE_URL, dropSchema, freshSchemaName } from '../../test/postgres-test-database';

const schema = freshSchemaName('pg');
const event = (type: string, data: Record<string, unknown> = {}): NewEvent => ({ type, data }) as NewEvent;
const name = (label: string) => `pg-${label}-${randomUUID()}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('PostgresEventStore (PostgreSQL specifics)', () => {
  let store: PostgresEventStore;
  let raw: Client;
  const subscriptions: Subscription[] = [];

  beforeAll(async () => {
    // A short stable wait: these tests hold transactions open on purpose.
    store = new PostgresEventStore({ connectionString: TEST_DATABASE_URL, schema, stableWaitMs: 100 });
    await store.init();
    raw = new Client({ connectionString: TEST_DATABASE_URL });
    await raw.connect();
  });

  afterEach(async () => {
    await Promise.all(subscriptions.splice(0).map((s) => s.stop()));
    await raw.query('ROLLBACK').catch(() => undefined);
  });

  afterAll(async () => {
    await store?.close();
    await raw?.end();
    await dropSchema(schema);
  });

  function subscribe(after: Position | null, streams: string[]) {
    const seen: RecordedEvent[] = [];
    const positions: Position[] = [];
    subscriptions.push(
      store.subscribeToAll({
        after,
        handler: (events) => {
          positions.push(...events.map((e) => e.position));
          seen.push(...events.filter((e) => streams.includes(e.streamName)));
        },
      }),
    );
    return { seen, positions };
  }

  const ours = (events: RecordedEvent[], streams: string[]) => events.filter((e) => streams.includes(e.streamName));

  describe('the sequence gap: a late commit is never skipped', () => {
    it('holds back events committed after an append that is still in flight, then delivers both in order', async () => {
      const held = name('held');
      const later = name('later');
      const start = await store.headPosition();
      const sub = subscribe(start, [held, later]);

      // An append in flight: its transaction has drawn the lower global position and has not committed.
      await raw.query('BEGIN');
      await raw.query(`INSERT INTO "${schema}".es_streams (stream_name, revision) VALUES ($1, 0)`, [held]);
      const { rows } = await raw.query(
        `INSERT INTO "${schema}".es_events (event_id, stream_name, revision, type, data, metadata)
         VALUES ($1, $2, 0, 'Held', '{}', '{"actor":{"type":"system","id":"system"}}') RETURNING global_position`,
        [randomUUID(), held],
      );
      const heldPosition = Number(rows[0].global_position);

      // Another connection appends and commits meanwhile.
      const committed = await store.appendToStream(later, [event('Later')], { expectedRevision: 'no_stream' });
      expect(committed.position.prepare).toBeGreaterThan(heldPosition);
      expect(await store.readStream(later)).toHaveLength(1); // committed and visible to stream reads

      // A reader ordering by global_position alone would hand out `later` now and then never see `held`.
      // $all holds it back instead: nothing of either is readable, the head has not moved, nothing is delivered.
      await sleep(600); // several poll intervals and the notification of `later`
      expect(ours(await store.readAll({ after: start }), [held, later])).toEqual([]);
      // (Compared with `later`, not with `start`: other test files' transactions may let older events through meanwhile.)
      expect(comparePositions(await store.headPosition(), committed.position)).toBeLessThan(0);
      expect(sub.seen).toEqual([]);

      await raw.query('COMMIT'); // no notification from this writer: the poll interval picks it up
      await until(() => sub.seen.length === 2, 'both events');
      expect(sub.seen.map((e) => e.type)).toEqual(['Held', 'Later']);
      const all = ours(await store.readAll({ after: start }), [held, later]);
      expect(all.map((e) => e.type)).toEqual(['Held', 'Later']);
      expect(comparePositions(all[0].position, all[1].position)).toBeLessThan(0);
      for (let i = 1; i < sub.positions.length; i++) expect(comparePositions(sub.positions[i], sub.positions[i - 1])).toBeGreaterThan(0);
    });

    it('orders by commit (transaction id) when a blocked append draws its global position after a later one', async () => {
      const blocked = name('blocked');
      const other = name('other');
      // The append's own position, not headPosition(): with other transactions running in the
      // cluster (parallel test files) the head may not include this append yet.
      const { position: start } = await store.appendToStream(blocked, [event('First')], { expectedRevision: 'no_stream' });
      const sub = subscribe(start, [blocked, other]);

      // Lock the stream row: the adapter's next append to it takes its transaction id, then waits.
      await raw.query('BEGIN');
      await raw.query(`SELECT * FROM "${schema}".es_streams WHERE stream_name = $1 FOR UPDATE`, [blocked]);
      const rawPid = (await raw.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const waiting = store.appendToStream(blocked, [event('Blocked')], { expectedRevision: 0 });
      const probe = new Client({ connectionString: TEST_DATABASE_URL });
      await probe.connect();
      try {
        await until(
          async () => (await probe.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [rawPid])).rows[0].n > 0,
          'the append to wait for the row lock',
        );
      } finally {
        await probe.end();
      }

      // A second append commits while the first one waits, so it gets the smaller global position.
      const second = await store.appendToStream(other, [event('Other')], { expectedRevision: 'no_stream' });
      await sleep(400);
      expect(ours(await store.readAll({ after: start }), [blocked, other])).toEqual([]);
      expect(sub.seen).toEqual([]);

      await raw.query('COMMIT');
      const first = await waiting;
      // The commit order: the blocked append started first (smaller transaction id), drew its global
      // position last. Ordering by global position would put it after an event a reader has already passed.
      expect(first.position.prepare).toBeGreaterThan(second.position.prepare);
      expect(first.position.commit).toBeLessThan(second.position.commit);
      expect(comparePositions(first.position, second.position)).toBeLessThan(0);

      await until(() => sub.seen.length === 2, 'both events');
      expect(sub.seen.map((e) => e.type)).toEqual(['Blocked', 'Other']);
      expect(ours(await store.readAll({ after: start }), [blocked, other]).map((e) => e.type)).toEqual(['Blocked', 'Other']);
      for (let i = 1; i < sub.positions.length; i++) expect(comparePositions(sub.positions[i], sub.positions[i - 1])).toBeGreaterThan(0);
    });

    it('readAll and headPosition wait for a short transaction that holds a committed append back', async () => {
      const patient = new PostgresEventStore({ connectionString: TEST_DATABASE_URL, schema, stableWaitMs: 5_000 });
      try {
        const stream = name('patient');
        const start = await patient.headPosition();
        await raw.query('BEGIN');
        await raw.query('SELECT pg_current_xact_id()'); // any transaction with an id, writing anything
        const appended = await patient.appendToStream(stream, [event('Mine')], { expectedRevision: 'no_stream' });
        setTimeout(() => void raw.query('COMMIT'), 300);
        const began = Date.now();
        const read = await patient.readAll({ after: start });
        expect(Date.now() - began).toBeGreaterThanOrEqual(200);
        expect(ours(read, [stream]).map((e) => e.type)).toEqual(['Mine']);
        expect(comparePositions(await patient.headPosition(), appended.position)).toBeGreaterThanOrEqual(0);
      } finally {
        await patient.close();
      }
    });
  });

  describe('multi-stream append (appendToStreams): one transaction', () => {
    it('holds later appends back while it waits between its streams, then is delivered whole and before them', async () => {
      // Stream rows are moved in name order: m1 first, then m2, where the raw transaction makes it wait.
      const [m1, m2, later] = [name('m1'), name('m2'), name('later')];
      await store.appendToStream(m1, [event('Opened')], { expectedRevision: 'no_stream' });
      const { position: start } = await store.appendToStream(m2, [event('Opened')], { expectedRevision: 'no_stream' });
      const sub = subscribe(start, [m1, m2, later]);

      await raw.query('BEGIN');
      await raw.query(`SELECT * FROM "${schema}".es_streams WHERE stream_name = $1 FOR UPDATE`, [m2]);
      const rawPid = (await raw.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const waiting = store.appendToStreams([
        { streamName: m2, events: [event('Second')], expectedRevision: 0 },
        { streamName: m1, events: [event('First')], expectedRevision: 0 },
      ]);
      const probe = new Client({ connectionString: TEST_DATABASE_URL });
      await probe.connect();
      try {
        await until(
          async () => (await probe.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [rawPid])).rows[0].n > 0,
          'the multi-append to wait for the row lock',
        );
      } finally {
        await probe.end();
      }

      // m1 is moved but not committed: invisible. An append committed meanwhile is held back behind it.
      const committed = await store.appendToStream(later, [event('Later')], { expectedRevision: 'no_stream' });
      expect((await store.readStream(m1)).map((e) => e.type)).toEqual(['Opened']);
      await sleep(400);
      expect(ours(await store.readAll({ after: start }), [m1, m2, later])).toEqual([]);
      expect(sub.seen).toEqual([]);

      await raw.query('COMMIT');
      const result = await waiting;
      // One transaction: one transaction id for both streams, older than the append that committed first.
      expect(result.streams[0].position.commit).toBe(result.streams[1].position.commit);
      expect(comparePositions(result.position, committed.position)).toBeLessThan(0);
      await until(() => sub.seen.length === 3, 'all three events');
      // Input order (m2 before m1), whatever order the stream rows were locked in.
      expect(sub.seen.map((e) => e.type)).toEqual(['Second', 'First', 'Later']);
      for (let i = 1; i < sub.positions.length; i++) expect(comparePositions(sub.positions[i], sub.positions[i - 1])).toBeGreaterThan(0);
    });

    it('does not deadlock when concurrent calls name the same streams in opposite orders', async () => {
      const [a, b] = [name('a'), name('b')];
      const calls = Array.from({ length: 40 }, (_, i) => {
        const pair = [
          { streamName: a, events: [event('A', { i })], expectedRevision: 'any' as const },
          { streamName: b, events: [event('B', { i })], expectedRevision: 'any' as const },
        ];
        return store.appendToStreams(i % 2 ? pair.reverse() : pair);
      });
      const outcomes = await Promise.allSettled(calls);
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      for (const stream of [a, b]) {
        const events = await store.readStream(stream);
        expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      }
    });

    it('gives its connection back to the pool after refusals, duplicates and retries', async () => {
      const small = new PostgresEventStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 2, connectionTimeoutMs: 2_000 });
      try {
        const [a, b] = [name('a'), name('b')];
        await small.appendToStream(b, [event('E')], { expectedRevision: 'no_stream' });
        const taken = randomUUID();
        await small.appendToStream(name('taken'), [{ id: taken, type: 'Taken', data: {} }], { expectedRevision: 'no_stream' });
        for (let i = 0; i < 5; i++) {
          await expect(
            small.appendToStreams([
              { streamName: a, events: [event('E')], expectedRevision: 'no_stream' },
              { streamName: b, events: [event('E')], expectedRevision: 'no_stream' },
            ]),
          ).rejects.toBeInstanceOf(ConcurrencyError);
          await expect(
            small.appendToStreams([
              { streamName: a, events: [event('E')], expectedRevision: 'no_stream' },
              { streamName: b, events: [{ id: taken, type: 'Clash', data: {} }], expectedRevision: 0 },
            ]),
          ).rejects.toMatchObject({ code: 'DUPLICATE_EVENT_ID', eventId: taken });
        }
        const call = [
          { streamName: a, events: [{ id: randomUUID(), type: 'A', data: {} }], expectedRevision: 'no_stream' as const },
          { streamName: b, events: [{ id: randomUUID(), type: 'B', data: {} }], expectedRevision: 0 },
        ];
        const first = await small.appendToStreams(call);
        const retried = await small.appendToStreams(call);
        expect(retried.streams.map((s) => s.nextExpectedRevision)).toEqual(first.streams.map((s) => s.nextExpectedRevision));
        // With a connection leaked per call, the pool of two would have run dry long ago.
        expect(await small.readStream(a)).toHaveLength(1);
      } finally {
        await small.close();
      }
    });

    it('answers the part of a call written before and appends the rest', async () => {
      const [a, b] = [name('a'), name('b')];
      const aEvents = [{ id: randomUUID(), type: 'A', data: {} }];
      const alone = await store.appendToStream(a, aEvents, { expectedRevision: 'no_stream' });
      const result = await store.appendToStreams([
        { streamName: a, events: aEvents, expectedRevision: 'no_stream' },
        { streamName: b, events: [event('B')], expectedRevision: 'no_stream' },
      ]);
      expect(result.streams[0]).toEqual({ streamName: a, ...alone });
      expect(result.streams[1]).toMatchObject({ streamName: b, nextExpectedRevision: 0 });
      expect(await store.readStream(a)).toHaveLength(1);
      expect(await store.readStream(b)).toHaveLength(1);
    });
  });

  describe('held back behind another transaction', () => {
    it('delivers an event held back when it was announced as soon as the holding transaction ends, without waiting for a poll', async () => {
      // Polls a minute apart: only the store's own re-check can bring the event in within the test.
      const slowPoll = new PostgresEventStore({ connectionString: TEST_DATABASE_URL, schema, pollIntervalMs: 60_000 });
      const seen: RecordedEvent[] = [];
      try {
        const stream = name('held-announced');
        const sub = slowPoll.subscribeToAll({ after: await slowPoll.headPosition(), handler: (events) => void seen.push(...ours([...events], [stream])) });
        subscriptions.push(sub);
        await raw.query('BEGIN');
        await raw.query('SELECT pg_current_xact_id()'); // a transaction with an id, older than the append
        await store.appendToStream(stream, [event('Held')], { expectedRevision: 'no_stream' });
        // The NOTIFY of the append has come and gone while the event was behind the open transaction.
        await until(async () => (await slowPoll.readAll({ maxCount: 1_000 }).then((events) => ours(events, [stream]).length)) === 0, 'the append to be held back');
        expect(seen).toEqual([]);
        await raw.query('COMMIT');
        await until(() => seen.length === 1, 'the held event after the transaction ended');
        expect(seen.map((e) => e.type)).toEqual(['Held']);
      } finally {
        await Promise.all(subscriptions.splice(0).map((s) => s.stop()));
        await slowPoll.close();
      }
    });
  });

  describe('concurrency', () => {
    it('lets exactly one of 50 racers create a stream (no_stream), the others get ConcurrencyError', async () => {
      const stream = name('create-race');
      const racers = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => store.appendToStream(stream, [event('Created', { i }), event('Then', { i })], { expectedRevision: 'no_stream' })),
      );
      const won = racers.filter((r): r is PromiseFulfilledResult<{ nextExpectedRevision: number; position: Position }> => r.status === 'fulfilled');
      const lost = racers.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(won[0].value.nextExpectedRevision).toBe(1);
      for (const r of lost) expect(r.reason).toBeInstanceOf(ConcurrencyError);
      for (const r of lost) expect(r.reason).toMatchObject({ actualRevision: 1 });
      const events = await store.readStream(stream);
      expect(events.map((e) => [e.type, e.revision])).toEqual([['Created', 0], ['Then', 1]]);
      expect(events[0].data).toEqual(events[1].data); // both from the same (winning) append
    });

    it('lets exactly one of 50 racers at an exact revision win across 5 store instances, each with its own pool', async () => {
      const stores = Array.from({ length: 5 }, () => new PostgresEventStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4 }));
      try {
        const stream = name('exact-race');
        await store.appendToStream(stream, [event('Opened')], { expectedRevision: 'no_stream' });
        const racers = await Promise.allSettled(
          Array.from({ length: 50 }, (_, i) => stores[i % 5].appendToStream(stream, [event('Raced', { i })], { expectedRevision: 0 })),
        );
        expect(racers.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of racers) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConcurrencyError);
        expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([0, 1]);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('keeps every "any" append of 50 concurrent writers, with revisions 0..49 and no gaps', async () => {
      const stream = name('any-race');
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.appendToStream(stream, [event('Any', { i })], { expectedRevision: 'any' })));
      expect(results.map((r) => r.nextExpectedRevision).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect((await store.readStream(stream)).map((e) => e.revision)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    });
  });

  describe('schema', () => {
    it('creates schema and tables once when several processes start at the same moment', async () => {
      const fresh = freshSchemaName('init');
      const stores = Array.from({ length: 6 }, () => new PostgresEventStore({ connectionString: TEST_DATABASE_URL, schema: fresh, poolSize: 1 }));
      try {
        await Promise.all(stores.map((s) => s.init()));
        await Promise.all(stores.map((s, i) => s.appendToStream(name(`init-${i}`), [event('Ready')], { expectedRevision: 'no_stream' })));
        const all = await stores[0].readAll();
        expect(all).toHaveLength(6);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await dropSchema(fresh);
      }
    });

    it('creates its tables lazily on first use, without init()', async () => {
      const fresh = freshSchemaName('lazy');
      const lazy = new PostgresEventStore({ connectionString: TEST_DATABASE_URL, schema: fresh });
      try {
        expect(await lazy.headPosition()).toBeNull();
        expect(await lazy.readAll()).toEqual([]);
      } finally {
        await lazy.close();
        await dropSchema(fresh);
      }
    });

    it('refuses a schema name that is not a plain identifier', () => {
      expect(() => new PostgresEventStore({ connectionString: TEST_DATABASE_URL, schema: 'x"; DROP TABLE y; --' })).toThrow(/schema/);
    });

    it('keeps JSON exactly as written: key order and \\u0000 in strings', async () => {
      const stream = name('json');
      const data = { z: 1, a: 'nul \u0000 inside', m: [3, 2, 1] };
      await store.appendToStream(stream, [{ type: 'Json', data }], { expectedRevision: 'no_stream' });
      const [read] = await store.readStream(stream);
      expect(read.data).toEqual(data);
      expect(Object.keys(read.data)).toEqual(['z', 'a', 'm']);
    });
  });

  describe('when the database cannot be reached', () => {
    it('fails fast with StoreUnavailableError when nothing listens on the port', async () => {
      const down = new PostgresEventStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test', schema, connectionTimeoutMs: 2_000 });
      try {
        const began = Date.now();
        await expect(down.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(down.appendToStream(name('down'), [event('Lost')], { expectedRevision: 'any' })).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(down.readAll()).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(down.readStream(name('down'))).rejects.toBeInstanceOf(StoreUnavailableError);
        expect(Date.now() - began).toBeLessThan(5_000);
      } finally {
        await down.close();
      }
    });

    it('survives its connections being terminated: no crash, queries and notifications resume', async () => {
      const app = `es_test_${randomUUID().slice(0, 8)}`;
      const url = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}application_name=${app}`;
      const pool = new Pool({ connectionString: url, max: 3 });
      const shared = new PostgresEventStore({ connectionString: url, schema, pool, pollIntervalMs: 60_000 });
      const writer = new PostgresEventStore({ connectionString: TEST_DATABASE_URL, schema });
      try {
        const stream = name('terminated');
        const seen: RecordedEvent[] = [];
        const start = await shared.headPosition();
        subscriptions.push(shared.subscribeToAll({ after: start, handler: (events) => void seen.push(...events.filter((e) => e.streamName === stream)) }));
        // With a poll interval of a minute, only notifications (LISTEN) bring events in time.
        await until(async () => (await raw.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND query ILIKE $2', [app, 'LISTEN%'])).rows[0].n > 0, 'LISTEN');
        await writer.appendToStream(stream, [event('Before')], { expectedRevision: 'no_stream' });
        await until(() => seen.length === 1, 'the first event');

        await raw.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]);
        await sleep(200);
        // The pool hands out a fresh connection (at most one query fails on a dead one first).
        await shared.ping().catch((error) => expect(error).toBeInstanceOf(StoreUnavailableError));
        await expect(shared.ping()).resolves.toBeUndefined();
        // The LISTEN connection comes back by itself.
        await until(async () => (await raw.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND query ILIKE $2', [app, 'LISTEN%'])).rows[0].n > 0, 'LISTEN again');
        await writer.appendToStream(stream, [event('After')], { expectedRevision: 0 });
        await until(() => seen.length === 2, 'the event after the reconnect');
        expect(seen.map((e) => e.type)).toEqual(['Before', 'After']);
      } finally {
        await Promise.all(subscriptions.splice(0).map((s) => s.stop()));
        await shared.close();
        await writer.close();
        await pool.end(); // a shared pool is the owner's to end
      }
    });
  });

  describe('close', () => {
    it('is idempotent, stops subscriptions and refuses work afterwards with StoreUnavailableError', async () => {
      const closing = new PostgresEventStore({ connectionString: TEST_DATABASE_URL, schema });
      const sub = closing.subscribeToAll({ after: null, handler: () => undefined });
      await until(() => sub.isLive, 'the subscription to catch up');
      await Promise.all([closing.close(), closing.close()]);
      await closing.close();
      await sub.stop(); // already stopped by close: resolves at once
      await expect(closing.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(closing.readAll()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(closing.appendToStream(name('closed'), [event('No')], { expectedRevision: 'any' })).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });
});
