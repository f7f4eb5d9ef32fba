import { DeciderSpecification, type Decider } from './decider-spec';

type CounterEvent = { type: 'Incremented'; data: { by: number } };
type CounterCommand = { type: 'Increment'; data: { by: number; max: number } };
class CounterError extends Error {
  constructor(
    readonly code: 'TOO_BIG' | 'ZERO',
    message: string,
  ) {
    super(message);
  }
}

const counter: Decider<number, CounterCommand, CounterEvent> = {
  initialState: () => 0,
  evolve: (state, event) => state + event.data.by,
  decide: (command, state) => {
    if (command.data.by === 0) return [];
    if (state + command.data.by > command.data.max) throw new CounterError('TOO_BIG', `over ${command.data.max}`);
    return [{ type: 'Incremented', data: { by: command.data.by } }];
  },
};

const spec = DeciderSpecification.for(counter);
const increment = (by: number, max = 10): CounterCommand => ({ type: 'Increment', data: { by, max } });
const incremented = (by: number): CounterEvent => ({ type: 'Incremented', data: { by } });

describe('DeciderSpecification', () => {
  it('passes when decide returns the expected events', () => {
    spec.given([incremented(2)]).when(increment(3)).then([incremented(3)]);
  });

  it('fails when decide returns other events', () => {
    expect(() => spec.given([]).when(increment(3)).then([incremented(4)])).toThrow();
  });

  it('folds the given events into the state decide sees', () => {
    spec.given([incremented(6), incremented(3)]).when(increment(2)).thenThrows(CounterError, { code: 'TOO_BIG' });
    spec.given([incremented(6)]).when(increment(2)).then([incremented(2)]);
  });

  it('checks the error class, code and message', () => {
    spec.given([incremented(9)]).when(increment(2)).thenThrows(CounterError, { code: 'TOO_BIG', message: 'over 10' });
    expect(() => spec.given([incremented(9)]).when(increment(2)).thenThrows(CounterError, { code: 'ZERO' })).toThrow();
    expect(() => spec.given([incremented(9)]).when(increment(2)).thenThrows(TypeError)).toThrow();
    expect(() =>
      spec.given([incremented(9)]).when(increment(2)).thenThrows(CounterError, { message: 'something else' }),
    ).toThrow();
  });

  it('fails thenThrows when decide returns normally', () => {
    expect(() => spec.given([]).when(increment(1)).thenThrows(CounterError)).toThrow(
      'Expected decide to throw CounterError, but it returned [{"type":"Incremented","data":{"by":1}}]',
    );
  });

  it('thenNothingHappened passes only when no events are returned', () => {
    spec.given([]).when(increment(0)).thenNothingHappened();
    expect(() => spec.given([]).when(increment(1)).thenNothingHappened()).toThrow();
  });
});
