import type { JsonObject } from '@csmcp/event-store';

/**
 * A pure aggregate: `decide` turns a command and the current state into new events (or throws a
 * DomainError), `evolve` folds one event into the state, `initialState` is the state of a stream
 * that has no events. No I/O, no clock: the time comes in as `command.metadata.now`.
 */
export interface Decider<State, Command, Event> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

/** What every command carries besides its data. The handler sets `now` from its clock. */
export type CommandMetadata = Readonly<{
  /** ISO 8601 date-time with an offset, e.g. 2025-03-01T10:15:00.000Z. */
  now: string;
}>;

export type DomainCommand<Type extends string, Data> = Readonly<{
  type: Type;
  data: Data;
  metadata: CommandMetadata;
}>;

/** Event data is JSON (dates as ISO strings, absent values as null) so it can be stored as is. */
export type DomainEvent<Type extends string, Data extends JsonObject> = Readonly<{
  type: Type;
  data: Data;
}>;

/** The state after `events`: what a handler does after reading a stream, and a point-in-time read. */
export function foldEvents<State, Event>(decider: Pick<Decider<State, unknown, Event>, 'evolve' | 'initialState'>, events: Iterable<Event>): State {
  let state = decider.initialState();
  for (const event of events) state = decider.evolve(state, event);
  return state;
}
