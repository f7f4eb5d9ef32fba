/**
 * Token buckets: a budget of `count` requests that refills continuously at `count` per `periodMs`.
 * A full bucket allows a burst of `count`; after that, requests pass at the refill rate. Pure (the
 * clock is injected) and per process: several instances each keep their own buckets.
 */

export interface Rate {
  /** The bucket's size, and how many requests it refills per period. */
  readonly count: number;
  readonly periodMs: number;
}

/** How a rate may be written: 600/min, 20/s, 10000/h (also sec, second, m, minute, hour). */
const RATE = /^(\d{1,9})\s*\/\s*(s|sec|second|m|min|minute|h|hr|hour)$/i;
const PERIOD_MS: Record<string, number> = { s: 1_000, sec: 1_000, second: 1_000, m: 60_000, min: 60_000, minute: 60_000, h: 3_600_000, hr: 3_600_000, hour: 3_600_000 };

/** `600/min` → a Rate; `0` or `off` → null (no limit); undefined when the text is neither. */
export function parseRate(text: string): Rate | null | undefined {
  const value = text.trim().toLowerCase();
  if (value === 'off' || value === '0') return null;
  const match = RATE.exec(value);
  if (!match) return undefined;
  const count = Number(match[1]);
  return count === 0 ? null : { count, periodMs: PERIOD_MS[match[2]] };
}

/** A rate as people read it: "600 per minute". */
export function describeRate(rate: Rate): string {
  const unit = rate.periodMs === 1_000 ? 'second' : rate.periodMs === 60_000 ? 'minute' : rate.periodMs === 3_600_000 ? 'hour' : `${rate.periodMs} ms`;
  return `${rate.count} per ${unit}`;
}

export type RateDecision =
  | { readonly allowed: true }
  /** `key` is the first bucket that was empty; retryAfterSeconds (≥ 1) is when every bucket asked for has a token again. */
  | { readonly allowed: false; readonly key: string; readonly rate: Rate; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
  /** The bucket's rate's period: idle this long, it is full again. */
  periodMs: number;
}

/** Buckets are forgotten once full again (a full bucket is the same as none), when there are this many. */
const SWEEP_AT = 10_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = -Infinity;

  constructor(private readonly clock: () => number = Date.now) {}

  /**
   * One request against every bucket named, all or nothing: when any of them is empty, none is
   * charged (a user refused by their integration's budget keeps their own).
   */
  take(requests: ReadonlyArray<{ readonly key: string; readonly rate: Rate }>): RateDecision {
    const now = this.clock();
    let refused: { key: string; rate: Rate } | null = null;
    let waitMs = 0;
    const states = requests.map(({ key, rate }) => {
      const bucket = this.refilled(key, rate, now);
      if (bucket.tokens < 1) {
        refused ??= { key, rate };
        waitMs = Math.max(waitMs, ((1 - bucket.tokens) * rate.periodMs) / rate.count);
      }
      return bucket;
    });
    for (let i = 0; i < requests.length; i++) this.buckets.set(requests[i].key, refused ? states[i] : { ...states[i], tokens: states[i].tokens - 1 });
    // Many live buckets would make a sweep per request expensive: at most one a second.
    if (this.buckets.size > SWEEP_AT && now - this.lastSweep >= 1_000) this.sweep(now);
    if (!refused) return { allowed: true };
    const { key, rate } = refused;
    // Retry-After is whole seconds: rounded up so that a client that waits as told is let in.
    return { allowed: false, key, rate, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  /** How many buckets are kept (for tests of the sweep). */
  get size(): number {
    return this.buckets.size;
  }

  private refilled(key: string, rate: Rate, now: number): Bucket {
    const bucket = this.buckets.get(key);
    if (!bucket) return { tokens: rate.count, at: now, periodMs: rate.periodMs };
    // A clock that steps back refills nothing (and takes nothing back).
    const elapsed = Math.max(0, now - bucket.at);
    return { tokens: Math.min(rate.count, bucket.tokens + (elapsed * rate.count) / rate.periodMs), at: now, periodMs: rate.periodMs };
  }

  /** Drops the buckets idle for a whole period: they have refilled completely. */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) if (now - bucket.at >= bucket.periodMs) this.buckets.delete(key);
  }
}
