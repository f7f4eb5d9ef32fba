import {
  AccessDeniedError,
  ANY,
  CancelledError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  NO_STREAM,
  NotLeaderError,
  STREAM_EXISTS,
  StreamNotFoundError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import { EventEmitter } from 'node:events';
import { ConcurrencyError, EventStoreInputError, StoreUnavailableError } from '../errors';
import type { Position } from '../event-store.port';
import { KurrentEventStore } from './kurrent-event-store';
import {
  clientErrorType,
  findHeadPosition,
  fromClientPosition,
  normalizeConnectionString,
  readForwardAfter,
  redactConnectionString,
  toActualRevision,
  toAppendError,
  toClientPosition,
  toClientStreamState,
  toRecordedEvent,
  toStoreError,
  type ClientRecordedEvent,
  type PageReader,
} from './kurrent-mapping';
import { LiveAllSignal, type SignalSubscription } from './live-all-signal';

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function clientEvent(n: number, overrides: Partial<ClientRecordedEvent> = {}): ClientRecordedEvent {
  return {
    streamId: 'cta-1',
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    revision: BigInt(n),
    type: 'Happened',
    isJson: true,
    created: new Date('2025-01-02T03:04:05.000Z'),
    data: { n },
    metadata: { actor: { type: 'user', id: 'u-1' }, correlationId: 'c', causationId: 'k', recordedAt: '2025-01-02T03:04:05.000Z' },
    position: { commit: BigInt(n * 100), prepare: BigInt(n * 100) },
    ...overrides,
  };
}

describe('expected revision', () => {
  it('maps the port states to the client constants and a revision to a bigint', () => {
    expect(toClientStreamState('no_stream')).toBe(NO_STREAM);
    expect(toClientStreamState('stream_exists')).toBe(STREAM_EXISTS);
    expect(toClientStreamState('any')).toBe(ANY);
    expect(toClientStreamState(0)).toBe(0n);
    expect(toClientStreamState(41)).toBe(41n);
  });

  it('reads the actual revision of a conflict as a number or no_stream', () => {
    expect(toActualRevision(7n)).toBe(7);
    expect(toActualRevision(0n)).toBe(0);
    expect(toActualRevision('no_stream')).toBe('no_stream');
    expect(toActualRevision(-1n)).toBe('no_stream');
    expect(toActualRevision(undefined)).toBe('no_stream');
  });
});

describe('positions', () => {
  it('converts bigint positions both ways', () => {
    expect(fromClientPosition({ commit: 1234n, prepare: 1200n })).toEqual({ commit: 1234, prepare: 1200 });
    expect(toClientPosition({ commit: 1234, prepare: 1200 })).toEqual({ commit: 1234n, prepare: 1200n });
  });

  it('refuses positions beyond 2^53 rather than rounding them', () => {
    expect(() => fromClientPosition({ commit: 2n ** 60n, prepare: 0n })).toThrow(RangeError);
  });
});

describe('recorded events', () => {
  it('maps an event of ours with parsed data and metadata', () => {
    expect(toRecordedEvent({ ...clientEvent(3), position: { commit: 300n, prepare: 299n } })).toEqual({
      id: '00000000-0000-4000-8000-000000000003',
      streamName: 'cta-1',
      revision: 3,
      position: { commit: 300, prepare: 299 },
      type: 'Happened',
      data: { n: 3 },
      metadata: { actor: { type: 'user', id: 'u-1' }, correlationId: 'c', causationId: 'k', recordedAt: '2025-01-02T03:04:05.000Z' },
    });
  });

  it('parses metadata and data the client left as bytes', () => {
    const event = toRecordedEvent({
      ...clientEvent(1, { data: json({ a: 1 }), metadata: json({ correlationId: 'x', toolName: 't' }) }),
      position: { commit: 1n, prepare: 1n },
    });
    expect(event.data).toEqual({ a: 1 });
    expect(event.metadata).toMatchObject({ correlationId: 'x', toolName: 't', actor: { type: 'system', id: 'system' } });
  });

  it('fills in metadata for events written by other programs and keeps non-object data', () => {
    const event = toRecordedEvent({
      ...clientEvent(2, { data: 'not json', metadata: undefined, isJson: false }),
      position: { commit: 2n, prepare: 2n },
    });
    expect(event.data).toEqual({ text: 'not json' });
    expect(event.metadata).toEqual({
      actor: { type: 'system', id: 'system' },
      correlationId: event.id,
      causationId: event.id,
      recordedAt: '2025-01-02T03:04:05.000Z',
    });
    expect(toRecordedEvent({ ...clientEvent(4, { data: [1, 2] }), position: { commit: 4n, prepare: 4n } }).data).toEqual({ value: [1, 2] });
  });
});

describe('errors', () => {
  it('maps a wrong expected version to ConcurrencyError with the actual revision', () => {
    const conflict = new WrongExpectedVersionError(undefined, { streamName: 's', expected: 0n, current: 1n });
    const error = toAppendError(conflict, 's', 0);
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(error).toMatchObject({ code: 'CONCURRENCY', streamName: 's', expectedRevision: 0, actualRevision: 1 });

    const missing = new WrongExpectedVersionError(undefined, { streamName: 's', expected: STREAM_EXISTS, current: NO_STREAM });
    expect(toAppendError(missing, 's', 'stream_exists')).toMatchObject({ expectedRevision: 'stream_exists', actualRevision: 'no_stream' });
  });

  it('maps a too large append to an input error', () => {
    const error = toAppendError(MaxAppendSizeExceededError.fromMaxAppendSize(1_048_576), 's', 'any');
    expect(error).toBeInstanceOf(EventStoreInputError);
    expect(error.message).toMatch(/events: .*1048576 bytes/);
  });

  it.each([
    ['unavailable', new UnavailableError()],
    ['deadline exceeded', new DeadlineExceededError()],
    ['cancelled by the server', new CancelledError()],
    ['not leader', new NotLeaderError({ metadata: { 'leader-endpoint-host': 'node2', 'leader-endpoint-port': '2113' } } as never)],
    ['a raw gRPC UNAVAILABLE', Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 })],
    ['discovery giving up', new Error('Failed to discover after 10 attempts.')],
    ['a bridge error the client did not recognise', new UnknownError(undefined, 'transport error: tcp connect error: Connection refused')],
  ])('maps %s to StoreUnavailableError', (_label, clientError) => {
    const error = toStoreError(clientError, 'append failed');
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toMatch(/^Event store temporarily unavailable: append failed/);
    expect((error as StoreUnavailableError).cause).toBe(clientError);
    // The same for appends.
    expect(toAppendError(clientError, 's', 'any')).toBeInstanceOf(StoreUnavailableError);
  });

  it('leaves other errors as they are', () => {
    const denied = new AccessDeniedError();
    expect(toStoreError(denied, 'read')).toBe(denied);
    const port = new ConcurrencyError('s', 0, 1);
    expect(toStoreError(port, 'read')).toBe(port);
    expect(toStoreError(new UnknownError(undefined, 'something odd'), 'read')).not.toBeInstanceOf(StoreUnavailableError);
  });

  it('recognises client errors by type', () => {
    expect(clientErrorType(new StreamNotFoundError(undefined, 'missing'))).toBe('stream-not-found');
    expect(clientErrorType(new Error('plain'))).toBeUndefined();
    expect(clientErrorType(null)).toBeUndefined();
  });
});

