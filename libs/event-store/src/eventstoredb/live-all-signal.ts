/**
 * One live EventStoreDB subscription to $all per store instance, used only as a wake-up signal:
 * every event it sees (from any writer, in any process) calls `onSignal`. Catch-up subscriptions
 * then read with readAll, so ordering and exactly-once never depend on this subscription; losing it
 * only delays delivery to the poll interval. It reopens by itself after errors while it is wanted.
 */

/** The part of the client's AllStreamSubscription used here (a Node Readable). */
export interface SignalSubscription {
  on(event: 'data' | 'confirmation' | 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  unsubscribe(): Promise<void>;
}

export interface LiveAllSignalOptions {
  /** First delay before reopening after a failure; doubles up to maxRetryDelayMs. Default 250 ms. */
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
  /** Told about each failure of the live subscription (it is retried regardless). */
  readonly onFailure?: (error: unknown) => void;
}

export class LiveAllSignal {
  private current: SignalSubscription | null = null;
  private wanted = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay: number;

  constructor(
    private readonly open: () => SignalSubscription,
    private readonly onSignal: () => void,
    private readonly options: LiveAllSignalOptions = {},
  ) {
    this.retryDelay = options.retryDelayMs ?? 250;
  }

  get isOpen(): boolean {
    return this.current !== null;
  }

  /** Opens the subscription unless it is open already. */
  start(): void {
    this.wanted = true;
    if (this.current || this.retryTimer) return;
    this.connect();
  }

  /** Closes the subscription and cancels any pending reopen. */
  async stop(): Promise<void> {
    this.wanted = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const sub = this.current;
    this.current = null;
    if (!sub) return;
    try {
      await sub.unsubscribe();
    } catch {
      // Already broken or the client is being disposed: nothing left to close.
    }
  }

  private connect(): void {
    let sub: SignalSubscription;
    try {
      sub = this.open();
    } catch (error) {
      this.failed(null, error);
      return;
    }
    this.current = sub;
    const mine = () => this.current === sub;
    sub.on('confirmation', () => {
      if (!mine()) return;
      this.retryDelay = this.options.retryDelayMs ?? 250;
      // Anything appended while the subscription was not there is picked up by one more read.
      this.onSignal();
    });
    sub.on('data', () => {
      if (mine()) this.onSignal();
    });
    sub.on('error', (error) => {
      if (mine()) this.failed(sub, error);
    });
    const ended = () => {
      if (mine()) this.failed(sub, new Error('the live subscription to $all ended'));
    };
    sub.on('end', ended);
    sub.on('close', ended);
  }

  private failed(sub: SignalSubscription | null, error: unknown): void {
    if (sub && this.current === sub) this.current = null;
    if (sub) sub.unsubscribe().catch(() => undefined);
    this.options.onFailure?.(error);
    if (!this.wanted || this.retryTimer) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.options.maxRetryDelayMs ?? 5_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.wanted && !this.current) this.connect();
    }, delay);
    this.retryTimer.unref();
    // Catch-up subscriptions poll meanwhile; one extra read now costs little and shortens the gap.
    this.onSignal();
  }
}
