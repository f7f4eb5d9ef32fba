import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConcurrencyError, type EventStore } from '@csmcp/event-store';
import { PostgresEventStore } from '@csmcp/event-store/postgres/postgres-event-store';
import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { dropSchema, freshSchemaName, TEST_DATABASE_URL } from '../../libs/event-store/test/postgres-test-database';
import { handleCommand, type DeciderLike } from './aggregate-store';

type Event = { type: 'Incremented'; data: { by: number; who: string } };
type State = { total: number; who: string[] };
const counter: DeciderLike<{ by: number; who: string }, State, Event> = {
  initialState: () => ({ total: 0, who: [] }),
  evolve: (s, e) => ({ total: s.total + e.data.by, who: [...s.who, e.data.who] }),
  decide: (c) => [{ type: 'Incremented', data: { by: c.by, who: c.who } }],
};

describe('handleCommand', () => {
  let store: SqliteEventStore;
  beforeEach(() => {
    store = new SqliteEventStore({ filename: ':memory:' });
  });
  afterEach(() => store.close());

  it('retries on a concurrent change so that no update is lost', async () => {
    const writers = Array.from({ length: 20 }, (_, i) =>
      handleCommand(store, 'counter-1', counter, { by: 1, who: `llm-${i}` }, { metadata: {}, maxAttempts: 50 }),
    );
    await Promise.all(writers);
    const events = await store.readStream('counter-1');
    expect(events).toHaveLength(20);
    expect(new Set(events.map((e) => e.data.who)).size).toBe(20);
  });

  it('gives up after maxAttempts with the ConcurrencyError', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => handleCommand(store, 'counter-2', counter, { by: 1, who: `w${i}` }, { metadata: {}, maxAttempts: 1 })),
    );
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.reason).toBeInstanceOf(ConcurrencyError);
    expect(await store.readStream('counter-2')).toHaveLength(10 - refused.length);
  });

  it('decides on the state folded from the stream and writes the metadata it is given', async () => {
    await handleCommand(store, 'counter-3', counter, { by: 2, who: 'a' }, { metadata: {} });
    const result = await handleCommand(store, 'counter-3', counter, { by: 3, who: 'b' }, {
      metadata: { actor: { type: 'user', id: 'u1', email: 'u1@example.com' }, toolName: 'update_cta' },
    });
    expect(result.state.total).toBe(5);
    expect(result.append?.nextExpectedRevision).toBe(1);
    const [, second] = await store.readStream('counter-3');
    expect(second.metadata).toMatchObject({ actor: { id: 'u1' }, toolName: 'update_cta' });
  });
});

/** Counts the events each readStream hands back, so a test sees what a command read. */
function counting(store: EventStore): { store: EventStore; read: () => number } {
  let read = 0;
  const wrapped = Object.create(store) as EventStore;
  Object.assign(wrapped, {
    readStream: async (...args: Parameters<EventStore['readStream']>) => {
      const events = await store.readStream(...args);
      read += events.length;
      return events;
    },
  });
  return { store: wrapped, read: () => read };
}

