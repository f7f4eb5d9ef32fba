import type { GuardedFetchOptions, GuardedResponse } from '../../net/guarded-fetch';
import { CimdFetcher, ClientIdDocumentError, type CimdFetcherOptions } from './cimd-fetcher';

/**
 * CimdFetcher's limits on fetching (anyone who can reach /oauth/authorize can name a URL): fetches per
 * host and window, and fetches at once. The HTTP client is the `fetch` hook, answering when the test
 * says, so "at once" is exact; the clock is the test's.
 */
describe('CimdFetcher limits', () => {
  let clock: number;
  let waiting: Array<{ url: string; answer: () => void }>;
  let fetched: string[];

  const document = (url: string): GuardedResponse => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    url,
    body: Buffer.from(JSON.stringify({ client_id: url, client_name: 'App', redirect_uris: ['https://app.example/cb'] })),
  });
  /** Answers at once, or (held) when the test calls answer(). */
  const fetcher = (options: CimdFetcherOptions = {}, held = false) =>
    new CimdFetcher({
      now: () => clock,
      fetch: (url: string, _options: GuardedFetchOptions) => {
        fetched.push(url);
        if (!held) return Promise.resolve(document(url));
        return new Promise<GuardedResponse>((resolve) => waiting.push({ url, answer: () => resolve(document(url)) }));
      },
      ...options,
    });

  async function refusal(promise: Promise<unknown>): Promise<ClientIdDocumentError> {
    try {
      await promise;
    } catch (err) {
      if (err instanceof ClientIdDocumentError) return err;
      throw err;
    }
    throw new Error('expected a refusal');
  }

  beforeEach(() => {
    clock = 1_000_000;
    waiting = [];
    fetched = [];
  });

  it('fetches from one host at most fetchesPerHost times a window, whatever the path or port; cached documents do not count', async () => {
    const cimd = fetcher({ fetchesPerHost: 3, hostWindowMs: 60_000 });
    for (const path of ['/a.json', '/b.json', ':8443/c.json']) await cimd.get(`https://apps.example.com${path}`);
    // Cached: no fetch, no refusal.
    await cimd.get('https://apps.example.com/a.json');

    const refused = await refusal(cimd.get('https://apps.example.com/d.json'));
    expect(refused.reason).toBe('rate_limited');
    expect(refused.description).toBe('csmcp is fetching too many client ID metadata documents from apps.example.com right now; try again later');
    expect(refused.message).toBe('Did not fetch the client ID metadata document at https://apps.example.com/d.json: 3 fetches from apps.example.com within 60 s');
    expect(fetched).toEqual(['https://apps.example.com/a.json', 'https://apps.example.com/b.json', 'https://apps.example.com:8443/c.json']);
    // Another host is not held back.
    await cimd.get('https://other.example.org/a.json');
    expect((await refusal(cimd.get('https://apps.example.com/e.json'))).reason).toBe('rate_limited');

    // Not remembered as the document's failure: once the window has moved on, it is fetched.
    clock += 60_000;
    await expect(cimd.get('https://apps.example.com/d.json')).resolves.toMatchObject({ client_id: 'https://apps.example.com/d.json' });
  });

  it('runs at most maxConcurrentFetches fetches at once; requests for a document being fetched wait for that fetch', async () => {
    const cimd = fetcher({ maxConcurrentFetches: 2 }, true);
    const a = cimd.get('https://one.example/a.json');
    const b = cimd.get('https://two.example/b.json');
    const sameAsA = cimd.get('https://one.example/a.json');

    const refused = await refusal(cimd.get('https://three.example/c.json'));
    expect(refused.reason).toBe('rate_limited');
    expect(refused.description).toBe('csmcp is fetching too many client ID metadata documents at once right now; try again later');
    expect(waiting.map((w) => w.url)).toEqual(['https://one.example/a.json', 'https://two.example/b.json']);

    waiting[0].answer();
    await expect(a).resolves.toMatchObject({ client_id: 'https://one.example/a.json' });
    await expect(sameAsA).resolves.toMatchObject({ client_id: 'https://one.example/a.json' });
    // One slot is free again.
    const c = cimd.get('https://three.example/c.json');
    expect((await refusal(cimd.get('https://four.example/d.json'))).reason).toBe('rate_limited');
    waiting[1].answer();
    waiting[2].answer();
    await expect(Promise.all([b, c])).resolves.toHaveLength(2);
  });

  it('limits by default to 12 fetches a minute per host and 8 at once', async () => {
    const perHost = fetcher();
    for (let i = 0; i < 12; i++) await perHost.get(`https://apps.example.com/${i}.json`);
    expect((await refusal(perHost.get('https://apps.example.com/12.json'))).reason).toBe('rate_limited');

    const atOnce = fetcher({}, true);
    const running = Array.from({ length: 8 }, (_, i) => atOnce.get(`https://host${i}.example/c.json`));
    expect((await refusal(atOnce.get('https://host8.example/c.json'))).reason).toBe('rate_limited');
    for (const w of waiting) w.answer();
    await Promise.all(running);
  });
});
