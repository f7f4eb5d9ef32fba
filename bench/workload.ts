import { randomUUID } from 'node:crypto';
import type { EventActor, JsonObject } from '@csmcp/event-store';

/**
 * What every benchmark writes, identical for csmcp and for the raw-driver floors: a typical
 * customer-success event (~300 bytes of JSON data) with the metadata the store records.
 */
export interface BenchEvent {
  readonly type: string;
  readonly data: JsonObject;
}

export const ACTOR: EventActor = { type: 'user', id: 'bench-user', email: 'bench@example.com' };

export function makeEvent(n: number): BenchEvent {
  return {
    type: 'ContactUpdated',
    data: {
      accountId: `acc-${n % 997}`,
      contactId: `contact-${n}`,
      email: `contact-${n}@customer-${n % 997}.example.com`,
      name: 'Ada Lovelace',
      role: 'Champion',
      plan: 'enterprise',
      seats: 25 + (n % 100),
      healthScore: (n % 100) / 100,
      tags: ['renewal-q3', 'exec-sponsor'],
      note: 'Asked for the quarterly review deck before the renewal call.',
    },
  };
}

/** The metadata the store itself would record for an event: what a raw insert has to write too. */
export function floorMetadata(eventId: string, correlationId: string): JsonObject {
  return {
    actor: { ...ACTOR },
    correlationId,
    causationId: eventId,
    recordedAt: new Date().toISOString(),
  };
}

/**
 * Anything the benchmarks can write to and replay: the csmcp store or a raw driver.
 * Both write the same rows so their throughputs compare.
 */
export interface Subject {
  readonly label: string;
  /** Appends `events` to `stream` in one transaction. `last` is the stream's last revision, -1 when new. */
  append(stream: string, last: number, events: readonly BenchEvent[]): Promise<void> | void;
  /** Reads the log from the start in pages of `pageSize` until its end, or until `deadline` (performance.now()). */
  replay(pageSize: number, deadline: number): Promise<ReadCount>;
}

export interface ReadCount {
  readonly events: number;
  /** False when the deadline stopped the read before the end of the log. */
  readonly complete: boolean;
}

export interface AppendCase {
  /** Distinguishes the streams of each run, so no run appends to another's streams. */
  readonly name: string;
  readonly writers: number;
  readonly eventsPerAppend: number;
  /** Appends to one stream before moving on to a fresh one (a stream's life: create, then update). */
  readonly appendsPerStream: number;
  readonly budgetMs: number;
  /** Stop earlier once the writers together made this many appends (bounds the size of the log). */
  readonly maxAppends: number;
}

export interface Throughput {
  readonly appends: number;
  readonly events: number;
  readonly seconds: number;
  readonly appendsPerSecond: number;
  readonly eventsPerSecond: number;
}

/**
 * `writers` async loops in this process, each on its own streams, appending until the time budget
 * or the append count runs out. Every append waits for the previous one of the same writer.
 */
export async function runAppends(subject: Subject, c: AppendCase): Promise<Throughput> {
  const batch = Array.from({ length: c.eventsPerAppend }, (_, i) => makeEvent(i));
  const run = randomUUID().slice(0, 8);
  let appends = 0;
  const started = performance.now();
  const deadline = started + c.budgetMs;
  const writer = async (w: number): Promise<void> => {
    for (let i = 0; appends < c.maxAppends && performance.now() < deadline; i++) {
      const stream = `bench-${c.name}-${run}-w${w}-s${Math.floor(i / c.appendsPerStream)}`;
      const last = (i % c.appendsPerStream) * c.eventsPerAppend - 1;
      appends++;
      await subject.append(stream, last, batch);
    }
  };
  await Promise.all(Array.from({ length: c.writers }, (_, w) => writer(w)));
  const seconds = (performance.now() - started) / 1000;
  const events = appends * c.eventsPerAppend;
  return { appends, events, seconds, appendsPerSecond: appends / seconds, eventsPerSecond: events / seconds };
}

/** Several timed slices of one case, as one figure. */
export function combineThroughputs(slices: readonly Throughput[]): Throughput {
  const appends = sum(slices.map((t) => t.appends));
  const events = sum(slices.map((t) => t.events));
  const seconds = sum(slices.map((t) => t.seconds));
  return { appends, events, seconds, appendsPerSecond: appends / seconds, eventsPerSecond: events / seconds };
}

export interface ReadRate extends ReadCount {
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

export async function timeRead(read: () => Promise<ReadCount>): Promise<ReadRate> {
  const started = performance.now();
  const { events, complete } = await read();
  const seconds = (performance.now() - started) / 1000;
  return { events, complete, seconds, eventsPerSecond: events / seconds };
}

export function combineReadRates(passes: readonly ReadRate[]): ReadRate {
  const events = sum(passes.map((p) => p.events));
  const seconds = sum(passes.map((p) => p.seconds));
  return { events, seconds, eventsPerSecond: events / seconds, complete: passes.every((p) => p.complete) };
}

/** Pages of `pageSize` from `read` until a short page (the end) or the deadline. */
export async function readPages<P>(
  pageSize: number,
  deadline: number,
  read: (after: P | null) => Promise<{ count: number; last: P | null }>,
): Promise<ReadCount> {
  let after: P | null = null;
  let events = 0;
  for (;;) {
    const page = await read(after);
    events += page.count;
    if (page.count < pageSize) return { events, complete: true };
    if (performance.now() >= deadline) return { events, complete: false };
    after = page.last;
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