describe('paging over $all', () => {
  // A fake $all: what the server returns for a filtered read (types starting with $ never come back).
  const log: ClientRecordedEvent[] = [
    clientEvent(1),
    clientEvent(2, { type: '$metadata', streamId: '$$cta-1' }),
    clientEvent(3),
    clientEvent(4, { streamId: '$projections-x', type: 'Emitted' }),
    clientEvent(5, { streamId: '$projections-x', type: 'Emitted' }),
    clientEvent(6, { streamId: '$projections-x', type: 'Emitted' }),
    clientEvent(7),
    clientEvent(8),
  ];
  const pos = (n: number): Position => ({ commit: n * 100, prepare: n * 100 });
  const visible = log.filter((e) => !e.type.startsWith('$'));
  const at = (e: ClientRecordedEvent) => Number(e.position!.commit);

  function forwardReader(inclusive: boolean): PageReader & { calls: number } {
    const reader = Object.assign(
      async (from: Position | null, count: number) => {
        reader.calls++;
        return visible.filter((e) => from === null || (inclusive ? at(e) >= from.commit : at(e) > from.commit)).slice(0, count);
      },
      { calls: 0 },
    );
    return reader;
  }
  const backwardReader: PageReader = async (before, count) =>
    [...visible].reverse().filter((e) => before === null || at(e) <= before.commit).slice(0, count);
  const numbers = (events: { data: unknown }[]) => events.map((e) => (e.data as { n: number }).n);

  it.each([true, false])('reads strictly after a position, without $-streams (inclusive server: %s)', async (inclusive) => {
    expect(numbers(await readForwardAfter(forwardReader(inclusive), null, 100))).toEqual([1, 3, 7, 8]);
    expect(numbers(await readForwardAfter(forwardReader(inclusive), pos(1), 100))).toEqual([3, 7, 8]);
    expect(numbers(await readForwardAfter(forwardReader(inclusive), pos(3), 1))).toEqual([7]);
    expect(numbers(await readForwardAfter(forwardReader(inclusive), pos(8), 10))).toEqual([]);
  });

  it('reads on past a run of $-stream events instead of returning a short batch', async () => {
    const reader = forwardReader(true);
    // Pages of 3 from 3: [3,4,5] gives nothing of ours, [5,6,7] gives 7, [7,8] gives 8.
    expect(numbers(await readForwardAfter(reader, pos(3), 2))).toEqual([7, 8]);
    expect(reader.calls).toBe(3);
  });

  it('finds the newest event of ours, skipping $-streams', async () => {
    expect(await findHeadPosition(backwardReader)).toEqual(pos(8));
    const head = await findHeadPosition(async (before, count) =>
      [...visible].reverse().filter((e) => at(e) <= 600 && (before === null || at(e) <= before.commit)).slice(0, count),
    );
    expect(head).toEqual(pos(3));
    expect(await findHeadPosition(async () => [])).toBeNull();
  });
});

