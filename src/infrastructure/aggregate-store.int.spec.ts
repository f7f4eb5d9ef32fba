import { ConcurrencyError } from '@csmcp/event-store';
import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
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
