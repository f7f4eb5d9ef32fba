import { lookup } from 'node:dns/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { selfSignedCertificate } from '../../src/net/testing/self-signed-cert';
import { startServerProcess, type ServerProcess } from '../support/cli';
import { callTool, connectStreamable, toolError } from '../support/mcp-clients';
import { seedBook, sqliteStore, untilCaughtUp, type McpBook, type McpStore } from '../support/mcp-stack';
import { cookieJarFetch, formOf } from '../support/oauth-forms';

/**
 * Client ID Metadata Documents against a real `csmcp serve`: the client's id is the https URL of a
 * JSON document that says who it is (draft-ietf-oauth-client-id-metadata-document). The documents
 * are served by a real https server on this machine, whose self-signed certificate csmcp trusts
 * through NODE_EXTRA_CA_CERTS; loopback addresses are refused unless an admin allows the host, so
 * csmcp runs with OAUTH_CIMD_ALLOWED_HOSTS=localhost. oauth4webapi (strict, only loopback http
 * allowed) walks the flow as a connector does; sign-in and consent are posted as a browser would.
 */
const PASSWORD = 'correct horse battery staple';
const insecure = { [oauth.allowInsecureRequests]: true } as const;
/** Where the client receives codes: only ever read from the Location header, never visited. */
const REDIRECT_URI = 'https://client.example/oauth/callback';