describe.each([
  ['SQLite', 'sqlite'],
  ['PostgreSQL', 'postgres'],
] as const)('handleCommand with cached state on %s', (_label, adapter) => {
  let dir: string;
  let schema: string;
  let otherSchema: string;
  const opened: EventStore[] = [];
  const open = async (): Promise<EventStore> => {
    const store =
      adapter === 'sqlite'
        ? new SqliteEventStore({ filename: join(dir, 'events.db') })
        : new PostgresEventStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4 });
    opened.push(store);
    return store;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'csmcp-aggregate-'));
    schema = freshSchemaName('aggregate');
    otherSchema = freshSchemaName('aggregate_restored');
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (adapter === 'postgres') await Promise.all([dropSchema(schema), dropSchema(otherSchema)]);
  });

  it('reads only the events after the state it folded last time', async () => {
    const { store, read } = counting(await open());
    const stream = `counter-tail-${randomUUID()}`;
    for (let i = 0; i < 30; i++) await handleCommand(store, stream, counter, { by: 1, who: `w${i}` }, { metadata: {} });
    // Without the cache the 30 commands would read 0 + 1 + ... + 29 = 435 events.
    expect(read()).toBe(0);
    const last = await handleCommand(store, stream, counter, { by: 1, who: 'last' }, { metadata: {} });
    expect(last.state.total).toBe(31);
    expect(last.revisionsBefore).toBe(30);
    expect(last.append?.nextExpectedRevision).toBe(30);
    expect(await store.readStream(stream)).toHaveLength(31);
  }, 60_000);

  it('folds what another process appended since, and hands the whole history to a command that asks for it', async () => {
    const a = counting(await open());
    const b = await open();
    const stream = `counter-two-${randomUUID()}`;
    await handleCommand(a.store, stream, counter, { by: 1, who: 'a1' }, { metadata: {} });
    await handleCommand(b, stream, counter, { by: 10, who: 'b1' }, { metadata: {} });
    await handleCommand(b, stream, counter, { by: 100, who: 'b2' }, { metadata: {} });
    const before = a.read();
    const next = await handleCommand(a.store, stream, counter, { by: 1000, who: 'a2' }, { metadata: {} });
    expect(a.read() - before).toBe(2);
    expect(next.state).toEqual({ total: 1111, who: ['a1', 'b1', 'b2', 'a2'] });
    expect(next.history.map((e) => e.data.who)).toEqual(['b1', 'b2']);
    const whole = await handleCommand(a.store, stream, counter, (history) => ({ by: history.length, who: 'count' }), { metadata: {} });
    expect(whole.history.map((e) => e.data.who)).toEqual(['a1', 'b1', 'b2', 'a2']);
    expect(whole.state.total).toBe(1115);
  }, 60_000);

  it('loses no update when two processes with warm caches write one stream at once', async () => {
    const stores = [await open(), await open()];
    const stream = `counter-race-${randomUUID()}`;
    // Warm both caches, then race: every command decides on a state another may have moved.
    for (const store of stores) await handleCommand(store, stream, counter, { by: 0, who: 'warm' }, { metadata: {} });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => handleCommand(stores[i % 2], stream, counter, { by: 1, who: `p${i % 2}-${i}` }, { metadata: {}, maxAttempts: 100 })),
    );
    const events = await stores[0].readStream(stream);
    expect(events).toHaveLength(42);
    expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => i));
    // Each result's state is the fold of the stream up to its own append.
    for (const result of results) {
      const upTo = events.slice(0, result.append!.nextExpectedRevision + 1);
      expect(result.state.total).toBe(upTo.reduce((sum, e) => sum + Number(e.data.by), 0));
      expect(result.state.who).toEqual(upTo.map((e) => e.data.who));
    }
    const final = await handleCommand(stores[1], stream, counter, { by: 0, who: 'end' }, { metadata: {} });
    expect(final.state.total).toBe(40);
  }, 120_000);

  it('reads the whole stream again when the stream is behind the cached state (a restored backup)', async () => {
    const restored =
      adapter === 'sqlite'
        ? new SqliteEventStore({ filename: ':memory:' })
        : new PostgresEventStore({ connectionString: TEST_DATABASE_URL, schema: otherSchema, poolSize: 2 });
    opened.push(restored);
    // One object in front of two stores: the cache warmed on the first, then the stream is shorter.
    let current = await open();
    const switching = new Proxy(current, {
      get: (_target, key) => {
        const value = (current as unknown as Record<PropertyKey, unknown>)[key];
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(current) : value;
      },
    });
    const stream = `counter-restored-${randomUUID()}`;
    for (let i = 0; i < 5; i++) await handleCommand(switching, stream, counter, { by: 1, who: `old${i}` }, { metadata: {} });
    await restored.appendToStream(stream, [{ type: 'Incremented', data: { by: 7, who: 'restored' } }], { expectedRevision: 'no_stream' });
    current = restored;
    const result = await handleCommand(switching, stream, counter, { by: 1, who: 'after' }, { metadata: {} });
    expect(result.state).toEqual({ total: 8, who: ['restored', 'after'] });
    expect((await restored.readStream(stream)).map((e) => e.data.who)).toEqual(['restored', 'after']);
  }, 60_000);
});
