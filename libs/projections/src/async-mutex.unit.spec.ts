import { AsyncMutex } from './async-mutex';

describe('AsyncMutex', () => {
  it('runs holders one at a time, in the order they asked', async () => {
    const mutex = new AsyncMutex();
    const log: string[] = [];
    const work = (name: string, ms: number) =>
      mutex.runExclusive(async () => {
        log.push(`${name}+`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`${name}-`);
      });
    await Promise.all([work('a', 20), work('b', 1), work('c', 5)]);
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    expect(mutex.isLocked).toBe(false);
  });

  it('releases the lock when the work fails', async () => {
    const mutex = new AsyncMutex();
    await expect(mutex.runExclusive(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(mutex.isLocked).toBe(false);
    await expect(mutex.runExclusive(() => 42)).resolves.toBe(42);
  });

  it('ignores a second release', async () => {
    const mutex = new AsyncMutex();
    const release = await mutex.acquire();
    const next = mutex.acquire();
    release();
    release();
    const releaseNext = await next;
    expect(mutex.isLocked).toBe(true);
    releaseNext();
    expect(mutex.isLocked).toBe(false);
  });
});
