import { FetchRefusedError, guardedFetch, parseAllowedHost, type GuardedFetchOptions, type Resolver } from './guarded-fetch';
import { selfSignedCertificate } from './testing/self-signed-cert';
import { startTestServer, type TestServer } from './testing/test-server';

/** The refusal guardedFetch rejected with (fails the test if it resolved or threw something else). */
async function refusal(url: string, options?: GuardedFetchOptions): Promise<FetchRefusedError> {
  try {
    await guardedFetch(url, options);
  } catch (err) {
    if (err instanceof FetchRefusedError) return err;
    throw err;
  }
  throw new Error(`expected ${url} to be refused`);
}

const fixed =
  (answers: Record<string, string[]>): Resolver =>
  async (hostname) => {
    const addresses = answers[hostname];
    if (!addresses) throw Object.assign(new Error(`no such host ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('guardedFetch', () => {
  let server: TestServer;
  let other: TestServer;
  const local = () => ({ allowHttp: true, allowedHosts: [`127.0.0.1:${server.port}`] });

  beforeAll(async () => {
    server = await startTestServer((req, res, seen) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const to = url.searchParams.get('to');
      if (url.pathname === '/redirect' && to) {
        res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: to }).end('moved');
      } else if (url.pathname.startsWith('/hop/')) {
        const n = Number(url.pathname.slice(5));
        if (n > 0) res.writeHead(302, { location: `/hop/${n - 1}` }).end();
        else res.end('landed');
      } else if (url.pathname === '/declared-large') {
        res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) }).write('x');
      } else if (url.pathname === '/endless') {
        const chunk = Buffer.alloc(16 * 1024, 'a');
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      } else if (url.pathname === '/exact') {
        res.end(Buffer.alloc(Number(url.searchParams.get('n')), 'b'));
      } else if (url.pathname === '/silent') {
        // never answers
      } else if (url.pathname === '/stall-body') {
        res.writeHead(200, { 'content-length': '100' }).write('only a part');
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'x-twice': ['a', 'b'] });
        res.end(JSON.stringify({ method: seen.method, host: seen.headers.host, body: seen.body }));
      }
    });
    other = await startTestServer((_req, res) => res.end('other'));
  });
  afterAll(async () => {
    await server.close();
    await other.close();
  });

  describe('what it refuses before connecting', () => {
    it('refuses loopback and its disguises unless the host is allowed, and never reaches the server', async () => {
      const before = server.requests.length;
      const forms = ['127.0.0.1', '0x7f.1', '2130706433', '017700000001', '127.1', '0177.0.0.1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::1]', '127.0.0.1.'];
      for (const host of forms) {
        const err = await refusal(`http://${host}:${server.port}/`, { allowHttp: true });
        expect([host, err.reason]).toEqual([host, 'private_address']);
      }
      expect(server.requests.length).toBe(before);
    });

    it('refuses a name that resolves to loopback (real DNS: localhost)', async () => {
      const err = await refusal(`http://localhost:${server.port}/`, { allowHttp: true });
      expect(err.reason).toBe('private_address');
      expect(err.message).toMatch(/localhost resolves to (127\.0\.0\.1|::1), loopback/);
      expect(err.message).toContain(`add localhost or localhost:${server.port} to the allowed hosts`);
    });

    it('refuses when ANY address of the name is private, and names it', async () => {
      const resolve = fixed({ 'mixed.test': ['93.184.216.34', '10.1.2.3'], 'metadata.test': ['169.254.169.254'], 'six.test': ['2606:4700::1', 'fd00::5'] });
      const mixed = await refusal('https://mixed.test/client.json?secret=1', { resolve });
      expect(mixed.reason).toBe('private_address');
      expect(mixed.message).toBe(
        'Refused to fetch https://mixed.test/client.json: mixed.test resolves to 10.1.2.3, private (10.0.0.0/8, RFC 1918), not a public address; ' +
          'csmcp fetches only public addresses unless an admin allows the host explicitly (add mixed.test or mixed.test:443 to the allowed hosts)',
      );
      expect(mixed.url).toBe('https://mixed.test/client.json');
      expect((await refusal('https://metadata.test/latest/meta-data', { resolve })).message).toContain('169.254.169.254, link-local');
      expect((await refusal('https://six.test/', { resolve })).message).toContain('fd00::5, unique local');
    });

    it('refuses other schemes, http unless allowed, credentials and unparsable URLs', async () => {
      for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'javascript:alert(1)', 'data:text/plain,hi', 'gopher://example.com/']) {
        expect([url, (await refusal(url)).reason]).toEqual([url, 'scheme_not_allowed']);
      }
      const http = await refusal(`http://127.0.0.1:${server.port}/`, { allowedHosts: [`127.0.0.1:${server.port}`] });
      expect(http.reason).toBe('scheme_not_allowed');
      expect(http.message).toContain('the http scheme is not allowed here, only https');
      const resolve = jest.fn(fixed({}));
      expect((await refusal('https://user:pass@example.com/', { resolve })).reason).toBe('credentials_in_url');
      expect((await refusal('https://token@example.com/', { resolve })).reason).toBe('credentials_in_url');
      expect(resolve).not.toHaveBeenCalled();
      expect((await refusal('not a url')).reason).toBe('bad_url');
      expect((await refusal('/relative/path')).reason).toBe('bad_url');
    });

    it('says so when the name does not resolve', async () => {
      const err = await refusal('https://nowhere.test/', { resolve: fixed({}) });
      expect(err.reason).toBe('dns_failed');
      expect(err.message).toContain('nowhere.test did not resolve (ENOTFOUND)');
    });

    it('never connects to unspecified or multicast addresses, even for an allowed host', async () => {
      const err = await refusal('http://0.0.0.0:80/', { allowHttp: true, allowedHosts: ['0.0.0.0'] });
      expect(err.reason).toBe('private_address');
      expect(err.message).toContain('not even for an allowed host');
      expect((await refusal('https://mc.test/', { allowedHosts: ['mc.test'], resolve: fixed({ 'mc.test': ['224.0.0.1'] }) })).reason).toBe('private_address');
    });
  });

  describe('an allowed host', () => {
    it('is fetched, in any spelling of its address, on the allowed port only', async () => {
      const res = await guardedFetch(`${server.origin}/echo`, local());
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body.toString())).toEqual({ method: 'GET', host: `127.0.0.1:${server.port}`, body: '' });
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.headers['x-twice']).toBe('a, b');
      expect(res.url).toBe(`${server.origin}/echo`);
      expect((await guardedFetch(`http://0x7f.1:${server.port}/`, local())).status).toBe(200);
      expect((await guardedFetch(`${server.origin}/`, { allowHttp: true, allowedHosts: ['127.0.0.1'] })).status).toBe(200);
      expect((await refusal(`${server.origin}/`, { allowHttp: true, allowedHosts: [`127.0.0.1:${other.port}`] })).reason).toBe('private_address');
    });

    it('sends method, headers and body, and sets Host itself', async () => {
      const res = await guardedFetch(`${server.origin}/echo`, { ...local(), method: 'post', headers: { 'Content-Type': 'application/json', Host: 'evil.example' }, body: '{"a":1}' });
      expect(JSON.parse(res.body.toString())).toEqual({ method: 'POST', host: `127.0.0.1:${server.port}`, body: '{"a":1}' });
      expect(server.requests.at(-1)?.headers['content-length']).toBe('7');
      expect(server.requests.at(-1)?.headers['accept-encoding']).toBe('identity');
    });

    it('connects to the address it checked, without a second lookup (DNS rebinding cannot switch it)', async () => {
      let lookups = 0;
      // A rebinding resolver: the first answer is the checked one, later answers point elsewhere.
      const resolve: Resolver = async () => (lookups++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.255.255.1', family: 4 }]);
      const res = await guardedFetch(`http://pinned.test:${server.port}/echo`, { allowHttp: true, allowedHosts: ['pinned.test'], resolve });
      expect(res.status).toBe(200);
      expect(lookups).toBe(1);
      // The name, not the address, is what the server is told (Host; SNI for https, below).
      expect(JSON.parse(res.body.toString()).host).toBe(`pinned.test:${server.port}`);
    });

    it('is refused when it does not answer at all', async () => {
      const closed = await startTestServer(() => undefined);
      await closed.close();
      const err = await refusal(`${closed.origin}/`, { allowHttp: true, allowedHosts: [`127.0.0.1:${closed.port}`] });
      expect(err.reason).toBe('connection_failed');
      expect(err.message).toContain('ECONNREFUSED');
    });
  });

  describe('redirects', () => {
    const both = () => ({ allowHttp: true, allowedHosts: [`127.0.0.1:${server.port}`, `127.0.0.1:${other.port}`] });

    it('checks every hop: a redirect to a private address is refused before it is followed', async () => {
      const seenByOther = other.requests.length;
      const toOther = await refusal(`${server.origin}/redirect?to=${encodeURIComponent(`${other.origin}/`)}`, local());
      expect(toOther.reason).toBe('private_address');
      expect(other.requests.length).toBe(seenByOther);
      const toMetadata = await refusal(`${server.origin}/redirect?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`, local());
      expect(toMetadata.reason).toBe('private_address');
      expect(toMetadata.url).toBe('http://169.254.169.254/latest/meta-data/');
    });

    it('follows up to maxRedirects hops, relative ones included, and reports the final URL', async () => {
      const res = await guardedFetch(`${server.origin}/hop/3`, local());
      expect(res.body.toString()).toBe('landed');
      expect(res.url).toBe(`${server.origin}/hop/0`);
      const err = await refusal(`${server.origin}/hop/4`, local());
      expect(err.reason).toBe('too_many_redirects');
      expect(err.message).toContain('at most 3 are followed');
      expect((await refusal(`${server.origin}/hop/1`, { ...local(), maxRedirects: 0 })).message).toContain('no redirects are followed here');
      expect((await guardedFetch(`${server.origin}/hop/5`, { ...local(), maxRedirects: 5 })).body.toString()).toBe('landed');
    });

    it('turns a POST into a GET without its body after 303, keeps it after 307', async () => {
      const post = { ...local(), method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' } };
      const after303 = await guardedFetch(`${server.origin}/redirect?status=303&to=/echo`, post);
      expect(JSON.parse(after303.body.toString())).toMatchObject({ method: 'GET', body: '' });
      expect(server.requests.at(-1)?.headers['content-type']).toBeUndefined();
      const after307 = await guardedFetch(`${server.origin}/redirect?status=307&to=/echo`, post);
      expect(JSON.parse(after307.body.toString())).toMatchObject({ method: 'POST', body: 'payload' });
    });

    it('drops credentials when the redirect leaves the origin, keeps them within it', async () => {
      const headers = { authorization: 'Bearer secret', cookie: 'a=b', 'x-keep': 'yes' };
      await guardedFetch(`${server.origin}/redirect?to=${encodeURIComponent(`${other.origin}/`)}`, { ...both(), headers });
      expect(other.requests.at(-1)?.headers).toMatchObject({ 'x-keep': 'yes' });
      expect(other.requests.at(-1)?.headers.authorization).toBeUndefined();
      expect(other.requests.at(-1)?.headers.cookie).toBeUndefined();
      await guardedFetch(`${server.origin}/redirect?to=/echo`, { ...local(), headers });
      expect(server.requests.at(-1)?.headers.authorization).toBe('Bearer secret');
    });

    describe("allowHttp 'allowed_hosts': plain http only towards an allowed host, at every hop", () => {
      const onlyAllowed = (extra: Partial<GuardedFetchOptions> = {}): GuardedFetchOptions => ({ allowHttp: 'allowed_hosts', allowedHosts: [`127.0.0.1:${server.port}`], ...extra });
      /** A resolver that answers a public address for public.test and remembers who asked. */
      const asked: string[] = [];
      const publicDns: Resolver = async (hostname) => {
        asked.push(hostname);
        return [{ address: '93.184.216.34', family: 4 }];
      };

      it('refuses a redirect from an allowed private http host to a public http URL, before resolving or connecting to it', async () => {
        asked.length = 0;
        const err = await refusal(`${server.origin}/redirect?to=${encodeURIComponent('http://public.test/collect?token=x')}`, onlyAllowed({ resolve: publicDns }));
        expect(err.reason).toBe('scheme_not_allowed');
        expect(err.url).toBe('http://public.test/collect');
        expect(err.message).toBe(
          `Refused to fetch http://public.test/collect: plain http is allowed only towards a host an admin allowed (127.0.0.1:${server.port}), and public.test is not one; use https (where a redirect from ${server.origin}/redirect led)`,
        );
        expect(asked).toEqual([]);
      });

      it('with allowHttp true the same hop passes the scheme check (it is then only the address check)', async () => {
        asked.length = 0;
        const failing: Resolver = async (hostname) => {
          asked.push(hostname);
          throw Object.assign(new Error('stop here'), { code: 'ENOTFOUND' });
        };
        const err = await refusal(`${server.origin}/redirect?to=${encodeURIComponent('http://public.test/collect')}`, { ...local(), resolve: failing });
        expect(err.reason).toBe('dns_failed');
        expect(asked).toEqual(['public.test']);
      });

      it('follows a redirect between allowed http hosts, and refuses a first URL that is not one', async () => {
        const res = await guardedFetch(`${server.origin}/redirect?to=${encodeURIComponent(`${other.origin}/`)}`, onlyAllowed({ allowedHosts: [`127.0.0.1:${server.port}`, `127.0.0.1:${other.port}`] }));
        expect(res.body.toString()).toBe('other');
        const first = await refusal(`${other.origin}/`, onlyAllowed());
        expect(first.reason).toBe('scheme_not_allowed');
        expect(first.message).toBe(`Refused to fetch ${other.origin}/: plain http is allowed only towards a host an admin allowed (127.0.0.1:${server.port}), and 127.0.0.1:${other.port} is not one; use https`);
      });

      it('names the redirect when a hop to a private address is refused', async () => {
        const err = await refusal(`${server.origin}/redirect?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`, { ...local() });
        expect(err.reason).toBe('private_address');
        expect(err.message).toMatch(/^Refused to fetch http:\/\/169\.254\.169\.254\/latest\/meta-data\/: 169\.254\.169\.254 is link-local .*\(where a redirect from http:\/\/127\.0\.0\.1:\d+\/redirect led\)$/);
      });
    });

    it('refuses a Location that is not a URL', async () => {
      expect((await refusal(`${server.origin}/redirect?to=${encodeURIComponent('http://[::1')}`, local())).reason).toBe('bad_redirect');
    });
  });

  describe('limits', () => {
    it('refuses a body declared larger than maxBytes without reading it', async () => {
      const err = await refusal(`${server.origin}/declared-large`, { ...local(), maxBytes: 1024 });
      expect(err.reason).toBe('too_large');
      expect(err.message).toContain('larger than the 1024 bytes allowed');
    });

    it('cuts off an endless body once it passes maxBytes', async () => {
      // If the body were buffered whole this would never finish.
      const err = await refusal(`${server.origin}/endless`, { ...local(), maxBytes: 64 * 1024, timeoutMs: 20_000 });
      expect(err.reason).toBe('too_large');
    });

    it('accepts a body of exactly maxBytes', async () => {
      expect((await guardedFetch(`${server.origin}/exact?n=1000`, { ...local(), maxBytes: 1000 })).body.length).toBe(1000);
      expect((await refusal(`${server.origin}/exact?n=1001`, { ...local(), maxBytes: 1000 })).reason).toBe('too_large');
    });

    it('times out a server that never answers, a body that stalls, and DNS that hangs', async () => {
      const silent = await refusal(`${server.origin}/silent`, { ...local(), timeoutMs: 300 });
      expect(silent.reason).toBe('timeout');
      expect(silent.message).toContain('after 300 ms');
      expect((await refusal(`${server.origin}/stall-body`, { ...local(), timeoutMs: 300 })).reason).toBe('timeout');
      const hang: Resolver = () => new Promise(() => undefined);
      expect((await refusal('https://slow-dns.test/', { resolve: hang, timeoutMs: 300 })).reason).toBe('timeout');
    });

    it('stops when the caller aborts', async () => {
      const controller = new AbortController();
      const pending = refusal(`${server.origin}/silent`, { ...local(), signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      expect((await pending).reason).toBe('aborted');
      const already = AbortSignal.abort();
      expect((await refusal(`${server.origin}/echo`, { ...local(), signal: already })).reason).toBe('aborted');
    });

    it('rejects nonsensical limits as programming errors', async () => {
      await expect(guardedFetch('https://example.com/', { maxBytes: 0 })).rejects.toThrow(TypeError);
      await expect(guardedFetch('https://example.com/', { timeoutMs: 1.5 })).rejects.toThrow(TypeError);
      await expect(guardedFetch('https://example.com/', { allowedHosts: ['https://example.com/'] })).rejects.toThrow(/not a host name/);
    });
  });

  describe('https', () => {
    const { key, cert } = selfSignedCertificate(['localhost', '127.0.0.1', 'cimd.test']);
    let secure: TestServer;
    beforeAll(async () => {
      secure = await startTestServer((req, res) => {
        if (req.url?.startsWith('/down')) res.writeHead(302, { location: `${server.origin}/echo` }).end();
        else res.end(JSON.stringify({ host: req.headers.host }));
      }, { key, cert });
    });
    afterAll(() => secure.close());

    it('verifies the certificate against the host name while connecting to the checked address', async () => {
      const resolve = fixed({ 'cimd.test': ['127.0.0.1'], 'other.test': ['127.0.0.1'] });
      const res = await guardedFetch(`https://cimd.test:${secure.port}/`, { allowedHosts: ['cimd.test'], resolve, ca: cert });
      expect(JSON.parse(res.body.toString())).toEqual({ host: `cimd.test:${secure.port}` });
      expect((await guardedFetch(`${secure.origin}/`, { allowedHosts: ['127.0.0.1'], ca: cert })).status).toBe(200);
      // Same address, a name the certificate does not carry: refused, so the name (not the IP) was checked.
      const wrongName = await refusal(`https://other.test:${secure.port}/`, { allowedHosts: ['other.test'], resolve, ca: cert });
      expect(wrongName.reason).toBe('tls_failed');
      expect(wrongName.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    });

    it('refuses a certificate it does not trust', async () => {
      const err = await refusal(`${secure.origin}/`, { allowedHosts: ['127.0.0.1'] });
      expect(err.reason).toBe('tls_failed');
    });

    it('refuses a redirect from https to http, even where http is allowed', async () => {
      const err = await refusal(`${secure.origin}/down`, { allowHttp: true, allowedHosts: ['127.0.0.1'], ca: cert });
      expect(err.reason).toBe('redirect_downgrade');
      expect(err.message).toContain('it drops https for http');
    });
  });
});

describe('parseAllowedHost', () => {
  it('reads names, addresses and ports in the form URLs take', () => {
    expect(parseAllowedHost('MCP.Internal')).toEqual({ hostname: 'mcp.internal', port: null });
    expect(parseAllowedHost('mcp.internal.:8443')).toEqual({ hostname: 'mcp.internal', port: 8443 });
    expect(parseAllowedHost('0x0a.1')).toEqual({ hostname: '10.0.0.1', port: null });
    expect(parseAllowedHost('[FD00::1]:443')).toEqual({ hostname: '[fd00::1]', port: 443 });
  });

  it.each(['https://mcp.internal', 'mcp.internal/path', '*.internal', 'user@host', 'host:0', 'host:99999', '', 'fd00::1'])('refuses %j', (entry) => {
    expect(() => parseAllowedHost(entry)).toThrow(TypeError);
  });
});
