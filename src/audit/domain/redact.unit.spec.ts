import { redactArguments, REDACTED } from './redact';

describe('redactArguments', () => {
  it('keeps a "__proto__" key as a plain own property (the MCP fuzz soak\'s counterexample, seed 1: analyze_accounts with one in sort)', () => {
    const args = JSON.parse('{"entity":"companies","sort":[{"by":"arr"},{"__proto__":{"x":1},"by":"name"}],"__proto__":{"token":"t"}}') as unknown;
    const redacted = redactArguments(args) as { sort: Array<Record<string, unknown>> };
    // Plain objects all the way down: what the event store accepts.
    expect(Object.getPrototypeOf(redacted)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(redacted.sort[1])).toBe(Object.prototype);
    expect(Object.keys(redacted)).toEqual(['entity', 'sort', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(redacted.sort[1], '__proto__')?.value).toEqual({ x: 1 });
    expect(JSON.stringify(redacted)).toBe('{"entity":"companies","sort":[{"by":"arr"},{"__proto__":{"x":1},"by":"name"}],"__proto__":{"token":"' + REDACTED + '"}}');
  });

  it('still redacts secrets and cuts long strings', () => {
    expect(redactArguments({ password: 'p', note: 'x'.repeat(2_001) })).toEqual({ password: REDACTED, note: `${'x'.repeat(2_000)}… [1 more characters]` });
  });
});
