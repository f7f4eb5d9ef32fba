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
import type { EventStore, ExpectedRevision, NewEvent, Position, RecordedEvent, Subscription } from '../src/event-store.port';
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

    describe('appendToStreams: one atomic append to several streams', () => {
      const subscriptions: Subscription[] = [];
      afterEach(async () => {
        await Promise.all(subscriptions.splice(0).map((s) => s.stop()));
      });

      /** Our streams' events as a subscription from `after` delivers them, and a wait on them. */
      function watch(after: Position | null, ours: (e: RecordedEvent) => boolean) {
        const seen: RecordedEvent[] = [];
        let caughtUp = false;
        subscriptions.push(
          store.subscribeToAll({
            after,
            handler: (events) => void seen.push(...events.filter(ours)),
            onCaughtUp: () => (caughtUp = true),
          }),
        );
        const until = async (predicate: () => boolean, what: string) => {
          const deadline = Date.now() + 15_000;
          while (!predicate()) {
            if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; saw ${seen.map((e) => e.type).join(', ')}`);
            await new Promise((r) => setTimeout(r, 10));
          }
        };
        return { seen, until, isCaughtUp: () => caughtUp };
      }

      it('appends every stream at its expected revision and answers per stream, in input order', async () => {
        const [cta, request, audit] = [stream('cta'), stream('request'), stream('audit')];
        await store.appendToStream(cta, [event('CtaCreated')], { expectedRevision: 'no_stream' });
        await store.appendToStream(audit, [event('Audited'), event('Audited')], { expectedRevision: 'no_stream' });
        const result = await store.appendToStreams([
          { streamName: cta, events: [event('CtaUpdated'), event('CtaClosed')], expectedRevision: 0 },
          { streamName: request, events: [event('RequestHandled')], expectedRevision: 'no_stream' },
          { streamName: audit, events: [event('Audited', { n: 3 })], expectedRevision: 1 },
        ]);
        expect(result.streams.map((s) => [s.streamName, s.nextExpectedRevision])).toEqual([[cta, 2], [request, 0], [audit, 2]]);
        const streams = await Promise.all([cta, request, audit].map((name) => store.readStream(name)));
        expect(streams.map((events) => events.map((e) => [e.type, e.revision]))).toEqual([
          [['CtaCreated', 0], ['CtaUpdated', 1], ['CtaClosed', 2]],
          [['RequestHandled', 0]],
          [['Audited', 0], ['Audited', 1], ['Audited', 2]],
        ]);
        result.streams.forEach((s, i) => expect(comparePositions(s.position, streams[i].at(-1)!.position)).toBe(0));
        // Input order is global order: the last stream's last event is the call's position.
        expect(comparePositions(result.position, result.streams[2].position)).toBe(0);
        expect(comparePositions(result.streams[1].position, result.streams[0].position)).toBeGreaterThan(0);
        // The next write goes on from the revisions the call answered.
        await expect(store.appendToStream(cta, [event('CtaReopened')], { expectedRevision: result.streams[0].nextExpectedRevision })).resolves.toMatchObject({
          nextExpectedRevision: 3,
        });
      });

      it('puts the events of one call in $all in input order, not stream-name order, with nothing between them', async () => {
        const start = await store.headPosition();
        // Named so that input order is the reverse of name order.
        const [late, early] = [stream('zz'), stream('aa')];
        await store.appendToStreams([
          { streamName: late, events: [event('Z1'), event('Z2')], expectedRevision: 'no_stream' },
          { streamName: early, events: [event('A1')], expectedRevision: 'no_stream' },
        ]);
        const all = await store.readAll({ after: start });
        const ours = all.filter((e) => e.streamName === late || e.streamName === early);
        expect(ours.map((e) => e.type)).toEqual(['Z1', 'Z2', 'A1']);
        // EventStoreDB does not document that a multi-stream append is contiguous in $all; the others guarantee it.
        if (store.kind !== 'eventstoredb') {
          const at = all.indexOf(ours[0]);
          expect(all.slice(at, at + 3)).toEqual(ours);
        }
      });

      it('writes nothing when a later stream is not at its expected revision, names that stream, and subscribers never see it', async () => {
        const [first, second] = [stream('first'), stream('second')];
        await store.appendToStream(first, [event('Opened')], { expectedRevision: 'no_stream' });
        await store.appendToStream(second, [event('Opened'), event('Moved')], { expectedRevision: 'no_stream' });
        const head = await store.headPosition();
        const ours = (e: RecordedEvent) => e.streamName === first || e.streamName === second;
        const w = watch(head, ours);
        await w.until(w.isCaughtUp, 'catch-up');
        const attempt = store.appendToStreams([
          { streamName: first, events: [event('Lost')], expectedRevision: 0 },
          { streamName: second, events: [event('Lost')], expectedRevision: 0 },
        ]);
        await expect(attempt).rejects.toBeInstanceOf(ConcurrencyError);
        await expect(attempt).rejects.toMatchObject({ code: 'CONCURRENCY', streamName: second, expectedRevision: 0, actualRevision: 1 });
        expect((await store.readStream(first)).map((e) => e.type)).toEqual(['Opened']);
        expect((await store.readStream(second)).map((e) => e.type)).toEqual(['Opened', 'Moved']);
        expect((await store.readAll({ after: head })).filter(ours)).toEqual([]);
        // Appended after the refusal: once the subscription has it, it has passed where the refused events would be.
        await store.appendToStream(first, [event('Marker')], { expectedRevision: 0 });
        await w.until(() => w.seen.length > 0, 'the marker');
        expect(w.seen.map((e) => e.type)).toEqual(['Marker']);
      });

      it('does not create a stream when another stream of the call refuses, so the corrected call succeeds', async () => {
        const [fresh, existing] = [stream('fresh'), stream('existing')];
        await store.appendToStream(existing, [event()], { expectedRevision: 'no_stream' });
        await expect(
          store.appendToStreams([
            { streamName: fresh, events: [event('Created')], expectedRevision: 'no_stream' },
            { streamName: existing, events: [event('Again')], expectedRevision: 'no_stream' },
          ]),
        ).rejects.toMatchObject({ code: 'CONCURRENCY', streamName: existing, expectedRevision: 'no_stream', actualRevision: 0 });
        expect(await store.readStream(fresh)).toEqual([]);
        const corrected = await store.appendToStreams([
          { streamName: fresh, events: [event('Created')], expectedRevision: 'no_stream' },
          { streamName: existing, events: [event('Again')], expectedRevision: 0 },
        ]);
        expect(corrected.streams.map((s) => s.nextExpectedRevision)).toEqual([0, 1]);
      });

      it('checks stream_exists and any per stream', async () => {
        const [missing, present] = [stream('missing'), stream('present')];
        await store.appendToStream(present, [event()], { expectedRevision: 'no_stream' });
        await expect(
          store.appendToStreams([
            { streamName: present, events: [event()], expectedRevision: 'stream_exists' },
            { streamName: missing, events: [event()], expectedRevision: 'stream_exists' },
          ]),
        ).rejects.toMatchObject({ code: 'CONCURRENCY', streamName: missing, actualRevision: 'no_stream' });
        expect(await store.readStream(present)).toHaveLength(1);
        const result = await store.appendToStreams([
          { streamName: present, events: [event()], expectedRevision: 'stream_exists' },
          { streamName: missing, events: [event(), event()], expectedRevision: 'any' },
        ]);
        expect(result.streams.map((s) => s.nextExpectedRevision)).toEqual([1, 1]);
      });

      it('writes nothing of any stream when one event id is already taken', async () => {
        if (!subject.globallyUniqueEventIds) return; // EventStoreDB: ids are unique per stream only
        const taken = randomUUID();
        await store.appendToStream(stream('taken'), [{ id: taken, type: 'Taken', data: {} }], { expectedRevision: 'no_stream' });
        const [a, b] = [stream('a'), stream('b')];
        const attempt = store.appendToStreams([
          { streamName: a, events: [event('Fine')], expectedRevision: 'no_stream' },
          { streamName: b, events: [event('Fine'), { id: taken, type: 'Clash', data: {} }], expectedRevision: 'no_stream' },
        ]);
        await expect(attempt).rejects.toBeInstanceOf(DuplicateEventIdError);
        await expect(attempt).rejects.toMatchObject({ eventId: taken });
        expect(await store.readStream(a)).toEqual([]);
        expect(await store.readStream(b)).toEqual([]);
      });

      it("merges the call's metadata under each event's own, in every stream, with one recordedAt", async () => {
        const [cta, audit] = [stream('cta'), stream('audit')];
        const ids = [randomUUID(), randomUUID()];
        await store.appendToStreams(
          [
            { streamName: cta, events: [{ id: ids[0], type: 'CtaUpdated', data: {}, metadata: { causationId: 'cmd-9' } }], expectedRevision: 'no_stream' },
            { streamName: audit, events: [{ id: ids[1], type: 'Audited', data: {}, metadata: { toolName: 'audit' } }], expectedRevision: 'no_stream' },
          ],
          { metadata: { actor: { type: 'user', id: 'u-7', email: 'bo@example.com' }, correlationId: 'req-7', toolName: 'update_cta' } },
        );
        const [[updated], [audited]] = await Promise.all([store.readStream(cta), store.readStream(audit)]);
        expect(updated.metadata).toMatchObject({
          actor: { type: 'user', id: 'u-7', email: 'bo@example.com' },
          correlationId: 'req-7',
          causationId: 'cmd-9',
          toolName: 'update_cta',
        });
        expect(audited.metadata).toMatchObject({
          actor: { type: 'user', id: 'u-7', email: 'bo@example.com' },
          correlationId: 'req-7',
          causationId: ids[1],
          toolName: 'audit',
        });
        expect(audited.metadata.recordedAt).toBe(updated.metadata.recordedAt);
      });

      it('answers a retry of the same call (same ids, same expected revisions) as the first time, writing nothing', async () => {
        const [cta, audit] = [stream('cta'), stream('audit')];
        await store.appendToStream(audit, [event('Audited')], { expectedRevision: 'no_stream' });
        const call = [
          { streamName: cta, events: [{ id: randomUUID(), type: 'CtaCreated', data: {} }, { id: randomUUID(), type: 'CtaAssigned', data: {} }], expectedRevision: 'no_stream' as const },
          { streamName: audit, events: [{ id: randomUUID(), type: 'Audited', data: {} }], expectedRevision: 0 },
        ];
        const first = await store.appendToStreams(call);
        const head = await store.headPosition();
        const again = await store.appendToStreams(call);
        expect(again.streams.map((s) => [s.streamName, s.nextExpectedRevision])).toEqual(first.streams.map((s) => [s.streamName, s.nextExpectedRevision]));
        again.streams.forEach((s, i) => expect(comparePositions(s.position, first.streams[i].position)).toBe(0));
        expect(comparePositions(again.position, first.position)).toBe(0);
        expect(await store.readStream(cta)).toHaveLength(2);
        expect(await store.readStream(audit)).toHaveLength(2);
        expect(comparePositions(await store.headPosition(), head)).toBe(0);
      });

      it('behaves like appendToStream for a single stream', async () => {
        const name = stream();
        const result = await store.appendToStreams([{ streamName: name, events: [event('A'), event('B')], expectedRevision: 'no_stream' }]);
        expect(result.streams).toHaveLength(1);
        expect(result.streams[0]).toMatchObject({ streamName: name, nextExpectedRevision: 1 });
        expect(comparePositions(result.position, (await store.readStream(name))[1].position)).toBe(0);
        await expect(store.appendToStreams([{ streamName: name, events: [event()], expectedRevision: 0 }])).rejects.toMatchObject({
          code: 'CONCURRENCY',
          streamName: name,
          actualRevision: 1,
        });
      });

      describe('bad input is refused with a clear error and writes nothing', () => {
        const named = stream('refused');
        const ok = () => ({ streamName: named, events: [event()], expectedRevision: 'any' as const });
        const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
          ['appends that are not an array', () => store.appendToStreams({} as never), /appends: must be an array of \{ streamName, events, expectedRevision \}, got Object/],
          ['no streams', () => store.appendToStreams([]), /appends: must contain at least one stream/],
          ['an entry that is not an object', () => store.appendToStreams([ok(), 42 as never]), /appends\[1\]: must be an object \{ streamName, events, expectedRevision \}, got number/],
          ['the same stream twice', () => store.appendToStreams([ok(), { streamName: named, events: [event()], expectedRevision: 0 }]), /appends\[1\]\.streamName: ".*" is already appends\[0\]; a stream may appear once per call/],
          ['a stream without events', () => store.appendToStreams([ok(), { streamName: stream(), events: [], expectedRevision: 'any' }]), /appends\[1\]\.events: must contain at least one event/],
          ['an empty stream name', () => store.appendToStreams([ok(), { streamName: '', events: [event()], expectedRevision: 'any' }]), /appends\[1\]\.streamName: must not be empty/],
          ['a system stream name', () => store.appendToStreams([ok(), { streamName: '$all', events: [event()], expectedRevision: 'any' }]), /appends\[1\]\.streamName: .*reserved/],
          ['a negative revision', () => store.appendToStreams([{ ...ok(), expectedRevision: -1 }]), /appends\[0\]\.expectedRevision: must be .* got -1/],
          ['a function in data', () => store.appendToStreams([ok(), { streamName: stream(), events: [{ type: 'T', data: { f: () => 1 } } as never], expectedRevision: 'any' }]), /appends\[1\]\.events\[0\]\.data\.f: is a function/],
          ['one event id in two streams', () => {
            const id = randomUUID();
            return store.appendToStreams([
              { ...ok(), events: [{ id, type: 'T', data: {} }] },
              { streamName: stream(), events: [{ id, type: 'T', data: {} }], expectedRevision: 'any' },
            ]);
          }, /appends\[1\]\.events\[0\]\.id: .* appears twice in one append/],
          ['metadata that is not JSON', () => store.appendToStreams([ok()], { metadata: { n: NaN } as never }), /options\.metadata\.n: NaN is not a JSON number/],
          ['more than 10,000 events in all', () => store.appendToStreams([
            { ...ok(), events: Array.from({ length: 6_000 }, () => event()) },
            { streamName: stream(), events: Array.from({ length: 6_000 }, () => event()), expectedRevision: 'any' },
          ]), /appends: at most 10000 events per call in all streams together, got 12000/],
        ];
        it.each(cases)('refuses %s', async (_label, attempt, message) => {
          const head = await store.headPosition();
          const outcome = attempt();
          await expect(outcome).rejects.toBeInstanceOf(EventStoreInputError);
          await expect(outcome).rejects.toThrow(message);
          expect(comparePositions(await store.headPosition(), head)).toBe(0);
          expect(await store.readStream(named)).toEqual([]);
        });
      });

      it('keeps every multi-append of two racing writers whole: none lost or doubled, subscribers see each complete and in order', async () => {
        const other = await subject.openAnother();
        try {
          const prefix = stream('multi');
          const audit = `${prefix}-audit`;
          const ctas = [0, 1, 2].map((n) => `${prefix}-cta-${n}`);
          const isOurs = (e: RecordedEvent) => e.streamName.startsWith(prefix);
          const start = await store.headPosition();
          const seen: RecordedEvent[] = [];
          const positions: Position[] = [];
          const partial: string[] = [];
          subscriptions.push(
            store.subscribeToAll({
              after: start,
              // Small batches, so that batches cut through multi-appends.
              batchSize: 5,
              handler: async (events) => {
                positions.push(...events.map((e) => e.position));
                const ours = events.filter(isOurs);
                seen.push(...ours);
                // A multi-append cut by the batch: the rest of it must be committed already, right behind.
                const last = ours.at(-1);
                if (last && (last.data.part as number) < 2) {
                  const remaining = 2 - (last.data.part as number);
                  // Right behind it in $all, except on EventStoreDB, where other writers' events may come between.
                  const read = await store.readAll({ after: last.position, maxCount: store.kind === 'eventstoredb' ? 100 : remaining });
                  const rest = read.filter(isOurs).slice(0, remaining);
                  if (rest.length < remaining || rest.some((e) => e.data.group !== last.data.group))
                    partial.push(`${String(last.data.group)} part ${String(last.data.part)}`);
                }
              },
            }),
          );
          // Two writers (two store instances, as two servers would be), each with two concurrent loops.
          const acknowledged = new Map<string, number>();
          const writer = async (writerStore: EventStore, by: string, count: number) => {
            const known = new Map<string, ExpectedRevision>();
            const revisionOf = async (name: string): Promise<ExpectedRevision> => {
              const events = await writerStore.readStream(name);
              return events.length === 0 ? 'no_stream' : events[events.length - 1].revision;
            };
            for (let i = 0; i < count; i++) {
              const group = `${by}:${i}`;
              const cta = ctas[i % ctas.length];
              for (let attempt = 0; ; attempt++) {
                if (attempt > 200) throw new Error(`${group}: still conflicting after 200 attempts`);
                if (!known.has(cta) || attempt > 0) known.set(cta, await revisionOf(cta));
                if (!known.has(audit) || attempt > 0) known.set(audit, await revisionOf(audit));
                const data = (part: number) => ({ by, i, group, part, attempt });
                try {
                  const result = await writerStore.appendToStreams([
                    { streamName: cta, events: [event('CtaUpdated', data(0)), event('CtaUpdated', data(1))], expectedRevision: known.get(cta)! },
                    { streamName: audit, events: [event('Audited', data(2))], expectedRevision: known.get(audit)! },
                  ]);
                  known.set(cta, result.streams[0].nextExpectedRevision);
                  known.set(audit, result.streams[1].nextExpectedRevision);
                  acknowledged.set(group, attempt);
                  break;
                } catch (error) {
                  if (!(error instanceof ConcurrencyError)) throw error;
                }
              }
            }
          };
          const perLoop = 12;
          await Promise.all([writer(store, 'w1a', perLoop), writer(store, 'w1b', perLoop), writer(other, 'w2a', perLoop), writer(other, 'w2b', perLoop)]);
          expect(acknowledged.size).toBe(4 * perLoop);

          const deadline = Date.now() + 20_000;
          while (seen.length < 3 * acknowledged.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
          expect(seen).toHaveLength(3 * acknowledged.size);
          expect(partial).toEqual([]);
          for (let i = 1; i < positions.length; i++) expect(comparePositions(positions[i], positions[i - 1])).toBeGreaterThan(0);
          // Each acknowledged call once, from the attempt that was acknowledged, its parts in input order.
          const byGroup = new Map<string, RecordedEvent[]>();
          for (const e of seen) byGroup.set(e.data.group as string, [...(byGroup.get(e.data.group as string) ?? []), e]);
          expect([...byGroup.keys()].sort()).toEqual([...acknowledged.keys()].sort());
          for (const [group, events] of byGroup) {
            expect(events.map((e) => e.data.part)).toEqual([0, 1, 2]);
            expect(events.every((e) => e.data.attempt === acknowledged.get(group))).toBe(true);
          }
          if (store.kind !== 'eventstoredb')
            for (let i = 0; i < seen.length; i += 3) expect(new Set(seen.slice(i, i + 3).map((e) => e.data.group)).size).toBe(1);
          // Every stream dense from revision 0, the audit stream one entry per call.
          const auditEvents = await store.readStream(audit);
          expect(auditEvents.map((e) => e.revision)).toEqual(auditEvents.map((_, i) => i));
          expect(auditEvents).toHaveLength(acknowledged.size);
          let ctaEvents = 0;
          for (const cta of ctas) {
            const events = await store.readStream(cta);
            expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => i));
            ctaEvents += events.length;
          }
          expect(ctaEvents).toBe(2 * acknowledged.size);
        } finally {
          await other.close();
        }
      }, 120_000);
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
