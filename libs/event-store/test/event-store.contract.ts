/**
 * The contract every EventStore adapter must pass, run against the real database of each adapter.
 * Tests use their own stream names and positions relative to the head, so one store can host the
 * whole suite (EventStoreDB cannot be wiped between tests).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConcurrencyError, DuplicateEventIdError, EventStoreInputError } from '../src/errors';
import type { EventStore, NewEvent, Position, RecordedEvent, Subscription } from '../src/event-store.port';
import { comparePositions } from '../src/position';
import type { StoreLocator } from './support/open-store';

export interface ContractSubject {
  readonly store: EventStore;
  /** How another process opens the same store. */
  readonly locator: StoreLocator;
  /** Opens a second instance in this process, as a second server would. */
  openAnother(): Promise<EventStore>;
  /** Event ids are unique across all streams (EventStoreDB only deduplicates within a stream). */
  readonly globallyUniqueEventIds: boolean;
}

const run = promisify(execFile);
const WRITER = join(__dirname, 'support', 'writer-process.ts');

export function runEventStoreContract(name: string, open: () => Promise<ContractSubject>, close: () => Promise<void>): void {
  describe(`EventStore contract: ${name}`, () => {
    let subject: ContractSubject;
    let store: EventStore;
    const stream = (label = 'stream') => `contract-${label}-${randomUUID()}`;
    const event = (type = 'Happened', data: Record<string, unknown> = { n: 1 }): NewEvent =>
      ({ type, data }) as NewEvent;

    beforeAll(async () => {
      subject = await open();
      store = subject.store;
    });
    afterAll(async () => {
      await store?.close();
      await close();
    });

    describe('append and read a stream', () => {
      it('creates a stream at revision 0 and reads it back with data and type', async () => {
        const name = stream();
        const result = await store.appendToStream(name, [event('CtaCreated', { title: 'Renewal risk', arr: 120000.5 })], {
          expectedRevision: 'no_stream',
        });
        expect(result.nextExpectedRevision).toBe(0);
        const events = await store.readStream(name);
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ streamName: name, revision: 0, type: 'CtaCreated', data: { title: 'Renewal risk', arr: 120000.5 } });
        expect(comparePositions(events[0].position, result.position)).toBe(0);
      });

      it('appends several events in order and returns the last revision and position', async () => {
        const name = stream();
        await store.appendToStream(name, [event('A')], { expectedRevision: 'no_stream' });
        const result = await store.appendToStream(name, [event('B'), event('C'), event('D')], { expectedRevision: 0 });
        expect(result.nextExpectedRevision).toBe(3);
        const events = await store.readStream(name);
        expect(events.map((e) => [e.type, e.revision])).toEqual([['A', 0], ['B', 1], ['C', 2], ['D', 3]]);
        expect(comparePositions(events[3].position, result.position)).toBe(0);
        for (let i = 1; i < events.length; i++) expect(comparePositions(events[i].position, events[i - 1].position)).toBeGreaterThan(0);
      });

      it('reads from a revision with a maximum count, and an unknown stream as empty', async () => {
        const name = stream();
        await store.appendToStream(name, [1, 2, 3, 4, 5].map((n) => event('N', { n })), { expectedRevision: 'no_stream' });
        const page = await store.readStream(name, { fromRevision: 2, maxCount: 2 });
        expect(page.map((e) => e.data.n)).toEqual([3, 4]);
        expect(await store.readStream(stream('missing'))).toEqual([]);
      });

      it('keeps unicode, nested JSON and large payloads intact', async () => {
        const name = stream();
        const data = { text: 'Zoë 🚀 — 日本語 \u2028', nested: { list: [1, 'two', null, true, { deep: [] }] }, big: 'x'.repeat(200_000) };
        await store.appendToStream(name, [{ type: 'Big', data }], { expectedRevision: 'any' });
        expect((await store.readStream(name))[0].data).toEqual(data);
      });
    });

    describe('expected revision', () => {
      it('refuses a wrong exact revision with a ConcurrencyError and writes nothing', async () => {
        const name = stream();
        await store.appendToStream(name, [event(), event()], { expectedRevision: 'no_stream' });
        const attempt = store.appendToStream(name, [event('Late')], { expectedRevision: 0 });
        await expect(attempt).rejects.toBeInstanceOf(ConcurrencyError);
        await expect(attempt).rejects.toMatchObject({ code: 'CONCURRENCY', streamName: name, expectedRevision: 0, actualRevision: 1 });
        expect((await store.readStream(name)).map((e) => e.type)).toEqual(['Happened', 'Happened']);
      });

      it('refuses no_stream on an existing stream and stream_exists on a missing one', async () => {
        const name = stream();
        await store.appendToStream(name, [event()], { expectedRevision: 'no_stream' });
        await expect(store.appendToStream(name, [event()], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(ConcurrencyError);
        const missing = stream('missing');
        await expect(store.appendToStream(missing, [event()], { expectedRevision: 'stream_exists' })).rejects.toMatchObject({
          code: 'CONCURRENCY',
          actualRevision: 'no_stream',
        });
        expect(await store.readStream(missing)).toEqual([]);
        await expect(store.appendToStream(name, [event()], { expectedRevision: 'stream_exists' })).resolves.toMatchObject({ nextExpectedRevision: 1 });
      });

      it('accepts any revision, whether the stream exists or not', async () => {
        const name = stream();
        await expect(store.appendToStream(name, [event()], { expectedRevision: 'any' })).resolves.toMatchObject({ nextExpectedRevision: 0 });
        await expect(store.appendToStream(name, [event()], { expectedRevision: 'any' })).resolves.toMatchObject({ nextExpectedRevision: 1 });
      });

      it('lets exactly one of 50 concurrent appends with the same expected revision win', async () => {
        const name = stream('race');
        await store.appendToStream(name, [event('Opened')], { expectedRevision: 'no_stream' });
        const racers = await Promise.allSettled(
          Array.from({ length: 50 }, (_, i) => store.appendToStream(name, [event('Raced', { i })], { expectedRevision: 0 })),
        );
        const won = racers.filter((r) => r.status === 'fulfilled');
        const lost = racers.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(49);
        for (const r of lost) expect(r.reason).toBeInstanceOf(ConcurrencyError);
        expect((await store.readStream(name)).map((e) => e.type)).toEqual(['Opened', 'Raced']);
      });

      it('lets exactly one of 50 racers win across two store instances (two processes on one database)', async () => {
        const other = await subject.openAnother();
        try {
          const name = stream('race2');
          await store.appendToStream(name, [event('Opened')], { expectedRevision: 'no_stream' });
          const racers = await Promise.allSettled(
            Array.from({ length: 50 }, (_, i) =>
              (i % 2 ? other : store).appendToStream(name, [event('Raced', { i })], { expectedRevision: 0 }),
            ),
          );
          expect(racers.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
          expect(await store.readStream(name)).toHaveLength(2);
        } finally {
          await other.close();
        }
      });
    });

    describe('atomicity and idempotency', () => {
      it('writes all events of an append or none: a failure on the third event leaves nothing', async () => {
        if (!subject.globallyUniqueEventIds) return; // EventStoreDB appends are atomic on the server; no way to fail midway
        const taken = randomUUID();
        await store.appendToStream(stream('taken'), [{ id: taken, type: 'Taken', data: {} }], { expectedRevision: 'no_stream' });
        const name = stream();
        const attempt = store.appendToStream(name, [event('One'), event('Two'), { id: taken, type: 'Three', data: {} }], {
          expectedRevision: 'no_stream',
        });
        await expect(attempt).rejects.toBeInstanceOf(DuplicateEventIdError);
        expect(await store.readStream(name)).toEqual([]);
        await expect(store.appendToStream(name, [event('Again')], { expectedRevision: 'no_stream' })).resolves.toMatchObject({
          nextExpectedRevision: 0,
        });
      });

      it('answers a re-append of the same event ids at the same expected revision as the first time, writing nothing', async () => {
        const name = stream();
        const events: NewEvent[] = [
          { id: randomUUID(), type: 'A', data: { n: 1 } },
          { id: randomUUID(), type: 'B', data: { n: 2 } },
        ];
        const first = await store.appendToStream(name, events, { expectedRevision: 'no_stream' });
        const again = await store.appendToStream(name, events, { expectedRevision: 'no_stream' });
        expect(again.nextExpectedRevision).toBe(first.nextExpectedRevision);
        expect(comparePositions(again.position, first.position)).toBe(0);
        expect(await store.readStream(name)).toHaveLength(2);
      });

      it('does not let a refused append in a burst affect the others', async () => {
        const names = [stream(), stream(), stream()];
        await store.appendToStream(names[1], [event()], { expectedRevision: 'no_stream' });
        const results = await Promise.allSettled(names.map((n) => store.appendToStream(n, [event('Burst')], { expectedRevision: 'no_stream' })));
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect(await store.readStream(names[0])).toHaveLength(1);
        expect(await store.readStream(names[1])).toHaveLength(1);
        expect(await store.readStream(names[2])).toHaveLength(1);
      });
    });

    describe('metadata', () => {
      it('fills in actor, correlation, causation and time, and keeps what the caller gave', async () => {
        const name = stream();
        const before = Date.now();
        const id = randomUUID();
        await store.appendToStream(name, [{ id, type: 'Plain', data: {} }], { expectedRevision: 'no_stream' });
        const [plain] = await store.readStream(name);
        expect(plain.id).toBe(id);
        expect(plain.metadata).toMatchObject({ actor: { type: 'system', id: 'system' }, correlationId: id, causationId: id });
        expect(Date.parse(plain.metadata.recordedAt)).toBeGreaterThanOrEqual(before - 1000);

        await store.appendToStream(
          name,
          [{ type: 'Attributed', data: {}, metadata: { causationId: 'cmd-2', toolName: 'create_cta' } }],
          {
            expectedRevision: 0,
            metadata: {
              actor: { type: 'user', id: 'u-1', email: 'ann@example.com' },
              client: { id: 'claude', name: 'Claude' },
              correlationId: 'req-1',
              causationId: 'cmd-1',
            },
          },
        );
        const [, attributed] = await store.readStream(name);
        expect(attributed.metadata).toMatchObject({
          actor: { type: 'user', id: 'u-1', email: 'ann@example.com' },
          client: { id: 'claude', name: 'Claude' },
          correlationId: 'req-1',
          causationId: 'cmd-2',
          toolName: 'create_cta',
        });
      });
    });

    describe('bad input is refused with a clear error and writes nothing', () => {
      const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
        ['an empty stream name', () => store.appendToStream('', [event()], { expectedRevision: 'any' }), /streamName: must not be empty/],
        ['a blank stream name', () => store.appendToStream('   ', [event()], { expectedRevision: 'any' }), /streamName: must not be empty/],
        ['a stream name that is not a string', () => store.appendToStream(42 as never, [event()], { expectedRevision: 'any' }), /streamName: must be a string, got number/],
        ['a system stream name', () => store.appendToStream('$all', [event()], { expectedRevision: 'any' }), /reserved/],
        ['a stream name with control characters', () => store.appendToStream('a\nb', [event()], { expectedRevision: 'any' }), /control characters/],
        ['a stream name too long', () => store.appendToStream('s'.repeat(201), [event()], { expectedRevision: 'any' }), /at most 200 characters/],
        ['no events', () => store.appendToStream(stream(), [], { expectedRevision: 'any' }), /events: must contain at least one event/],
        ['events that are not an array', () => store.appendToStream(stream(), {} as never, { expectedRevision: 'any' }), /events: must be an array/],
        ['an event without type', () => store.appendToStream(stream(), [{ data: {} } as never], { expectedRevision: 'any' }), /events\[0\]\.type: must be a non-empty string/],
        ['data that is not an object', () => store.appendToStream(stream(), [{ type: 'T', data: [1] } as never], { expectedRevision: 'any' }), /events\[0\]\.data: must be a JSON object, got array/],
        ['a function in data', () => store.appendToStream(stream(), [{ type: 'T', data: { f: () => 1 } } as never], { expectedRevision: 'any' }), /events\[0\]\.data\.f: is a function/],
        ['a BigInt in data', () => store.appendToStream(stream(), [{ type: 'T', data: { n: 1n } } as never], { expectedRevision: 'any' }), /events\[0\]\.data\.n: is a bigint/],
        ['NaN in data', () => store.appendToStream(stream(), [{ type: 'T', data: { list: [1, NaN] } } as never], { expectedRevision: 'any' }), /events\[0\]\.data\.list\[1\]: NaN is not a JSON number/],
        ['a Date in data', () => store.appendToStream(stream(), [{ type: 'T', data: { at: new Date() } } as never], { expectedRevision: 'any' }), /data\.at: is a Date/],
        ['a circular structure', () => {
          const data: Record<string, unknown> = {};
          data.self = data;
          return store.appendToStream(stream(), [{ type: 'T', data } as never], { expectedRevision: 'any' });
        }, /circular reference/],
        ['a revision given as a string', () => store.appendToStream(stream(), [event()], { expectedRevision: '3' as never }), /expectedRevision: must be .* got "3"/],
        ['a negative revision', () => store.appendToStream(stream(), [event()], { expectedRevision: -1 }), /expectedRevision: .* got -1/],
        ['a fractional revision', () => store.appendToStream(stream(), [event()], { expectedRevision: 1.5 }), /expectedRevision: .* got 1.5/],
        ['a missing expected revision', () => store.appendToStream(stream(), [event()], {} as never), /expectedRevision: .* got undefined/],
        ['an event id that is not a UUID', () => store.appendToStream(stream(), [{ id: 'abc', type: 'T', data: {} }], { expectedRevision: 'any' }), /events\[0\]\.id: must be a UUID/],
        ['the same event id twice in one append', () => {
          const id = randomUUID();
          return store.appendToStream(stream(), [{ id, type: 'T', data: {} }, { id, type: 'T', data: {} }], { expectedRevision: 'any' });
        }, /events\[1\]\.id: .* appears twice/],
        ['a negative fromRevision', () => store.readStream(stream(), { fromRevision: -1 }), /fromRevision: must be a non-negative integer/],
        ['a zero maxCount', () => store.readAll({ maxCount: 0 }), /maxCount: must be an integer from 1/],
        ['a malformed position', () => store.readAll({ after: { commit: 'x' } as never }), /after: must be a position/],
      ];
      it.each(cases)('refuses %s', async (_label, attempt, message) => {
        const head = await store.headPosition();
        const outcome = attempt();
        await expect(outcome).rejects.toBeInstanceOf(EventStoreInputError);
        await expect(outcome).rejects.toThrow(message);
        expect(comparePositions(await store.headPosition(), head)).toBe(0);
      });

      it('accepts absent optional fields (undefined properties)', async () => {
        const name = stream();
        await store.appendToStream(name, [{ type: 'T', data: { kept: 1, dropped: undefined } as never }], { expectedRevision: 'any' });
        expect((await store.readStream(name))[0].data).toEqual({ kept: 1 });
      });
    });

    describe('global order', () => {
      it('reads every stream in global order after a position, with a maximum count', async () => {
        const start = await store.headPosition();
        const a = stream('a');
        const b = stream('b');
        await store.appendToStream(a, [event('A1')], { expectedRevision: 'no_stream' });
        await store.appendToStream(b, [event('B1'), event('B2')], { expectedRevision: 'no_stream' });
        await store.appendToStream(a, [event('A2')], { expectedRevision: 0 });
        const ours = (events: RecordedEvent[]) => events.filter((e) => e.streamName === a || e.streamName === b).map((e) => e.type);
        expect(ours(await store.readAll({ after: start }))).toEqual(['A1', 'B1', 'B2', 'A2']);
        const firstTwo = await store.readAll({ after: start, maxCount: 2 });
        expect(firstTwo).toHaveLength(2);
        expect(ours(await store.readAll({ after: firstTwo[1].position }))).toEqual(['B2', 'A2']);
        const head = await store.headPosition();
        expect(comparePositions(head, (await store.readStream(a))[1].position)).toBeGreaterThanOrEqual(0);
        expect(await store.readAll({ after: head })).toEqual([]);
      });
    });

    describe('catch-up subscription', () => {
      const subscriptions: Subscription[] = [];
      afterEach(async () => {
        await Promise.all(subscriptions.splice(0).map((s) => s.stop()));
      });

      function collect(after: Position | null, streamName: string) {
        const seen: RecordedEvent[] = [];
        let caughtUp = false;
        const waiters: Array<() => void> = [];
        const sub = store.subscribeToAll({
          after,
          batchSize: 7,
          handler: (events) => {
            seen.push(...events.filter((e) => e.streamName === streamName));
            waiters.splice(0).forEach((w) => w());
          },
          onCaughtUp: () => {
            caughtUp = true;
            waiters.splice(0).forEach((w) => w());
          },
        });
        subscriptions.push(sub);
        const until = async (predicate: () => boolean, what: string) => {
          const deadline = Date.now() + 15_000;
          while (!predicate()) {
            if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; saw ${seen.length} events`);
            await new Promise<void>((resolve) => {
              waiters.push(resolve);
              setTimeout(resolve, 200);
            });
          }
        };
        return { seen, sub, until, isCaughtUp: () => caughtUp };
      }

      it('delivers the past from a checkpoint, then goes live, in order and exactly once', async () => {
        const name = stream('sub');
        const start = await store.headPosition();
        await store.appendToStream(name, Array.from({ length: 20 }, (_, n) => event('Past', { n })), { expectedRevision: 'no_stream' });
        const c = collect(start, name);
        await c.until(() => c.seen.length === 20 && c.isCaughtUp(), 'the past');
        expect(c.sub.isLive).toBe(true);
        for (let n = 20; n < 30; n++) await store.appendToStream(name, [event('Live', { n })], { expectedRevision: n - 1 });
        await c.until(() => c.seen.length === 30, 'live events');
        expect(c.seen.map((e) => e.data.n)).toEqual(Array.from({ length: 30 }, (_, n) => n));
      });

      it('resumes from a stored checkpoint without repeating or skipping', async () => {
        const name = stream('resume');
        const start = await store.headPosition();
        await store.appendToStream(name, Array.from({ length: 10 }, (_, n) => event('E', { n })), { expectedRevision: 'no_stream' });
        const first = collect(start, name);
        await first.until(() => first.seen.length === 10, 'first run');
        const checkpoint = first.sub.position;
        await first.sub.stop();
        await store.appendToStream(name, Array.from({ length: 5 }, (_, n) => event('E', { n: n + 10 })), { expectedRevision: 9 });
        const second = collect(checkpoint, name);
        await second.until(() => second.seen.length === 5 && second.isCaughtUp(), 'second run');
        expect(second.seen.map((e) => e.data.n)).toEqual([10, 11, 12, 13, 14]);
      });

      it('sees events appended through another store instance on the same database', async () => {
        const other = await subject.openAnother();
        try {
          const name = stream('other');
          const c = collect(await store.headPosition(), name);
          await c.until(c.isCaughtUp, 'catch-up');
          await other.appendToStream(name, [event('FromElsewhere')], { expectedRevision: 'no_stream' });
          await c.until(() => c.seen.length === 1, 'the other instance\'s event');
        } finally {
          await other.close();
        }
      });

      it('stops and reports when the handler fails', async () => {
        const name = stream('fail');
        const start = await store.headPosition();
        await store.appendToStream(name, [event()], { expectedRevision: 'no_stream' });
        const failure = new Promise<unknown>((resolve) => {
          subscriptions.push(
            store.subscribeToAll({
              after: start,
              handler: () => {
                throw new Error('projection broke');
              },
              onError: resolve,
            }),
          );
        });
        await expect(failure).resolves.toMatchObject({ message: 'projection broke' });
      });

      it('delivers every event of two writer processes exactly once and in order while it runs', async () => {
        const prefix = stream('mp');
        const streams = [`${prefix}-shared`, `${prefix}-x`, `${prefix}-y`];
        const start = await store.headPosition();
        const seen: RecordedEvent[] = [];
        const positions: Position[] = [];
        subscriptions.push(
          store.subscribeToAll({
            after: start,
            batchSize: 16,
            handler: (events) => {
              positions.push(...events.map((e) => e.position));
              seen.push(...events.filter((e) => streams.includes(e.streamName)));
            },
          }),
        );
        const perWriter = 150;
        const writers = ['w1', 'w2'].map((label) =>
          run(process.execPath, ['-r', '@swc-node/register', WRITER, JSON.stringify({ locator: subject.locator, streams, count: perWriter, label })], {
            env: { ...process.env, SWC_NODE_PROJECT: join(__dirname, '..', '..', '..', 'tsconfig.json') },
            timeout: 120_000,
          }),
        );
        // The test process writes too, while the children do.
        for (let i = 0; i < 30; i++) await store.appendToStream(`${prefix}-local`, [event('Local', { i })], { expectedRevision: 'any' });
        const outputs = await Promise.all(writers);
        for (const { stdout } of outputs) expect(JSON.parse(stdout)).toMatchObject({ acknowledged: perWriter });

        const deadline = Date.now() + 20_000;
        while (seen.length < 2 * perWriter && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(seen).toHaveLength(2 * perWriter);
        const keys = seen.map((e) => `${e.data.by}:${e.data.i}`);
        expect(new Set(keys).size).toBe(2 * perWriter);
        for (const label of ['w1', 'w2'])
          expect(seen.filter((e) => e.data.by === label).map((e) => e.data.i)).toEqual(Array.from({ length: perWriter }, (_, i) => i));
        for (let i = 1; i < positions.length; i++) expect(comparePositions(positions[i], positions[i - 1])).toBeGreaterThan(0);
        for (const name of streams) {
          const delivered = seen.filter((e) => e.streamName === name).map((e) => e.revision);
          expect(delivered).toEqual(delivered.map((_, i) => i));
        }
      }, 180_000);
    });
  });
}
