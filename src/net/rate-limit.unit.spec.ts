import { describeRate, parseRate, RateLimiter, type Rate } from './rate-limit';

const perMinute = (count: number): Rate => ({ count, periodMs: 60_000 });

describe('parseRate', () => {
  it.each([
    ['600/min', { count: 600, periodMs: 60_000 }],
    ['20/s', { count: 20, periodMs: 1_000 }],
    ['10000/h', { count: 10_000, periodMs: 3_600_000 }],
    [' 5 / Minute ', { count: 5, periodMs: 60_000 }],
    ['7/sec', { count: 7, periodMs: 1_000 }],
    ['3/hour', { count: 3, periodMs: 3_600_000 }],
  ])('reads %j', (text, rate) => {
    expect(parseRate(text)).toEqual(rate);
  });

  it.each(['0', 'off', 'OFF', '0/min'])('reads %j as no limit', (text) => {
    expect(parseRate(text)).toBeNull();
  });

  it.each(['600', '600/day', '-1/min', '1.5/s', 'many/min', '/min', '600/min/s', '', '1e3/min'])('refuses %j', (text) => {
    expect(parseRate(text)).toBeUndefined();
  });

  it('describes rates as people read them', () => {
    expect(describeRate(perMinute(600))).toBe('600 per minute');
    expect(describeRate({ count: 2, periodMs: 1_000 })).toBe('2 per second');
    expect(describeRate({ count: 9, periodMs: 3_600_000 })).toBe('9 per hour');
  });
});

describe('RateLimiter', () => {
  let now: number;
  let limiter: RateLimiter;
  beforeEach(() => {
    now = 1_700_000_000_000;
    limiter = new RateLimiter(() => now);
  });
  const take = (key: string, rate: Rate) => limiter.take([{ key, rate }]);

  it('allows a burst of the whole budget, then refuses', () => {
    const rate = perMinute(3);
    expect([take('u', rate), take('u', rate), take('u', rate)].every((d) => d.allowed)).toBe(true);
    expect(take('u', rate)).toEqual({ allowed: false, key: 'u', rate, retryAfterSeconds: 20 });
  });

  it('refills continuously at count per period', () => {
    const rate = perMinute(60); // one a second
    for (let i = 0; i < 60; i++) expect(take('u', rate).allowed).toBe(true);
    expect(take('u', rate)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    now += 999;
    expect(take('u', rate).allowed).toBe(false);
    now += 1;
    expect(take('u', rate).allowed).toBe(true);
    expect(take('u', rate).allowed).toBe(false);
    now += 10_000;
    for (let i = 0; i < 10; i++) expect(take('u', rate).allowed).toBe(true);
    expect(take('u', rate).allowed).toBe(false);
  });

  it('never refills beyond the budget', () => {
    const rate = perMinute(2);
    take('u', rate);
    now += 3_600_000;
    expect([take('u', rate), take('u', rate), take('u', rate)].map((d) => d.allowed)).toEqual([true, true, false]);
  });

  it('says when to retry in whole seconds, at least 1, rounded up', () => {
    const slow = { count: 1, periodMs: 3_600_000 };
    take('a', slow);
    expect(take('a', slow)).toMatchObject({ retryAfterSeconds: 3600 });
    now += 3_599_500;
    expect(take('a', slow)).toMatchObject({ retryAfterSeconds: 1 });
    const fast = { count: 1000, periodMs: 1_000 };
    for (let i = 0; i < 1000; i++) take('b', fast);
    expect(take('b', fast)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    const odd = perMinute(7); // one every 8.57 s
    for (let i = 0; i < 7; i++) take('c', odd);
    expect(take('c', odd)).toMatchObject({ retryAfterSeconds: 9 });
  });

  it('keeps each key its own budget', () => {
    const rate = perMinute(1);
    expect(take('anna', rate).allowed).toBe(true);
    expect(take('ben', rate).allowed).toBe(true);
    expect(take('anna', rate).allowed).toBe(false);
  });

  it('charges every bucket or none: refused by one, the others keep their tokens', () => {
    const user = perMinute(5);
    const integration = perMinute(2);
    const both = (u: string) => limiter.take([{ key: `user:${u}`, rate: user }, { key: 'integration:claude', rate: integration }]);
    expect(both('anna').allowed).toBe(true);
    expect(both('ben').allowed).toBe(true);
    // The integration is out; anna's own budget is not charged for the refused request.
    expect(both('anna')).toMatchObject({ allowed: false, key: 'integration:claude', retryAfterSeconds: 30 });
    for (let i = 0; i < 4; i++) expect(take('user:anna', user).allowed).toBe(true);
    expect(take('user:anna', user).allowed).toBe(false);
  });

  it('names the first empty bucket and waits for the slowest of the empty ones', () => {
    const a = perMinute(1);
    const b = { count: 1, periodMs: 3_600_000 };
    limiter.take([{ key: 'a', rate: a }, { key: 'b', rate: b }]);
    expect(limiter.take([{ key: 'a', rate: a }, { key: 'b', rate: b }])).toMatchObject({ allowed: false, key: 'a', retryAfterSeconds: 3600 });
  });

  it('takes nothing back when the clock steps back', () => {
    const rate = perMinute(2);
    take('u', rate);
    now -= 60_000;
    expect(take('u', rate).allowed).toBe(true);
    expect(take('u', rate).allowed).toBe(false);
  });

  it('forgets buckets idle for a whole period once there are many, and keeps the others', () => {
    const rate = perMinute(1);
    const hourly = { count: 1, periodMs: 3_600_000 };
    take('slow', hourly);
    for (let i = 0; i < 10_000; i++) take(`k${i}`, rate);
    now += 60_000;
    take('fresh', rate);
    expect(limiter.size).toBe(2); // 'slow' (its hour is not over) and 'fresh'
    expect(take('slow', hourly).allowed).toBe(false);
    expect(take('k1', rate).allowed).toBe(true);
  });
});
