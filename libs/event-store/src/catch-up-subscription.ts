import { StoreUnavailableError } from './errors';
import type { Position, RecordedEvent, SubscribeOptions, Subscription } from './event-store.port';
import { validatePosition } from './validation';

/** Tells a subscription that something may have been appended (in this process or another). */
export interface WakeUpSource {
  onWakeUp(listener: () => void): () => void;
}

export interface CatchUpTuning {
  /** Longest wait between two reads when no wake-up arrives (covers writers no notification reaches). */
  readonly pollIntervalMs: number;
  /** Longest back-off after the store became unavailable. */
  readonly maxRetryDelayMs?: number;
}

type ReadAfter = (after: Position | null, maxCount: number) => Promise<RecordedEvent[]>;

/**
 * The one catch-up loop every adapter shares: read the stable prefix after the checkpoint in batches,
 * hand each batch to the handler, and once the head is reached wait for a wake-up or the poll interval.
 * Because readAll only returns a stable prefix, every event is delivered exactly once and in order,
 * whichever process wrote it.
 */
export class CatchUpSubscription implements Subscription {
  private current: Position | null;
  private live = false;
  private stopped = false;
  private pending = false;
  private wake: (() => void) | null = null;
  private readonly done: Promise<void>;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly readAfter: ReadAfter,
    wakeUps: WakeUpSource,
    private readonly options: SubscribeOptions,
    private readonly tuning: CatchUpTuning,
  ) {
    this.current = options.after === null ? null : validatePosition(options.after, 'after');
    const batchSize = options.batchSize ?? 500;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
    this.unsubscribe = wakeUps.onWakeUp(() => this.signal());
    this.done = this.run(batchSize);
  }

  get position(): Position | null {
    return this.current;
  }

  get isLive(): boolean {
    return this.live;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.signal();
    await this.done;
  }

  private signal(): void {
    this.pending = true;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async run(batchSize: number): Promise<void> {
    let retryDelay = 50;
    try {
      while (!this.stopped) {
        this.pending = false;
        let batch: RecordedEvent[];
        try {
          batch = await this.readAfter(this.current, batchSize);
          retryDelay = 50;
        } catch (error) {
          if (!(error instanceof StoreUnavailableError)) throw error;
          // The store comes back by itself (restart, failover): keep the checkpoint and try again.
          await this.sleep(retryDelay);
          retryDelay = Math.min(retryDelay * 2, this.tuning.maxRetryDelayMs ?? 5_000);
          continue;
        }
        if (this.stopped) break;
        if (batch.length > 0) {
          await this.options.handler(batch);
          this.current = batch[batch.length - 1].position;
          if (batch.length === batchSize) continue;
        }
        if (!this.live || batch.length > 0) {
          this.live = true;
          this.options.onCaughtUp?.(this.current);
        }
        if (!this.pending) await this.sleep(this.tuning.pollIntervalMs);
      }
    } catch (error) {
      this.stopped = true;
      this.options.onError?.(error);
    } finally {
      this.unsubscribe();
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** In-process wake-ups: appends made through this adapter instance notify its subscriptions at once. */
export class LocalWakeUps implements WakeUpSource {
  private readonly listeners = new Set<() => void>();

  onWakeUp(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const listener of this.listeners) listener();
  }

  get size(): number {
    return this.listeners.size;
  }
}
