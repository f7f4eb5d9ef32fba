/**
 * The adapter's wiring with the client's methods replaced by a fake: what it sends to the client
 * and how it reads the answers. The real server is exercised by kurrent-event-store.int.spec.ts.
 */
import {
  AppendRecordSizeExceededError,
  END,
  START,
  StreamNotFoundError,
  TransactionMaxSizeExceededError,
  UnavailableError,
  UnsupportedError,
  WrongExpectedVersionError,
  type AppendResult as ClientAppendResult,
  type AppendStreamRequest,
  type MultiAppendResult as ClientMultiAppendResult,
  type ReadAllOptions as ClientReadAllOptions,
} from '@kurrent/kurrentdb-client';
import { EventEmitter } from 'node:events';
import { ConcurrencyError, EventStoreInputError, StoreUnavailableError } from '../errors';
import type { RecordedEvent, StreamAppend } from '../event-store.port';
import { KurrentEventStore } from './kurrent-event-store';
import type { ClientRecordedEvent } from './kurrent-mapping';

interface SentEvent {
  id: string;
  type: string;
  contentType: string;
  data: unknown;
  metadata: unknown;
}

function stored(n: number, streamId = 'cta-1', type = 'Happened'): ClientRecordedEvent {
  return {
    streamId,
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    revision: BigInt(n),
    type,
    isJson: true,
    created: new Date(),
    data: { n },
    metadata: { actor: { type: 'system', id: 'system' }, correlationId: 'c', causationId: 'c', recordedAt: '2025-01-01T00:00:00.000Z' },
    position: { commit: BigInt(n * 10), prepare: BigInt(n * 10) },
  };
}

async function* resolved(events: ClientRecordedEvent[]) {
  for (const event of events) yield { event };
}

function storeWithFakeClient(pollIntervalMs = 20) {
  const store = new KurrentEventStore({ connectionString: 'kurrentdb://127.0.0.1:1?tls=false', pollIntervalMs });
  const log: ClientRecordedEvent[] = [];
  const calls = { append: [] as Array<{ stream: string; events: SentEvent[]; options: unknown }>, readAll: [] as ClientReadAllOptions[] };
  const live = new EventEmitter() as EventEmitter & { unsubscribe(): Promise<void> };
  live.unsubscribe = async () => undefined;
  let appendResult: (stream: string, events: SentEvent[]) => ClientAppendResult = () => {
    throw new Error('no append result set');
  };
  const multiCalls: AppendStreamRequest[][] = [];
  // By default the fake server writes the requests to its log, as the real one does.
  let multiResult = (requests: AppendStreamRequest[]): ClientMultiAppendResult => {
    let position = BigInt(log.length * 10 + 100);
    const responses = requests.map(({ streamName, events }) => {
      let revision = BigInt(log.filter((e) => e.streamId === streamName).length - 1);
      for (const event of events) {
        revision += 1n;
        position += 10n;
        log.push({ ...stored(0, streamName, event.type), id: event.id!, revision, data: event.data, metadata: event.metadata, position: { commit: position, prepare: position } });
      }
      return { streamName, revision };
    });
    return { position, responses };
  };
  const fake = {
    appendToStream: async (stream: string, events: SentEvent[], options: unknown) => {
      calls.append.push({ stream, events, options });
      return appendResult(stream, events);
    },
    multiStreamAppend: async (requests: AppendStreamRequest[]) => {
      multiCalls.push(requests);
      return multiResult(requests);
    },
    readStream: (stream: string, options: { fromRevision: bigint; maxCount: number }) => {
      const events = log.filter((e) => e.streamId === stream).slice(Number(options.fromRevision), Number(options.fromRevision) + options.maxCount);
      if (events.length === 0 && !log.some((e) => e.streamId === stream)) {
        return (async function* () {
          throw new StreamNotFoundError(undefined, stream);
        })();
      }
      return resolved(events);
    },
    readAll: (options: ClientReadAllOptions) => {
      calls.readAll.push(options);
      const from = options.fromPosition ?? START;
      const visible = log.filter((e) => !e.type.startsWith('$'));
      const ordered = options.direction === 'backwards' ? [...visible].reverse() : visible;
      const selected =
        from === START || from === END
          ? ordered
          : ordered.filter((e) => (options.direction === 'backwards' ? e.position!.commit <= from.commit : e.position!.commit >= from.commit));
      return resolved(selected.slice(0, Number(options.maxCount)));
    },
    subscribeToAll: jest.fn(() => live),
    dispose: jest.fn(async () => undefined),
  };
  Object.assign((store as unknown as { client: object }).client, fake);
  return {
    store,
    log,
    calls,
    multiCalls,
    live,
    fake,
    setAppendResult: (f: typeof appendResult) => (appendResult = f),
    setMultiResult: (f: typeof multiResult) => (multiResult = f),
  };
}

