import type { OAuthStateStore } from './oauth-state.store';

/** How often the server drops expired OAuth state. */
export const OAUTH_SWEEP_INTERVAL_MS = 10 * 60_000;

export interface SweepTimers {
  setInterval(run: () => void, ms: number): { unref(): unknown };
  clearInterval(timer: { unref(): unknown }): void;
}

export interface OAuthStateSweeperOptions {
  /** The longest sign-in failure window counted (rows older than it, and not locked, go). */
  readonly failureWindowMs: number;
  readonly intervalMs?: number;
  /** Told when a sweep fails (the next one tries again). */
  readonly onError?: (error: unknown) => void;
  /** Replaceable in tests. */
  readonly timers?: SweepTimers;
}

/**
 * Sweeps the OAuth state store every OAUTH_SWEEP_INTERVAL_MS while the server runs: an unref'd timer
 * (it never keeps the process alive), one sweep at a time, stopped at shutdown before the store closes.
 * Every instance sweeping the shared database is harmless: a sweep only deletes what is past its time.
 */
export class OAuthStateSweeper {
  private timer: { unref(): unknown } | null = null;
  private running: Promise<void> | null = null;
  private readonly timers: SweepTimers;

  constructor(
    private readonly store: Pick<OAuthStateStore, 'sweep'>,
    private readonly options: OAuthStateSweeperOptions,
  ) {
    this.timers = options.timers ?? { setInterval: (run, ms) => setInterval(run, ms), clearInterval: (t) => clearInterval(t as NodeJS.Timeout) };
  }

  start(): void {
    if (this.timer) return;
    this.timer = this.timers.setInterval(() => void this.sweepNow(), this.options.intervalMs ?? OAUTH_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  /** One sweep now (or the one under way); never throws. */
  sweepNow(): Promise<void> {
    this.running ??= this.store
      .sweep({ failureWindowMs: this.options.failureWindowMs })
      .then(
        () => undefined,
        (error: unknown) => this.options.onError?.(error),
      )
      .finally(() => (this.running = null));
    return this.running;
  }

  /** No more sweeps; waits for one under way. */
  async stop(): Promise<void> {
    if (this.timer) this.timers.clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
