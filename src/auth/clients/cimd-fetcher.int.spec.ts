import type { Resolver } from '../../net/guarded-fetch';
import { selfSignedCertificate } from '../../net/testing/self-signed-cert';
import { startTestServer, type TestServer } from '../../net/testing/test-server';
import { CimdFetcher, ClientIdDocumentError, type CimdFetcherOptions } from './cimd-fetcher';

const HOST = 'cimd.test';
const MINUTE = 60_000;

describe('CimdFetcher', () => {
  const { key, cert } = selfSignedCertificate([HOST]);
  const resolve: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
  let server: TestServer;
  let base: string;
  let clock: number;
  let flaky = 0;
  const url = (path: string) => `${base}${path}`;
  const fetcher = (options: CimdFetcherOptions = {}) => new CimdFetcher({ allowedHosts: [HOST], resolve, ca: cert, now: () => clock, ...options });
  const hits = (path: string) => server.requests.filter((r) => r.url === path).length;
  const doc = (path: string, extra: object = {}) => JSON.stringify({ client_id: url(path), client_name: 'Test App', redirect_uris: ['https://app.example/cb'], ...extra });

  async function refusal(promise: Promise<unknown>): Promise<ClientIdDocumentError> {
    try {
      await promise;
    } catch (err) {
      if (err instanceof ClientIdDocumentError) return err;
      throw err;
    }
    throw new Error('expected a refusal');
  }

  beforeAll(async () => {
    server = await startTestServer((req, res) => {
      const path = req.url ?? '/';
      const json = (body: string, headers: Record<string, string> = {}) => res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(body);
      switch (path) {
        case '/ok.json':
          return json(doc(path), { 'cache-control': 'public, max-age=3600' });
        case '/short.json':
          return json(doc(path), { 'cache-control': 'max-age=10' });
        case '/long.json':
          return json(doc(path), { 'cache-control': 'max-age=31536000' });
        case '/no-store.json':
          return json(doc(path), { 'cache-control': 'no-store' });
        case '/no-header.json':
          return json(doc(path));
        case '/slow.json':
          return void setTimeout(() => json(doc(path)), 150);
        case '/html':
          return res.writeHead(200, { 'content-type': 'text/html' }).end(doc(path));
        case '/broken.json':
          return json('{"client_id":');
        case '/big.json':
          return json(doc(path, { padding: 'x'.repeat(6 * 1024) }));
        case '/mismatch.json':
          return json(doc('/other.json'));
        case '/secret.json':
          return json(doc(path, { client_secret: 'nope', token_endpoint_auth_method: 'client_secret_basic' }));
        case '/redirect.json':
          return res.writeHead(302, { location: '/ok.json' }).end();
        case '/flaky.json':
          if (flaky++ === 0) return res.writeHead(500).end('oops');
          return json(doc(path));
        default:
          return res.writeHead(404).end();
      }
    }, { key, cert });
    base = `https://${HOST}:${server.port}`;
  });
  afterAll(() => server.close());
  beforeEach(() => {
    clock = 1_000_000;
  });

  it('fetches, validates and returns the document as a public client', async () => {
    const metadata = await fetcher().get(url('/ok.json'));
    expect(metadata).toEqual({
      client_id: url('/ok.json'),
      client_name: 'Test App',
      redirect_uris: ['https://app.example/cb'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    });
    expect(server.requests.at(-1)?.headers.accept).toBe('application/json');
  });

  it('refuses a client_id at a private address unless the host is allowed (the SSRF guard)', async () => {
    const before = hits('/ok.json');
    const err = await refusal(new CimdFetcher({ resolve, ca: cert }).get(url('/ok.json')));
    expect(err.reason).toBe('fetch_refused');
    expect(err.message).toContain(`cimd.test resolves to 127.0.0.1, loopback (127.0.0.0/8), not a public address`);
    expect(err.message).toContain('allowed hosts');
    // The client is told why, not what the host resolved to on csmcp's network.
    expect(err.description).toBe(
      `Could not use the client ID metadata document at ${url('/ok.json')}: its host is not a public address; csmcp fetches client ID metadata documents only from public addresses, unless an admin allowed the host (OAUTH_CIMD_ALLOWED_HOSTS)`,
    );
    expect(hits('/ok.json')).toBe(before);
    // And for real, without a stub resolver:
    expect((await refusal(new CimdFetcher().get('https://localhost/client.json'))).reason).toBe('fetch_refused');
    expect((await refusal(new CimdFetcher().get('https://169.254.169.254/latest/meta-data'))).message).toContain('link-local');
  });

  it('refuses a client_id that is not a proper https URL without fetching anything', async () => {
    const f = fetcher();
    for (const bad of ['http://cimd.test/ok.json', `https://${HOST}:${server.port}`, `${base}/a/../ok.json`, `${base}/ok.json#x`, `https://u:p@${HOST}/ok.json`]) {
      const err = await refusal(f.get(bad));
      expect([bad, err.reason]).toEqual([bad, 'bad_client_id']);
    }
  });

  it.each([
    ['/html', 'not_json', 'its content type is text/html, not application/json', 'its content type is text/html, not application/json'],
    ['/broken.json', 'not_json', 'its body is not valid JSON', 'its body is not valid JSON'],
    ['/big.json', 'fetch_refused', 'larger than the 5120 bytes allowed', 'it is larger than the 5120 bytes allowed'],
    ['/mismatch.json', 'invalid_metadata', 'client_id in the metadata document must equal the URL it was fetched from', 'client_id in the metadata document must equal the URL it was fetched from'],
    ['/secret.json', 'invalid_metadata', 'client_secret must not appear', 'client_secret must not appear'],
    ['/redirect.json', 'fetch_refused', 'no redirects are followed here', 'it answered with a redirect; the document must be served at its client_id URL itself (redirects are not followed)'],
    ['/missing.json', 'http_status', 'it answered HTTP 404, not 200', 'it answered HTTP 404, not 200'],
  ])('refuses %s (%s)', async (path, reason, why, told) => {
    const err = await refusal(fetcher().get(url(path)));
    expect(err.reason).toBe(reason);
    expect(err.message).toContain(why);
    expect(err.message).toContain(`the client ID metadata document at ${url(path)}`);
    expect(err.description).toContain(told);
    expect(err.description).toContain(`the client ID metadata document at ${url(path)}`);
    expect(err.description).not.toMatch(/127\.0\.0\.1|["\\]/);
  });

  it('takes its size limit as an option', async () => {
    expect((await fetcher({ maxBytes: 8 * 1024 }).get(url('/big.json'))).client_id).toBe(url('/big.json'));
  });

  it('caches a document for its max-age', async () => {
    const f = fetcher();
    const before = hits('/ok.json');
    await f.get(url('/ok.json'));
    clock += 59 * MINUTE;
    await f.get(url('/ok.json'));
    expect(hits('/ok.json')).toBe(before + 1);
    clock += 2 * MINUTE;
    await f.get(url('/ok.json'));
    expect(hits('/ok.json')).toBe(before + 2);
  });

  it.each([
    ['/short.json', 5 * MINUTE, 'max-age below the minimum'],
    ['/no-store.json', 5 * MINUTE, 'no-store'],
    ['/no-header.json', 5 * MINUTE, 'no Cache-Control'],
    ['/long.json', 24 * 60 * MINUTE, 'max-age above the maximum'],
  ])('keeps %s for %i ms (%s)', async (path, ttl) => {
    const f = fetcher();
    const before = hits(path);
    await f.get(url(path));
    clock += ttl - 1;
    await f.get(url(path));
    expect(hits(path)).toBe(before + 1);
    clock += 1;
    await f.get(url(path));
    expect(hits(path)).toBe(before + 2);
  });

  it('remembers a failure briefly, then tries again', async () => {
    const f = fetcher();
    const first = await refusal(f.get(url('/flaky.json')));
    expect(first.reason).toBe('http_status');
    clock += 29_000;
    expect(await refusal(f.get(url('/flaky.json')))).toBe(first);
    expect(hits('/flaky.json')).toBe(1);
    clock += 1_000;
    expect((await f.get(url('/flaky.json'))).client_id).toBe(url('/flaky.json'));
    expect(hits('/flaky.json')).toBe(2);
  });

  it('shares one request among concurrent callers', async () => {
    const f = fetcher();
    const before = hits('/slow.json');
    const results = await Promise.all(Array.from({ length: 10 }, () => f.get(url('/slow.json'))));
    expect(new Set(results).size).toBe(1);
    expect(hits('/slow.json')).toBe(before + 1);
  });

  it('keeps at most maxEntries, dropping the oldest', async () => {
    const f = fetcher({ maxEntries: 2 });
    const before = hits('/ok.json');
    await f.get(url('/ok.json'));
    await f.get(url('/short.json'));
    await f.get(url('/long.json'));
    await f.get(url('/ok.json'));
    expect(hits('/ok.json')).toBe(before + 2);
  });

  it('forgets a client_id on request', async () => {
    const f = fetcher();
    const before = hits('/ok.json');
    await f.get(url('/ok.json'));
    f.forget(url('/ok.json'));
    await f.get(url('/ok.json'));
    expect(hits('/ok.json')).toBe(before + 2);
  });
});
