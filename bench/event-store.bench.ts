import { randomUUID } from 'node:crypto';
import type { EventStore, Position } from '@csmcp/event-store';
import { ACTOR, readPages, timeRead, type BenchEvent, type ReadRate, type Subject } from './workload';

/** csmcp's event store seen through its port, exactly as the application uses it. */
export function storeSubject(store: EventStore): Subject {
  return {
    label: `csmcp ${store.kind}`,
    async append(stream: string, last: number, events: readonly BenchEvent[]): Promise<void> {
      await store.appendToStream(stream, events, {
        expectedRevision: last < 0 ? 'no_stream' : last,
        metadata: { actor: ACTOR, correlationId: randomUUID() },
      });
    },
    // readAll from the start, page after page, each page after the position of the previous one's last event.
    replay: (pageSize, deadline) =>
      readPages<Position>(pageSize, deadline, async (after) => {
        const page = await store.readAll({ after, maxCount: pageSize });
        return { count: page.length, last: page.at(-1)?.position ?? null };
      }),
  };
}

/**
 * A subscription from the very start to the head: how fast a new projection catches up.
 * Timed until the subscription first reports it is live (or the deadline). Default batch size (500).
 */
export function subscriptionCatchUp(store: EventStore, deadline: number): Promise<ReadRate> {
  return timeRead(
    () =>
      new Promise((resolve, reject) => {
        let events = 0;
        let finished = false;
        const finish = (complete: boolean) => {
          if (finished) return;
          finished = true;
          subscription.stop().then(() => resolve({ events, complete }), reject);
        };
        const subscription = store.subscribeToAll({
          after: null,
          handler: (batch) => {
            events += batch.length;
            if (performance.now() >= deadline) finish(false);
          },
          onCaughtUp: () => finish(true),
          onError: reject,
        });
      }),
  );
}
