/**
 * A given/when/then kit for pure deciders, used from jest specs:
 *
 *   const spec = DeciderSpecification.for(ctaDecider);
 *   spec.given([ctaCreated]).when(updateCta).then([ctaUpdated]);
 *   spec.given([]).when(updateCta).thenThrows(DomainError, { code: 'CTA_NOT_FOUND', message: '...' });
 *
 * The state is built by folding the `given` events through `evolve` from `initialState()`, exactly
 * as a command handler would after reading the stream. Assertions run synchronously; do not
 * `await` or return the result of `when(...)` (it has a `then` method, so it looks like a promise).
 */

/** Structurally the same as the application's Decider type: the kit does not import application code. */
export interface Decider<State, Command, Event> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/** Expected properties of the thrown error (`code`, `message`, ...), compared with toMatchObject. */
export type ExpectedError<E extends Error> = Partial<{ [K in keyof E]: E[K] }> & { message?: string };

export interface DeciderThen<Event> {
  /** decide returned exactly these events (deep equality, in order). */
  then(expectedEvents: Event[]): void;
  /** decide returned no events. */
  thenNothingHappened(): void;
  /** decide threw an instance of `errorClass` whose properties match `expected`. */
  thenThrows<E extends Error>(errorClass: ErrorClass<E>, expected?: ExpectedError<E>): void;
}

export interface DeciderWhen<Command, Event> {
  when(command: Command): DeciderThen<Event>;
}

export interface DeciderGiven<Command, Event> {
  given(events: Event[]): DeciderWhen<Command, Event>;
}

export const DeciderSpecification = {
  for<State, Command, Event>(decider: Decider<State, Command, Event>): DeciderGiven<Command, Event> {
    return {
      given(givenEvents) {
        return {
          when(command) {
            const run = (): Event[] => {
              const state = givenEvents.reduce(decider.evolve, decider.initialState());
              return decider.decide(command, state);
            };
            return {
              then(expectedEvents) {
                const events = run();
                expect(events).toEqual(expectedEvents);
                // The new events must also be foldable: a decider whose evolve rejects its own output is broken.
                const before = givenEvents.reduce(decider.evolve, decider.initialState());
                expect(() => events.reduce(decider.evolve, before)).not.toThrow();
              },
              thenNothingHappened() {
                expect(run()).toEqual([]);
              },
              thenThrows(errorClass, expected) {
                let thrown: unknown;
                let returned: Event[] | undefined;
                try {
                  returned = run();
                } catch (error) {
                  thrown = error;
                }
                if (thrown === undefined) {
                  throw new Error(
                    `Expected decide to throw ${errorClass.name}, but it returned ${JSON.stringify(returned)}`,
                  );
                }
                expect(thrown).toBeInstanceOf(errorClass);
                if (expected) expect(thrown).toMatchObject(expected);
              },
            };
          },
        };
      },
    };
  },
};
