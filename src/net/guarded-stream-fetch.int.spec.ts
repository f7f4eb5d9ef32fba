import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { FetchRefusedError, guardedStreamFetch, type GuardedStreamOptions } from './guarded-fetch';
import { startTestServer, type TestServer } from './testing/test-server';

async function refusal(url: string, options?: GuardedStreamOptions): Promise<FetchRefusedError> {
  try {
    const res = await guardedStreamFetch(url, options);
    res.body.destroy();
  } catch (err) {
    if (err instanceof FetchRefusedError) return err;
    throw err;
  }
  throw new Error(`expected ${url} to be refused`);
}

/** The next chunk the stream delivers, as text. */
function nextChunk(body: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      body.off('error', reject);
      body.pause();
      resolve(chunk.toString());
    };
    body.once('data', onData);
    body.once('error', reject);
    body.resume();
  });
}

function streamError(body: Readable): Promise<unknown> {
  return new Promise((resolve) => {
    body.on('error', resolve);
    body.resume();
  });
}

describe('guardedStreamFetch', () => {
  let server: TestServer;
  /** The open event streams, so the test decides when the server writes. */
  const streams: ServerResponse[] = [];
  const local = (): GuardedStreamOptions => ({ allowHttp: true, allowedHosts: [`127.0.0.1:${server.port}`] });

  beforeAll(async () => {
    server = await startTestServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('event: endpoint\ndata: /messages\n\n');
        streams.push(res);
      } else if (url.pathname === '/redirect') {
        res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end('moved');
      } else if (url.pathname === '/big') {
        res.end(Buffer.alloc(4096, 'a'));
      } else if (url.pathname === '/silent') {
        // never answers
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, path: url.pathname }));
      }
    });
  });
  afterAll(async () => {
    for (const res of streams) res.destroy();
    await server.close();
  });

  it('hands over an event stream while it is still open, chunk by chunk', async () => {
    const controller = new AbortController();
    const res = await guardedStreamFetch(`${server.origin}/events`, { ...local(), signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(await nextChunk(res.body)).toBe('event: endpoint\ndata: /messages\n\n');
    streams[streams.length - 1].write('data: {"jsonrpc":"2.0"}\n\n');
    expect(await nextChunk(res.body)).toBe('data: {"jsonrpc":"2.0"}\n\n');

    const ended = streamError(res.body);
    controller.abort();
    expect(await ended).toMatchObject({ name: 'FetchRefusedError', reason: 'aborted' });
  });

  it('returns a redirect as it is with redirect: manual, and follows it (checked) by default', async () => {
    const manual = await guardedStreamFetch(`${server.origin}/redirect?to=/landed`, { ...local(), redirect: 'manual' });
    expect(manual.status).toBe(302);
    expect(manual.headers.location).toBe('/landed');

    const followed = await guardedStreamFetch(`${server.origin}/redirect?to=/landed`, local());
    expect(followed.status).toBe(200);
    expect(followed.url).toBe(`${server.origin}/landed`);
    expect(JSON.parse(await nextChunk(followed.body))).toEqual({ method: 'GET', path: '/landed' });
  });

  it('checks every hop it follows: a redirect to a loopback host nobody allowed is refused', async () => {
    const err = await refusal(`${server.origin}/redirect?to=${encodeURIComponent(`http://localhost:${server.port}/landed`)}`, local());
    expect(err.reason).toBe('private_address');
    expect(err.message).toContain('add localhost or localhost:');
  });

  it("with allowHttp 'allowed_hosts', refuses a followed redirect from the allowed host to a public http URL", async () => {
    const asked: string[] = [];
    const resolve = async (hostname: string) => {
      asked.push(hostname);
      return [{ address: '93.184.216.34', family: 4 as const }];
    };
    const err = await refusal(`${server.origin}/redirect?to=${encodeURIComponent('http://public.test/x')}`, { allowHttp: 'allowed_hosts', allowedHosts: [`127.0.0.1:${server.port}`], resolve });
    expect(err.reason).toBe('scheme_not_allowed');
    expect(err.message).toBe(
      `Refused to fetch http://public.test/x: plain http is allowed only towards a host an admin allowed (127.0.0.1:${server.port}), and public.test is not one; use https (where a redirect from ${server.origin}/redirect led)`,
    );
    expect(asked).toEqual([]);
    // The same redirect with redirect: manual comes back to the caller, who decides (and checks) the next hop.
    const manual = await guardedStreamFetch(`${server.origin}/redirect?to=${encodeURIComponent('http://public.test/x')}`, { allowHttp: 'allowed_hosts', allowedHosts: [`127.0.0.1:${server.port}`], redirect: 'manual' });
    expect(manual.status).toBe(302);
  });

  it('refuses a private address before connecting, as guardedFetch does', async () => {
    const before = server.requests.length;
    const err = await refusal(`${server.origin}/events`, { allowHttp: true });
    expect(err.reason).toBe('private_address');
    expect(err.message).toContain('127.0.0.1 is loopback (127.0.0.0/8)');
    expect(server.requests.length).toBe(before);
  });

  it('errors the body stream once it passes maxBytes', async () => {
    const res = await guardedStreamFetch(`${server.origin}/big`, { ...local(), maxBytes: 1000 });
    expect(await streamError(res.body)).toMatchObject({ reason: 'too_large', message: expect.stringContaining('larger than the 1000 bytes allowed') });
  });

  it('gives up when the headers do not come in time', async () => {
    const err = await refusal(`${server.origin}/silent`, { ...local(), headersTimeoutMs: 200 });
    expect(err.reason).toBe('timeout');
    expect(err.message).toContain('after 200 ms without a response');
  });
});
