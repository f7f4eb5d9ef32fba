import {
  BACKWARDS,
  END,
  FORWARDS,
  KurrentDBClient,
  START,
  excludeSystemEvents,
  jsonEvent,
  type AppendResult as ClientAppendResult,
  type MultiAppendResult as ClientMultiAppendResult,
  type ReadPosition,
} from '@kurrent/kurrentdb-client';
import { CatchUpSubscription, LocalWakeUps, type WakeUpSource } from '../catch-up-subscription';
import { ConcurrencyError, StoreUnavailableError } from '../errors';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
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
import {
  METADATA_PROPERTY,
  clientErrorType,
  eventOf,
  findHeadPosition,
  fromClientPosition,
  normalizeConnectionString,
  readForwardAfter,
  redactConnectionString,
  toAppendError,
  toClientPosition,
  toMultiAppendError,
  toClientStreamState,
  toRecordedEvent,
  toStoreError,
  type ClientRecordedEvent,
  type ClientResolvedEvent,
} from './kurrent-mapping';
import { LiveAllSignal } from './live-all-signal';

export interface KurrentEventStoreOptions {
  /** esdb://host:2113?tls=false, kurrentdb://user:pass@host:2113, kurrentdb+discover://... */
  readonly connectionString: string;
  /** Longest wait between two reads of a caught-up subscription when no wake-up arrives. Default 500 ms. */
  readonly pollIntervalMs?: number;
  /** How long ping() waits for an answer before reporting the store unavailable. Default 5 s. */
  readonly pingTimeoutMs?: number;
}

const encoder = new TextEncoder();

/**
 * EventStoreDB / KurrentDB through the official gRPC client. The server does the hard parts itself:
 * optimistic concurrency per stream, atomic multi-event appends, idempotent re-appends of the same
 * event ids (per stream: ids are not unique across streams), and one global order ($all) whose
 * committed part is always a prefix. Our events are JSON with our metadata JSON as custom metadata.
 *
 * appendToStreams of two or more streams uses the server's multi-stream append (client
 * multiStreamAppend, KurrentDB 25.1 or later; older servers refuse it with a clear error, while
 * appendToStreams of one stream uses the classic append every version has). That API takes string
 * properties for metadata, so our metadata JSON travels as one property (METADATA_PROPERTY) and
 * reads back as usual. Its answer carries each stream's revision but one position for the whole
 * call, so each stream's position is read back from the stream (one read per stream, in parallel).
 */