describe('OAuth Client ID Metadata Documents (csmcp serve)', () => {
  let store: McpStore;
  let book: McpBook;
  let server: ServerProcess;
  let documents: Server;
  let certDir: string;
  /** https://localhost:PORT */
  let origin: string;
  let port: number;
  /** Paths the document server was asked for, in order. */
  const requested: string[] = [];
  let as: oauth.AuthorizationServer;
  let resource: string;
  let client: oauth.Client;

  const documentFor = (path: string, extra: object = {}) =>
    JSON.stringify({
      client_id: `${origin}${path}`,
      client_name: 'Doc Desktop',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'cs:read cs:write',
      ...extra,
    });

  beforeAll(async () => {
    store = sqliteStore();
    book = await seedBook(store, 6);
    await store.cli(['users', 'set-password', '--email', book.ann.email, '--password-stdin'], `${PASSWORD}\n`);

    const { key, cert } = selfSignedCertificate(['localhost', '127.0.0.1', '::1']);
    certDir = mkdtempSync(join(tmpdir(), 'csmcp-cimd-ca-'));
    writeFileSync(join(certDir, 'ca.pem'), cert);
    documents = createServer({ key, cert }, (req, res) => {
      const path = req.url ?? '/';
      requested.push(path);
      const json = (body: string) => res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' }).end(body);
      switch (path) {
        case '/client.json':
          return json(documentFor(path));
        case '/mismatch.json':
          return json(documentFor('/client.json'));
        case '/big.json':
          return json(documentFor(path, { software_version: 'x'.repeat(6 * 1024) }));
        case '/page.json':
          return res.writeHead(200, { 'content-type': 'text/html' }).end(documentFor(path));
        case '/http-redirect.json':
          return json(documentFor(path, { redirect_uris: ['http://client.example/cb'] }));
        case '/signed.json':
          return json(documentFor(path, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://client.example/jwks' }));
        default:
          return res.writeHead(404).end();
      }
    });
    // Where csmcp will connect for "localhost": the first address it resolves to.
    const { address } = await lookup('localhost', { verbatim: true });
    await new Promise<void>((resolve) => documents.listen(0, address, resolve));
    port = (documents.address() as AddressInfo).port;
    origin = `https://localhost:${port}`;
    client = { client_id: `${origin}/client.json`, token_endpoint_auth_method: 'none' };

    server = await startServerProcess({ ...store.env, OAUTH_CIMD_ALLOWED_HOSTS: 'localhost', NODE_EXTRA_CA_CERTS: join(certDir, 'ca.pem') });
    await untilCaughtUp(server.url);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    documents?.closeAllConnections();
    await new Promise((resolve) => documents?.close(resolve));
    await store?.dispose();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  it('says in its metadata that it takes client ID metadata documents', async () => {
    const prm = await oauth.processResourceDiscoveryResponse(
      new URL(`${server.url}/mcp`),
      await oauth.resourceDiscoveryRequest(new URL(`${server.url}/mcp`), insecure),
    );
    resource = prm.resource;
    const issuer = new URL(prm.authorization_servers![0]);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    expect(as).toMatchObject({ client_id_metadata_document_supported: true, token_endpoint_auth_methods_supported: expect.arrayContaining(['none']) });
    const openid = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(openid.client_id_metadata_document_supported).toBe(true);
  });

  /** Authorization request → sign-in → consent → the redirect to the client; returns it and the consent page. */
  async function signIn(params: Record<string, string>): Promise<{ location: URL; consent: string }> {
    const go = cookieJarFetch();
    const url = new URL(as.authorization_endpoint!);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    let res = await go(url.href);
    let consent = '';
    for (let step = 0; step < 10; step++) {
      if (res.status === 302 || res.status === 303) {
        const location = new URL(res.headers.get('location')!, server.url);
        if (location.href.startsWith(REDIRECT_URI)) return { location, consent };
        res = await go(location.href);
        continue;
      }
      const html = await res.text();
      expect([res.status, html]).toEqual([200, expect.any(String)]);
      if (html.includes('type="password"')) {
        const form = formOf(html, /\/login$/);
        res = await go(new URL(form.action, server.url).href, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf: form.csrf, email: book.ann.email, password: PASSWORD }).toString(),
        });
        continue;
      }
      consent = html;
      const form = formOf(html, /\/confirm$/);
      res = await go(new URL(form.action, server.url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: form.csrf }).toString(),
      });
    }
    throw new Error(`the sign-in did not end at the client: ${res.status} ${await res.text()}`);
  }

  const errorOf = async (attempt: Promise<unknown>) => {
    try {
      await attempt;
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError) return { error: error.error, error_description: error.error_description };
      throw error;
    }
    throw new Error('expected an OAuth error response');
  };

  it('signs in a metadata document client, which redeems with PKCE alone, uses the MCP endpoint with personal access, refreshes and revokes', async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const { location, consent } = await signIn({
      client_id: client.client_id,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'cs:read cs:write',
      state,
      resource,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    // The consent page: the document's name, where the browser returns to, and who published the document.
    expect(consent).toContain('<strong class="client">Doc Desktop</strong>');
    expect(consent).toContain('<strong class="redirect-host">client.example</strong>');
    expect(consent).toContain(`Not registered by your administrators: this application describes itself in a document published at <strong class="client-host">localhost:${port}</strong>`);

    const params = oauth.validateAuthResponse(as, client, location, state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, REDIRECT_URI, verifier, { additionalParameters: { resource }, ...insecure }),
    );
    expect(tokens.scope).toBe('cs:read cs:write');
    expect(decodeJwt(tokens.access_token)).toMatchObject({ client_id: client.client_id, aud: resource, ctx: 'personal' });

    const { client: mcp } = await connectStreamable(`${server.url}/mcp`, tokens.access_token);
    try {
      expect((await mcp.listTools()).tools.map((t) => t.name)).toContain('create_cta');
      const written = await callTool(mcp, 'create_cta', { company_id: book.annCompanies[0], name: 'Through a metadata document client', type: 'Risk' });
      expect(written.isError).toBeFalsy();
      // Personal access: another owner's company is not Ann's to read.
      expect(toolError(await callTool(mcp, 'get_company', { company_id: book.bobCompanies[0] })).code).toBe('NOT_FOUND');
    } finally {
      await mcp.close();
    }
    expect(await store.events.count('CtaCreated', 'name', 'Through a metadata document client')).toBe(1);

    const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, insecure));
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, oauth.None(), refreshed.refresh_token!, insecure));
    expect(await errorOf(oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshed.refresh_token!, insecure)))).toEqual({
      error: 'invalid_grant',
      error_description: 'grant request is invalid',
    });
    const refused = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${refreshed.access_token}` } });
    expect(refused.status).toBe(401);

    // Authorization, token, refresh and revocation all looked the client up: one fetch of its document (cached).
    expect(requested.filter((p) => p === '/client.json')).toHaveLength(1);
  });

  /**
   * An authorization request a client sends the user's browser to. A client that cannot be trusted with
   * a redirect gets csmcp's "Sign-in failed" page: its status, error and description.
   */
  async function authorizationRefusal(clientId: string, redirectUri = REDIRECT_URI) {
    const url = new URL(as.authorization_endpoint!);
    const params = {
      client_id: clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'cs:read',
      state: 'st',
      resource,
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: 'S256',
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const res = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
    const html = await res.text();
    expect(html).toContain('<h1>Sign-in failed</h1>');
    const [, error, description] = /<p><code>([^<]*)<\/code><\/p><p>([^<]*)<\/p>/.exec(html) ?? [];
    const unescape = (text = '') => text.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));
    return { status: res.status, body: { error: unescape(error), error_description: unescape(description) } };
  }

  it('refuses a document on a loopback address whose host an admin did not allow, without fetching it', async () => {
    const before = requested.length;
    expect(await authorizationRefusal(`https://127.0.0.1:${port}/client.json`)).toEqual({
      status: 400,
      body: {
        error: 'invalid_client',
        error_description: `Could not use the client ID metadata document at https://127.0.0.1:${port}/client.json: its host is not a public address; csmcp fetches client ID metadata documents only from public addresses, unless an admin allowed the host (OAUTH_CIMD_ALLOWED_HOSTS)`,
      },
    });
    expect(requested.length).toBe(before);
  });

  it.each([
    ['/mismatch.json', (url: string) => `Refused the client ID metadata document at ${url}: client_id in the metadata document must equal the URL it was fetched from, '${url}'; got '${url.replace('mismatch', 'client')}'`],
    ['/big.json', (url: string) => `Could not use the client ID metadata document at ${url}: it is larger than the 5120 bytes allowed`],
    ['/page.json', (url: string) => `Could not use the client ID metadata document at ${url}: its content type is text/html, not application/json`],
    [
      '/http-redirect.json',
      (url: string) =>
        `Refused the client ID metadata document at ${url}: redirect_uris[0] 'http://client.example/cb' uses http on a host that is not loopback; use https, or http only on a loopback host (http://127.0.0.1:PORT/..., http://[::1]:PORT/... or http://localhost:PORT/...)`,
    ],
    [
      '/signed.json',
      (url: string) => `Refused the client ID metadata document at ${url}: token_endpoint_auth_method private_key_jwt is not supported yet; metadata document clients must use none (with PKCE)`,
    ],
    ['/gone.json', (url: string) => `Could not use the client ID metadata document at ${url}: it answered HTTP 404, not 200`],
  ])('refuses the document at %s, saying why', async (path, description) => {
    const url = `${origin}${path}`;
    expect(await authorizationRefusal(url)).toEqual({ status: 400, body: { error: 'invalid_client', error_description: description(url) } });
  });

  it('refuses an http client_id for what it is', async () => {
    const url = `http://localhost:${port}/client.json`;
    expect(await authorizationRefusal(url)).toEqual({
      status: 400,
      body: { error: 'invalid_client', error_description: `client_id '${url}' is not a usable client ID metadata document URL: it must use https` },
    });
  });

  it('refuses a redirect URI the document does not list', async () => {
    expect(await authorizationRefusal(client.client_id, 'https://client.example/oauth/other')).toEqual({
      status: 400,
      body: { error: 'invalid_redirect_uri', error_description: "redirect_uri did not match any of the client's registered redirect_uris" },
    });
  });

  it('refuses such a client at the token endpoint too', async () => {
    const big: oauth.Client = { client_id: `${origin}/big.json`, token_endpoint_auth_method: 'none' };
    expect(await errorOf(oauth.processRefreshTokenResponse(as, big, await oauth.refreshTokenGrantRequest(as, big, oauth.None(), 'not-a-token', insecure)))).toEqual({
      error: 'invalid_client',
      error_description: `Could not use the client ID metadata document at ${origin}/big.json: it is larger than the 5120 bytes allowed`,
    });
  });
});
