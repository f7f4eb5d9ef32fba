import {
  ConcurrencyError,
  type AppendResult,
  type EventMetadataInput,
  type EventStore,
  type ExpectedRevision,
  type JsonObject,
  type NewEvent,
  type RecordedEvent,
} from '@csmcp/event-store';

/** What a pure decider offers (decide, evolve, initialState); events are `{ type, data }`. */
export interface DeciderLike<Command, State, Event extends { type: string; data: object }> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

export interface HandleOptions<Event = unknown> {
  /** Attributed to every event written: actor, client, correlation, causation, tool, ... */
  readonly metadata: EventMetadataInput;
  /** Deterministic ids for the events (e.g. derived from an idempotency key): a replayed append then writes nothing. */
  readonly eventIds?: (index: number) => string;
  /** Attempts on a concurrent change before giving up. Default 5. */
  readonly maxAttempts?: number;
  /**
   * Appends the decided events (default: appendToStream). A caller that writes more in the same
   * transaction (an idempotency record, an audit entry) does it here; a ConcurrencyError on the
   * command's own stream still means "decide again".
   */
  readonly append?: (events: readonly NewEvent[], expectedRevision: ExpectedRevision, metadata: EventMetadataInput, decided: Event[]) => Promise<AppendResult>;
}

export interface HandleResult<State, Event> {
  readonly events: Event[];
  readonly state: State;
  /** Events already in the stream before this command (what the decision was taken on). */
  readonly history: RecordedEvent[];
  readonly append: AppendResult | null;
}

/**
 * Runs one command against one stream: read, fold, decide, append at the revision read. When another
 * writer got there first (ConcurrencyError) it decides again on the fresh state, so two LLMs updating
 * one CTA at once never lose an update; after `maxAttempts` the ConcurrencyError reaches the caller.
 */
export async function handleCommand<Command, State, Event extends { type: string; data: object }>(
  store: EventStore,
  streamName: string,
  decider: DeciderLike<Command, State, Event>,
  command: Command | ((history: RecordedEvent[], state: State) => Command),
  options: HandleOptions<Event>,
): Promise<HandleResult<State, Event>> {
  const maxAttempts = options.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const history = await store.readStream(streamName);
    const state = history.reduce((s, e) => decider.evolve(s, e as unknown as Event), decider.initialState());
    const resolved = typeof command === 'function' ? (command as (h: RecordedEvent[], s: State) => Command)(history, state) : command;
    const events = decider.decide(resolved, state);
    const newState = events.reduce((s, e) => decider.evolve(s, e), state);
    if (events.length === 0) return { events, state: newState, history, append: null };
    const expectedRevision = history.length === 0 ? 'no_stream' : history[history.length - 1].revision;
    try {
      const newEvents = events.map((e, i) => ({ id: options.eventIds?.(i), type: e.type, data: e.data as JsonObject }));
      const append = options.append
        ? await options.append(newEvents, expectedRevision, options.metadata, events)
        : await store.appendToStream(streamName, newEvents, { expectedRevision, metadata: options.metadata });
      return { events, state: newState, history, append };
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || error.streamName !== streamName || attempt >= maxAttempts) throw error;
      // Jitter keeps a crowd of retrying writers from colliding again in lockstep.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }
}
