import type { EventStore, RecordedEvent } from '@csmcp/event-store';
import { foldEvents } from '../../shared/decider';

export interface PointInTime<State> {
  /** False when the record did not exist yet at that time. */
  exists: boolean;
  /** Events of the stream recorded up to that time. */
  eventCount: number;
  /** When the last of those events was recorded; null when there is none. */
  lastChangedAt: string | null;
  state: State;
}

/**
 * The state of one aggregate as it was at `asOf`: its stream's events recorded (metadata.recordedAt)
 * up to and including that instant, folded with its decider. Null when the stream has no events.
 */
export async function stateAsOf<State, Event>(
  store: EventStore,
  streamName: string,
  asOf: string,
  decider: { evolve(state: State, event: Event): State; initialState(): State },
  exists: (state: State) => boolean,
): Promise<{ first: RecordedEvent; at: PointInTime<State> } | null> {
  const events = await store.readStream(streamName);
  if (events.length === 0) return null;
  const limit = Date.parse(asOf);
  const kept = events.filter((e) => Date.parse(e.metadata.recordedAt) <= limit);
  const state = foldEvents(decider, kept as unknown as Event[]);
  return {
    first: events[0],
    at: {
      exists: exists(state),
      eventCount: kept.length,
      lastChangedAt: kept.length === 0 ? null : kept[kept.length - 1].metadata.recordedAt,
      state,
    },
  };
}
