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
  /**
   * Events read from the stream for this decision. The whole stream when the command is a function
   * of the history; otherwise only those after the state this process had cached (see stateCache).
   */
  readonly history: RecordedEvent[];
  /** Events in the stream before this command (what the decision was taken on). */
  readonly revisionsBefore: number;
  readonly append: AppendResult | null;
}

interface CachedState {
  /** Revision of the last event folded into `state`. */
  readonly revision: number;
  readonly state: unknown;
}

/** Streams whose folded state a process keeps per store and decider (least recently used ones go). */
const CACHED_STREAMS = 10_000;

/**
 * Folded states by store, then decider, then stream: a command reads only the events appended after
 * the cached revision (by anyone: other processes included) instead of the whole stream. The append
 * at the revision read still decides: if another writer got there in between, the store refuses it
 * and the command decides again on a fresh read, exactly as without the cache. Deciders' evolve()
 * must not mutate the state it is given (they are pure), since a cached state is shared.
 */
const stateCache = new WeakMap<object, WeakMap<object, Map<string, CachedState>>>();

function cacheOf(store: EventStore, decider: object): Map<string, CachedState> {
  let byDecider = stateCache.get(store);
  if (!byDecider) stateCache.set(store, (byDecider = new WeakMap()));
  let streams = byDecider.get(decider);
  if (!streams) byDecider.set(decider, (streams = new Map()));
  return streams;
}

function remember(cache: Map<string, CachedState>, streamName: string, entry: CachedState): void {
  cache.delete(streamName);
  cache.set(streamName, entry);
  if (cache.size > CACHED_STREAMS) cache.delete(cache.keys().next().value!);
}

/**
 * The stream's state: the cached one plus the events after it, or the whole stream folded when nothing
 * is cached, the history is wanted, or the tail does not continue the cached revision.
 */
async function readState<State, Event>(
  store: EventStore,
  streamName: string,
  decider: DeciderLike<unknown, State, Event & { type: string; data: object }>,
  cache: Map<string, CachedState>,
  wholeHistory: boolean,
): Promise<{ history: RecordedEvent[]; state: State; revision: number }> {
  const cached = wholeHistory ? undefined : cache.get(streamName);
  if (cached) {
    const tail = await store.readStream(streamName, { fromRevision: cached.revision + 1 });
    if (tail.length === 0 || tail[0].revision === cached.revision + 1) {
      const state = tail.reduce((s, e) => decider.evolve(s, e as unknown as Event & { type: string; data: object }), cached.state as State);
      return { history: tail, state, revision: tail.length === 0 ? cached.revision : tail[tail.length - 1].revision };
    }
    cache.delete(streamName);
  }
  const history = await store.readStream(streamName);
  const state = history.reduce((s, e) => decider.evolve(s, e as unknown as Event & { type: string; data: object }), decider.initialState());
  return { history, state, revision: history.length === 0 ? -1 : history[history.length - 1].revision };
}

/**
 * Runs one command against one stream: read, fold, decide, append at the revision read. When another
 * writer got there first (ConcurrencyError) it decides again on the fresh state, so two LLMs updating
 * one CTA at once never lose an update; after `maxAttempts` the ConcurrencyError reaches the caller.
 * The read is of the events after this process's cached state of the stream (stateCache), so a
 * command costs the same on a long stream as on a short one.
 */
export async function handleCommand<Command, State, Event extends { type: string; data: object }>(
  store: EventStore,
  streamName: string,
  decider: DeciderLike<Command, State, Event>,
  command: Command | ((history: RecordedEvent[], state: State) => Command),
  options: HandleOptions<Event>,
): Promise<HandleResult<State, Event>> {
  const maxAttempts = options.maxAttempts ?? 5;
  const cache = cacheOf(store, decider);
  // A command computed from the history needs all of it: no cached shortcut (the result is cached all the same).
  const wholeHistory = typeof command === 'function';
  for (let attempt = 1; ; attempt++) {
    const { history, state, revision } = await readState(store, streamName, decider, cache, wholeHistory);
    const resolved = typeof command === 'function' ? (command as (h: RecordedEvent[], s: State) => Command)(history, state) : command;
    const events = decider.decide(resolved, state);
    const newState = events.reduce((s, e) => decider.evolve(s, e), state);
    const revisionsBefore = revision + 1;
    if (events.length === 0) {
      if (revision >= 0) remember(cache, streamName, { revision, state });
      return { events, state: newState, history, revisionsBefore, append: null };
    }
    const expectedRevision = revision < 0 ? 'no_stream' : revision;
    try {
      const newEvents = events.map((e, i) => ({ id: options.eventIds?.(i), type: e.type, data: e.data as JsonObject }));
      const append = options.append
        ? await options.append(newEvents, expectedRevision, options.metadata, events)
        : await store.appendToStream(streamName, newEvents, { expectedRevision, metadata: options.metadata });
      // Only what the store accepted at exactly the revision decided on is cached.
      if (append.nextExpectedRevision === revision + events.length) remember(cache, streamName, { revision: append.nextExpectedRevision, state: newState });
      else cache.delete(streamName);
      return { events, state: newState, history, revisionsBefore, append };
    } catch (error) {
      // The stream is not where the cache says (behind it: a store reset under this process): read it whole next time.
      if (error instanceof ConcurrencyError && error.streamName === streamName && (error.actualRevision === 'no_stream' || error.actualRevision < revision))
        cache.delete(streamName);
      if (!(error instanceof ConcurrencyError) || error.streamName !== streamName || attempt >= maxAttempts) throw error;
      // Jitter keeps a crowd of retrying writers from colliding again in lockstep.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }
}