describe('KurrentEventStore with a fake client', () => {
  it('appends JSON events with our ids, metadata bytes and the expected revision as a bigint', async () => {
    const { store, calls, setAppendResult } = storeWithFakeClient();
    setAppendResult(() => ({ success: true, nextExpectedRevision: 4n, position: { commit: 500n, prepare: 490n } }));
    const id = '6f1c2a0e-8d4b-4c3a-9e2f-0a1b2c3d4e5f';
    const result = await store.appendToStream('cta-1', [{ id, type: 'CtaCreated', data: { title: 'Renewal' } }], {
      expectedRevision: 3,
      metadata: { correlationId: 'req-1' },
    });
    expect(result).toEqual({ nextExpectedRevision: 4, position: { commit: 500, prepare: 490 } });
    const [call] = calls.append;
    expect(call.stream).toBe('cta-1');
    expect(call.options).toEqual({ streamState: 3n });
    expect(call.events[0]).toMatchObject({ id, type: 'CtaCreated', contentType: 'application/json', data: { title: 'Renewal' } });
    const metadata = JSON.parse(Buffer.from(call.events[0].metadata as Uint8Array).toString('utf8'));
    expect(metadata).toMatchObject({ correlationId: 'req-1', causationId: id, actor: { type: 'system', id: 'system' } });
    expect(typeof metadata.recordedAt).toBe('string');
    await store.close();
  });

  it('reads the position back when the server answers an idempotent re-append without one', async () => {
    const { store, log, setAppendResult } = storeWithFakeClient();
    log.push(stored(0), stored(1));
    setAppendResult(() => ({ success: true, nextExpectedRevision: 1n, position: undefined }));
    const result = await store.appendToStream(
      'cta-1',
      [
        { id: stored(0).id, type: 'Happened', data: { n: 0 } },
        { id: stored(1).id, type: 'Happened', data: { n: 1 } },
      ],
      { expectedRevision: 'no_stream' },
    );
    expect(result).toEqual({ nextExpectedRevision: 1, position: { commit: 10, prepare: 10 } });
    await store.close();
  });

  it('reads the position back when the answer carries an unusable one', async () => {
    const { store, log, setAppendResult } = storeWithFakeClient();
    log.push(stored(0));
    setAppendResult(() => ({ success: true, nextExpectedRevision: 0n, position: { commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n } }));
    const result = await store.appendToStream('cta-1', [{ id: stored(0).id, type: 'Happened', data: { n: 0 } }], { expectedRevision: 'any' });
    expect(result.position).toEqual({ commit: 0, prepare: 0 });
    await store.close();
  });

  it('turns a wrong expected version into ConcurrencyError', async () => {
    const { store, setAppendResult } = storeWithFakeClient();
    setAppendResult((stream) => {
      throw new WrongExpectedVersionError(undefined, { streamName: stream, expected: 0n, current: 2n });
    });
    const attempt = store.appendToStream('cta-1', [{ type: 'T', data: {} }], { expectedRevision: 0 });
    await expect(attempt).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(attempt).rejects.toMatchObject({ streamName: 'cta-1', expectedRevision: 0, actualRevision: 2 });
    await store.close();
  });

  describe('appendToStreams', () => {
    const ids = ['6f1c2a0e-8d4b-4c3a-9e2f-0a1b2c3d4e51', '6f1c2a0e-8d4b-4c3a-9e2f-0a1b2c3d4e52', '6f1c2a0e-8d4b-4c3a-9e2f-0a1b2c3d4e53'];
    const twoStreams = (): StreamAppend[] => [
      {
        streamName: 'cta-1',
        events: [
          { id: ids[0], type: 'CtaUpdated', data: { title: 'Renewal' } },
          { id: ids[1], type: 'CtaClosed', data: {}, metadata: { causationId: 'cmd-2' } },
        ],
        expectedRevision: 0,
      },
      { streamName: 'audit', events: [{ id: ids[2], type: 'Audited', data: { credits: 1 } }], expectedRevision: 'no_stream' as const },
    ];

    it('sends one request per stream, our metadata JSON as one string property, and reads each position back', async () => {
      const { store, log, multiCalls, calls } = storeWithFakeClient();
      log.push(stored(0)); // cta-1 at revision 0
      const result = await store.appendToStreams(twoStreams(), { metadata: { correlationId: 'req-1', actor: { type: 'user', id: 'u-1' } } });
      expect(calls.append).toEqual([]);
      const [requests] = multiCalls;
      expect(requests.map((r) => [r.streamName, r.expectedState, r.events.map((e) => e.id)])).toEqual([
        ['cta-1', 0n, [ids[0], ids[1]]],
        ['audit', 'no_stream', [ids[2]]],
      ]);
      const sent = requests[0].events[1];
      expect(sent).toMatchObject({ type: 'CtaClosed', contentType: 'application/json', data: {} });
      // multiStreamAppend takes string properties only: anything else is refused by the client.
      expect(Object.keys(sent.metadata as object)).toEqual(['csmcp.metadata']);
      expect(JSON.parse((sent.metadata as Record<string, string>)['csmcp.metadata'])).toMatchObject({
        correlationId: 'req-1',
        causationId: 'cmd-2',
        actor: { type: 'user', id: 'u-1' },
      });
      expect(result).toEqual({
        streams: [
          { streamName: 'cta-1', nextExpectedRevision: 2, position: { commit: 130, prepare: 130 } },
          { streamName: 'audit', nextExpectedRevision: 0, position: { commit: 140, prepare: 140 } },
        ],
        position: { commit: 140, prepare: 140 },
      });
      // And they read back as any event of ours, the server's "$schema.*" properties aside.
      log.forEach((e, i) => {
        if (e.streamId === 'audit') log[i] = { ...e, metadata: { '$schema.format': 'Json', '$schema.name': 'Audited', ...(e.metadata as object) } };
      });
      const [audited] = await store.readStream('audit');
      expect(audited.metadata).toEqual({ ...JSON.parse((requests[1].events[0].metadata as Record<string, string>)['csmcp.metadata']) });
      expect(audited.metadata.correlationId).toBe('req-1');
      await store.close();
    });

    it('uses the classic append for a single stream, which older servers have too', async () => {
      const { store, multiCalls, calls, setAppendResult } = storeWithFakeClient();
      setAppendResult(() => ({ success: true, nextExpectedRevision: 0n, position: { commit: 70n, prepare: 70n } }));
      const result = await store.appendToStreams([{ streamName: 'cta-9', events: [{ type: 'T', data: {} }], expectedRevision: 'no_stream' }]);
      expect(result).toEqual({ streams: [{ streamName: 'cta-9', nextExpectedRevision: 0, position: { commit: 70, prepare: 70 } }], position: { commit: 70, prepare: 70 } });
      expect(multiCalls).toEqual([]);
      expect(calls.append).toHaveLength(1);
      await store.close();
    });

    it('turns the conflict the server reports into ConcurrencyError naming that stream, with our expectation', async () => {
      const { store, setMultiResult } = storeWithFakeClient();
      setMultiResult(() => {
        throw new WrongExpectedVersionError(undefined, { streamName: 'audit', expected: 'no_stream', current: 6n });
      });
      const attempt = store.appendToStreams(twoStreams());
      await expect(attempt).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(attempt).rejects.toMatchObject({ streamName: 'audit', expectedRevision: 'no_stream', actualRevision: 6 });
      setMultiResult(() => {
        throw new WrongExpectedVersionError(undefined, { streamName: 'cta-1', expected: 0n, current: 'no_stream' });
      });
      await expect(store.appendToStreams(twoStreams())).rejects.toMatchObject({ streamName: 'cta-1', expectedRevision: 0, actualRevision: 'no_stream' });
      await store.close();
    });

    it('says that the server is too old when it has no multi-stream append', async () => {
      const { store, setMultiResult } = storeWithFakeClient();
      setMultiResult(() => {
        throw new UnsupportedError('multiStreamAppend', '25.1');
      });
      await expect(store.appendToStreams(twoStreams())).rejects.toThrow(/appendToStreams needs KurrentDB 25\.1 or later .*127\.0\.0\.1:1/);
      await store.close();
    });

    it("turns the server's size limits into input errors naming the limit and the event", async () => {
      const { store, setMultiResult } = storeWithFakeClient();
      setMultiResult(() => {
        throw new TransactionMaxSizeExceededError(undefined as never, { size: 5_000_000, maxSize: 4_194_304 });
      });
      const tooLarge = store.appendToStreams(twoStreams());
      await expect(tooLarge).rejects.toBeInstanceOf(EventStoreInputError);
      await expect(tooLarge).rejects.toThrow(/^appends: the call is larger than the EventStoreDB server accepts in one transaction \(4194304 bytes\)/);
      setMultiResult(() => {
        throw new AppendRecordSizeExceededError(undefined as never, { stream: 'cta-1', recordId: ids[1].toUpperCase(), size: 20_000_000, maxSize: 16_777_216 });
      });
      await expect(store.appendToStreams(twoStreams())).rejects.toThrow(/^appends\[0\]\.events\[1\]: an event is larger than the EventStoreDB server accepts \(16777216 bytes\)/);
      await store.close();
    });

    it('reports an unreachable server as StoreUnavailableError', async () => {
      const { store, setMultiResult } = storeWithFakeClient();
      setMultiResult(() => {
        throw new UnavailableError(undefined as never);
      });
      await expect(store.appendToStreams(twoStreams())).rejects.toBeInstanceOf(StoreUnavailableError);
      await store.close();
    });

    it('refuses to answer with a position it cannot confirm: the event read back is not ours', async () => {
      const { store, log, setMultiResult } = storeWithFakeClient();
      log.push(stored(0), stored(1), stored(2, 'audit'));
      setMultiResult(() => ({ position: 500n, responses: [{ streamName: 'cta-1', revision: 1n }, { streamName: 'audit', revision: 0n }] }));
      await expect(store.appendToStreams(twoStreams())).rejects.toThrow(/succeeded but its position could not be read back/);
      await store.close();
    });

    it('checks the input before calling the server', async () => {
      const { store, multiCalls } = storeWithFakeClient();
      await expect(store.appendToStreams([...twoStreams(), twoStreams()[0]])).rejects.toThrow(/appends\[2\]\.streamName: "cta-1" is already appends\[0\]/);
      expect(multiCalls).toEqual([]);
      await store.close();
    });
  });

  it('reads a stream, and a missing stream as empty', async () => {
    const { store, log } = storeWithFakeClient();
    log.push(stored(0), stored(1), stored(2));
    const events = await store.readStream('cta-1', { fromRevision: 1 });
    expect(events.map((e) => [e.revision, e.position.commit, e.data.n])).toEqual([
      [1, 10, 1],
      [2, 20, 2],
    ]);
    expect(await store.readStream('nothing-here')).toEqual([]);
    await store.close();
  });

  it('reads $all after a position with the system-event filter, and finds the head', async () => {
    const { store, log, calls } = storeWithFakeClient();
    log.push(stored(1), stored(2, '$$cta-1', '$metadata'), stored(3), stored(4, '$stats-x', 'Stat'), stored(5));
    expect((await store.readAll({ after: { commit: 10, prepare: 10 } })).map((e) => e.data.n)).toEqual([3, 5]);
    expect(calls.readAll[0]).toMatchObject({ fromPosition: { commit: 10n, prepare: 10n }, direction: 'forwards', filter: { filterOn: 'eventType', regex: '^[^$].*' } });
    expect(await store.headPosition()).toEqual({ commit: 50, prepare: 50 });
    expect(calls.readAll[calls.readAll.length - 1]).toMatchObject({ fromPosition: END, direction: 'backwards', maxCount: 1 });
    expect(await store.readAll({ after: { commit: 50, prepare: 50 } })).toEqual([]);
    await store.close();
  });

  it('opens one live subscription lazily, and its events wake the catch-up subscriptions', async () => {
    // A poll interval far beyond the test: only the live subscription's wake-up can deliver in time.
    const { store, log, live, fake } = storeWithFakeClient(60_000);
    expect(fake.subscribeToAll).not.toHaveBeenCalled();
    const seen: RecordedEvent[] = [];
    let caughtUp = false;
    const a = store.subscribeToAll({ after: null, handler: (events) => void seen.push(...events), onCaughtUp: () => (caughtUp = true) });
    const b = store.subscribeToAll({ after: null, handler: () => undefined });
    expect(fake.subscribeToAll).toHaveBeenCalledTimes(1);
    expect(fake.subscribeToAll).toHaveBeenCalledWith(expect.objectContaining({ fromPosition: END }));
    await waitFor(() => caughtUp);
    log.push(stored(1));
    live.emit('data', {});
    await waitFor(() => seen.length === 1);
    expect(seen[0].data).toEqual({ n: 1 });
    await Promise.all([a.stop(), b.stop()]);
    await store.close();
    expect(fake.dispose).toHaveBeenCalledTimes(1);
  });
});

async function waitFor(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
