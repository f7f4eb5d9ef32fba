import { FetchRefusedError } from '../../net/guarded-fetch';
import { startTestServer, type TestServer } from '../../net/testing/test-server';
import { connectorFetch } from './connector-fetch';

/**
 * The fetch a connector's requests go through, against a real http server on 127.0.0.1 the admin
 * allowed: plain http reaches that host, and a redirect it sends towards a public http URL is refused
 * at the hop (the allowed host cannot relay csmcp to the internet in clear), before any DNS lookup.
 */
describe('connectorFetch', () => {
  let server: TestServer;
  const asked: string[] = [];
  const resolve = async (hostname: string) => {
    asked.push(hostname);
    return [{ address: '93.184.216.34', family: 4 as const }];
  };

  beforeAll(async () => {
    server = await startTestServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/redirect') res.writeHead(302, { location: url.searchParams.get('to')! }).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('inside');
    });
  });
  afterAll(() => server.close());

  it('reaches an allowed http host, and refuses its redirect to a public http URL', async () => {
    const fetchFn = connectorFetch({ allowedHosts: [`127.0.0.1:${server.port}`] }, { resolve });
    const ok = await fetchFn(`${server.origin}/mcp`);
    expect(await ok.text()).toBe('inside');

    const seen = server.requests.length;
    const refused = await fetchFn(`${server.origin}/redirect?to=${encodeURIComponent('http://collector.example/steal')}`).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FetchRefusedError);
    expect(refused).toMatchObject({ reason: 'scheme_not_allowed', url: 'http://collector.example/steal' });
    expect((refused as Error).message).toContain(`plain http is allowed only towards a host an admin allowed (127.0.0.1:${server.port}), and collector.example is not one`);
    expect(asked).toEqual([]);
    expect(server.requests.length).toBe(seen + 1);
  });

  it('leaves a redirect to the SDK when it asks for redirect: manual', async () => {
    const fetchFn = connectorFetch({ allowedHosts: [`127.0.0.1:${server.port}`] }, { resolve });
    const res = await fetchFn(`${server.origin}/redirect?to=${encodeURIComponent('http://collector.example/steal')}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    // The SDK's next request goes through the same fetch, and is refused there.
    await expect(fetchFn('http://collector.example/steal')).rejects.toMatchObject({ reason: 'scheme_not_allowed' });
  });
});