describe('connection strings', () => {
  it('rewrites the deprecated esdb schemes and masks passwords', () => {
    expect(normalizeConnectionString('esdb://localhost:2113?tls=false')).toBe('kurrentdb://localhost:2113?tls=false');
    expect(normalizeConnectionString('esdb+discover://a:2113')).toBe('kurrentdb+discover://a:2113');
    expect(normalizeConnectionString('kurrentdb://a:2113')).toBe('kurrentdb://a:2113');
    expect(redactConnectionString('kurrentdb://admin:changeit@a:2113')).toBe('kurrentdb://admin:***@a:2113');
  });
});

describe('LiveAllSignal', () => {
  class FakeSubscription extends EventEmitter implements SignalSubscription {
    unsubscribed = false;
    async unsubscribe(): Promise<void> {
      this.unsubscribed = true;
    }
  }

  it('signals on every event, reopens after an error and closes on stop', async () => {
    const opened: FakeSubscription[] = [];
    let signals = 0;
    const signal = new LiveAllSignal(
      () => {
        const sub = new FakeSubscription();
        opened.push(sub);
        return sub;
      },
      () => signals++,
      { retryDelayMs: 5 },
    );
    signal.start();
    signal.start();
    expect(opened).toHaveLength(1);
    opened[0].emit('data', {});
    opened[0].emit('data', {});
    expect(signals).toBe(2);

    opened[0].emit('error', new Error('connection lost'));
    expect(signal.isOpen).toBe(false);
    opened[0].emit('data', {}); // the old subscription is no longer listened to
    await new Promise((r) => setTimeout(r, 30));
    expect(opened).toHaveLength(2);
    expect(opened[0].unsubscribed).toBe(true);

    const before = signals;
    opened[1].emit('data', {});
    expect(signals).toBe(before + 1);
    await signal.stop();
    expect(opened[1].unsubscribed).toBe(true);
    opened[1].emit('end');
    await new Promise((r) => setTimeout(r, 30));
    expect(opened).toHaveLength(2);
  });
});

describe('KurrentEventStore without a server', () => {
  it('refuses a malformed connection string without printing the password', () => {
    expect(() => new KurrentEventStore({ connectionString: 'http://admin:secret@host:2113' })).toThrow(/Invalid EventStoreDB connection string/);
    try {
      new KurrentEventStore({ connectionString: 'http://admin:secret@host:2113' });
    } catch (error) {
      expect((error as Error).message).not.toContain('secret');
    }
  });

  it('checks input before calling the server, and is closed idempotently', async () => {
    const store = new KurrentEventStore({ connectionString: 'esdb://127.0.0.1:1?tls=false' });
    expect(store.kind).toBe('eventstoredb');
    await expect(store.appendToStream('$all', [{ type: 'T', data: {} }], { expectedRevision: 'any' })).rejects.toBeInstanceOf(EventStoreInputError);
    await expect(store.readAll({ maxCount: 0 })).rejects.toBeInstanceOf(EventStoreInputError);
    await store.close();
    await store.close();
    await expect(store.readStream('s')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.appendToStream('s', [{ type: 'T', data: {} }], { expectedRevision: 'any' })).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