export class KurrentEventStore implements EventStore {
  readonly kind = 'eventstoredb';
  private readonly client: KurrentDBClient;
  private readonly local = new LocalWakeUps();
  private readonly live: LiveAllSignal;
  private readonly wakeUps: WakeUpSource;
  private readonly where: string;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: KurrentEventStoreOptions) {
    this.where = redactConnectionString(options.connectionString);
    try {
      this.client = KurrentDBClient.connectionString(normalizeConnectionString(options.connectionString));
    } catch (error) {
      const reason = redactConnectionString(error instanceof Error ? error.message.split(options.connectionString).join(this.where) : String(error));
      throw new Error(`Invalid EventStoreDB connection string ${this.where}: ${reason}`);
    }
    this.live = new LiveAllSignal(
      () => this.client.subscribeToAll({ fromPosition: END, filter: excludeSystemEvents() }),
      () => this.local.notify(),
    );
    this.wakeUps = {
      onWakeUp: (listener) => {
        const off = this.local.onWakeUp(listener);
        if (!this.closed) this.live.start();
        return () => {
          off();
          if (this.local.size === 0) void this.live.stop();
        };
      },
    };
  }

  async appendToStream(streamName: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const prepared = prepareAppend(streamName, events, options);
    this.assertOpen();
    const { nextExpectedRevision, position } = await this.appendOne(prepared);
    return { nextExpectedRevision, position };
  }

  async appendToStreams(appends: readonly StreamAppend[], options?: MultiAppendOptions): Promise<MultiAppendResult> {
    const prepared = prepareAppends(appends, options);
    this.assertOpen();
    if (prepared.length === 1) {
      const only = await this.appendOne(prepared[0]);
      return { streams: [only], position: only.position };
    }
    let result: ClientMultiAppendResult;
    try {
      result = await this.client.multiStreamAppend(
        prepared.map((append) => ({
          streamName: append.streamName,
          events: append.events.map(toPropertiesEventData),
          expectedState: toClientStreamState(append.expectedRevision),
        })),
      );
    } catch (error) {
      throw toMultiAppendError(error, prepared, this.where);
    }
    const revisions = new Map(result.responses.map((r) => [r.streamName, r.revision]));
    const streams = await Promise.all(
      prepared.map(async ({ streamName, events }): Promise<StreamAppendResult> => {
        const revision = revisions.get(streamName);
        if (revision === undefined) throw new StoreUnavailableError(`the append to "${streamName}" was answered without its revision`);
        const nextExpectedRevision = toSafeNumber(revision, 'stream revision');
        return { streamName, nextExpectedRevision, position: await this.positionOfAppended(streamName, nextExpectedRevision, events) };
      }),
    );
    this.local.notify();
    return { streams, position: latestPosition(streams.map((s) => s.position)) };
  }

  private async appendOne(prepared: PreparedStreamAppend): Promise<StreamAppendResult> {
    const { expectedRevision } = prepared;
    let result: ClientAppendResult;
    try {
      result = await this.client.appendToStream(prepared.streamName, prepared.events.map(toEventData), {
        streamState: toClientStreamState(expectedRevision),
      });
    } catch (error) {
      throw toAppendError(error, prepared.streamName, expectedRevision);
    }
    // Only with throwOnAppendFailure=false in the connection string does a conflict come back as a result.
    if (!result.success)
      throw new ConcurrencyError(
        prepared.streamName,
        expectedRevision,
        result.nextExpectedRevision < 0n ? 'no_stream' : toSafeNumber(result.nextExpectedRevision, 'stream revision'),
      );
    const nextExpectedRevision = toSafeNumber(result.nextExpectedRevision, 'stream revision');
    // An idempotent re-append is answered without a position (on the servers we know of): read it back.
    const position = isUsablePosition(result.position)
      ? fromClientPosition(result.position)
      : await this.positionOfAppended(prepared.streamName, nextExpectedRevision, prepared.events);
    this.local.notify();
    return { streamName: prepared.streamName, nextExpectedRevision, position };
  }

  async readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    validateStreamName(streamName);
    const { fromRevision, maxCount } = validateReadStream(options);
    this.assertOpen();
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamName, {
        fromRevision: BigInt(fromRevision),
        maxCount,
        direction: FORWARDS,
      })) {
        const event = eventOf(resolved as ClientResolvedEvent);
        if (event) events.push(toRecordedEvent(event));
      }
    } catch (error) {
      const type = clientErrorType(error);
      // The port reads a missing stream as empty; a deleted one (we never delete, an operator might) too.
      if (type === 'stream-not-found' || type === 'stream-deleted') return [];
      throw toStoreError(error, `reading stream "${streamName}" failed`);
    }
    return events;
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    const { after, maxCount } = validateReadAll(options);
    return this.readAfter(after, maxCount);
  }

  async headPosition(): Promise<Position | null> {
    this.assertOpen();
    try {
      return await findHeadPosition((before, maxCount) => this.readPage(before ?? END, BACKWARDS, maxCount));
    } catch (error) {
      throw toStoreError(error, 'reading the head of $all failed');
    }
  }

  subscribeToAll(options: SubscribeOptions): Subscription {
    return new CatchUpSubscription((after, max) => this.readAfter(after, max), this.wakeUps, options, {
      pollIntervalMs: this.options.pollIntervalMs ?? 500,
    });
  }

  async ping(): Promise<void> {
    this.assertOpen();
    const timeoutMs = this.options.pingTimeoutMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`${this.where} did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const call = (async () => {
      // The cheapest round trip that needs a working server: the newest record of $all, if any.
      const reads = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
      for await (const _ of reads) break;
    })();
    try {
      await Promise.race([call, timeout]);
    } catch (error) {
      throw toStoreError(error, `${this.where} did not answer`);
    } finally {
      clearTimeout(timer);
      call.catch(() => undefined);
    }
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = (async () => {
        await this.live.stop();
        try {
          // Ends the cached batch-append stream and any open reads, so the process can exit.
          await this.client.dispose();
        } catch {
          // Closing a connection that already failed: nothing more to release.
        }
      })();
    }
    return this.closing;
  }

  private async readAfter(after: Position | null, maxCount: number): Promise<RecordedEvent[]> {
    this.assertOpen();
    try {
      return await readForwardAfter((from, count) => this.readPage(from ?? START, FORWARDS, count), after, maxCount);
    } catch (error) {
      throw toStoreError(error, 'reading $all failed');
    }
  }

  /** One page of $all without the server's own events ($-types), in the given direction. */
  private async readPage(
    from: Position | typeof START | typeof END,
    direction: typeof FORWARDS | typeof BACKWARDS,
    maxCount: number,
  ): Promise<ClientRecordedEvent[]> {
    const fromPosition: ReadPosition = typeof from === 'string' ? from : toClientPosition(from);
    const page: ClientRecordedEvent[] = [];
    for await (const resolved of this.client.readAll({ fromPosition, direction, maxCount, filter: excludeSystemEvents() })) {
      const event = eventOf(resolved as ClientResolvedEvent);
      if (event) page.push(event);
    }
    return page;
  }

  /** The position of the last event appended, read back from the stream (and checked to be ours). */
  private async positionOfAppended(streamName: string, revision: number, events: PreparedEvent[]): Promise<Position> {
    const [last] = await this.readStream(streamName, { fromRevision: revision, maxCount: 1 });
    if (!last || last.id !== events[events.length - 1].id)
      throw new StoreUnavailableError(`the append to "${streamName}" succeeded but its position could not be read back`);
    return last.position;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
  }
}

function isUsablePosition(position: ClientAppendResult['position']): position is NonNullable<ClientAppendResult['position']> {
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  return position !== undefined && position.commit >= 0n && position.prepare >= 0n && position.commit <= max && position.prepare <= max;
}

/** An event for multiStreamAppend, which takes metadata as string properties only. */
function toPropertiesEventData(event: PreparedEvent) {
  return jsonEvent({ id: event.id, type: event.type, data: event.data, metadata: { [METADATA_PROPERTY]: event.metadataJson } });
}

function toEventData(event: PreparedEvent) {
  return jsonEvent({
    id: event.id,
    type: event.type,
    data: event.data,
    // Our metadata JSON exactly as prepared, handed over as bytes so the client stores it unchanged.
    metadata: encoder.encode(event.metadataJson),
  });
}
