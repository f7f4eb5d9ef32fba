import { request as httpRequest, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as oauth from 'oauth4webapi';
import { startServerProcess, type ServerProcess } from '../support/cli';
import { callTool, connectStreamable } from '../support/mcp-clients';
import { seedBook, sqliteStore, untilCaughtUp, type McpBook, type McpStore } from '../support/mcp-stack';
import { cookieJarFetch, formOf } from '../support/oauth-forms';

/**
 * Tokens issued to an integration follow that integration, against a real `csmcp serve` (listening on
 * 127.0.0.1): its name goes with every write, a disabled integration's tokens are refused, and its IP
 * allow-list holds at the MCP endpoint and at the token endpoint. "Another address" is 127.0.0.2, a
 * second loopback address this process connects from (Linux routes all of 127.0.0.0/8 to lo).
 */
const PASSWORD = 'correct horse battery staple';
const EMAIL = 'ines.integrations@example.com';
const insecure = { [oauth.allowInsecureRequests]: true } as const;
/** What the server may have cached of an integration (IntegrationService, ≤ 1 s), and a margin. */
const REGISTRY_CACHE_MS = 1_000 + 250;

describe('integration rules for tokens (csmcp serve)', () => {
  let store: McpStore;
  let server: ServerProcess;
  let book: McpBook;
  let callback: Server;
  let redirectUri: string;
  let as: oauth.AuthorizationServer;
  let resource: string;
  /** Allowed from 127.0.0.1 only. */
  let local: { client_id: string; client_secret: string };
  /** Disabled by the test once it has tokens. */
  let doomed: { client_id: string; client_secret: string };

  beforeAll(async () => {
    store = sqliteStore();
    book = await seedBook(store, 4);
    await store.cli(['users', 'add', '--email', EMAIL, '--name', 'Ines Integrations', '--role', 'admin', '--password-stdin'], `${PASSWORD}\n`);
    callback = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/cb`;
    const add = async (name: string, extra: string[] = []) =>
      JSON.parse(await store.cli(['integrations', 'add', '--name', name, '--preset', 'custom', '--redirect-uri', redirectUri, ...extra, '--json'])) as {
        client_id: string;
        client_secret: string;
      };
    local = await add('Local Only', ['--ip-allow', '127.0.0.1']);
    doomed = await add('Soon Disabled');
    server = await startServerProcess(store.env);
    await untilCaughtUp(server.url);

    const mcpUrl = new URL(`${server.url}/mcp`);
    const prm = await oauth.processResourceDiscoveryResponse(mcpUrl, await oauth.resourceDiscoveryRequest(mcpUrl, insecure));
    resource = prm.resource;
    const issuer = new URL(prm.authorization_servers![0]);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await new Promise((resolve) => callback?.close(resolve));
    await store?.dispose();
  });

  /** Sign-in, consent and code redemption (all from 127.0.0.1) for `client`: its tokens. */
  async function tokensFor(integration: { client_id: string; client_secret: string }) {
    const client: oauth.Client = { client_id: integration.client_id };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: client.client_id,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'cs:read cs:write',
      state,
      resource,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const go = cookieJarFetch();
    let res = await go(url.href);
    let location: URL | null = null;
    for (let step = 0; step < 10 && !location; step++) {
      if (res.status === 302 || res.status === 303) {
        const next = new URL(res.headers.get('location')!, server.url);
        if (next.href.startsWith(redirectUri)) location = next;
        else res = await go(next.href);
        continue;
      }
      expect(res.status).toBe(200);
      const html = await res.text();
      const password = html.includes('type="password"');
      const form = formOf(html, password ? /\/login$/ : /\/confirm$/);
      res = await go(new URL(form.action, server.url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(password ? { csrf: form.csrf, email: EMAIL, password: PASSWORD } : { csrf: form.csrf }).toString(),
      });
    }
    if (!location) throw new Error(`the sign-in did not end at the client: ${res.status}`);
    const params = oauth.validateAuthResponse(as, client, location, state);
    const auth = oauth.ClientSecretBasic(integration.client_secret);
    return oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, verifier, { additionalParameters: { resource }, ...insecure }),
    );
  }

  /** A POST from `localAddress` (node:http: fetch cannot choose its source address). */
  function postFrom(localAddress: string, url: string, headers: Record<string, string>, body: string) {
    return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
      const req = httpRequest(url, { method: 'POST', localAddress, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  const initialize = (accessToken: string, localAddress = '127.0.0.1') =>
    postFrom(
      localAddress,
      `${server.url}/mcp`,
      { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'rules', version: '1' } } }),
    );

  const refreshFrom = (localAddress: string, integration: { client_id: string; client_secret: string }, refreshToken: string) =>
    postFrom(
      localAddress,
      as.token_endpoint!,
      {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(integration.client_id)}:${encodeURIComponent(integration.client_secret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
    );

  it("puts the integration's name on the writes its tokens make", async () => {
    const tokens = await tokensFor(local);
    const { client: mcp } = await connectStreamable(`${server.url}/mcp`, tokens.access_token);
    try {
      const result = await callTool(mcp, 'create_cta', { company_id: book.annCompanies[0], name: 'Written through Local Only', type: 'Risk' });
      expect(result.isError).toBeFalsy();
    } finally {
      await mcp.close();
    }
    const db = new Database(join(store.env.DATA_DIR!, 'events.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare("SELECT metadata FROM events WHERE type = 'CtaCreated' AND json_extract(data, '$.name') = ?").all('Written through Local Only') as Array<{ metadata: string }>;
      expect(rows).toHaveLength(1);
      expect(JSON.parse(rows[0].metadata)).toMatchObject({ client: { id: local.client_id, name: 'Local Only' } });
    } finally {
      db.close();
    }
  });

  it("refuses a request from outside the integration's IP allow-list with 403 (the token stays good), at the MCP endpoint and at the token endpoint", async () => {
    const tokens = await tokensFor(local);
    expect((await initialize(tokens.access_token)).status).toBe(200);

    const outside = await initialize(tokens.access_token, '127.0.0.2');
    expect(outside.status).toBe(403);
    expect(outside.headers['www-authenticate']).toBeUndefined();
    expect(JSON.parse(outside.body)).toEqual({
      error: 'access_denied',
      error_description:
        'Requests from 127.0.0.2 are not allowed for the integration Local Only: its IP allow-list does not include this address (an admin changes it with csmcp integrations update --ip-allow)',
    });

    // The token endpoint too, before the refresh token is used: it still works from 127.0.0.1.
    const refused = await refreshFrom('127.0.0.2', local, tokens.refresh_token!);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toEqual({
      error: 'unauthorized_client',
      error_description: 'requests from 127.0.0.2 are not allowed for this client: its IP allow-list does not include this address',
    });
    const refreshed = await refreshFrom('127.0.0.1', local, tokens.refresh_token!);
    expect(refreshed.status).toBe(200);
    expect(JSON.parse(refreshed.body)).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String) });
  });

  it("refuses the tokens of a disabled integration with 401 invalid_token naming it", async () => {
    const tokens = await tokensFor(doomed);
    expect((await initialize(tokens.access_token)).status).toBe(200);
    const lastRead = Date.now();
    await store.cli(['integrations', 'disable', doomed.client_id]);
    // Past what the server may still hold of the integration from before (waiting longer never hides a refusal).
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, lastRead + REGISTRY_CACHE_MS - Date.now())));

    const refused = await initialize(tokens.access_token);
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe(
      `Bearer error="invalid_token", error_description="The integration Soon Disabled is disabled; an admin can enable it again (csmcp integrations enable)", scope="cs:read cs:write", resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(JSON.parse(refused.body)).toEqual({
      error: 'invalid_token',
      error_description: 'The integration Soon Disabled is disabled; an admin can enable it again (csmcp integrations enable)',
    });
  });

  it('refuses sign-in from an address after 20 failed sign-ins from it within 15 minutes, whatever the accounts (429), and only from that address', async () => {
    // The sign-in page is opened from 127.0.0.1; the form is posted from 127.0.0.3, with the browser's cookies.
    const go = cookieJarFetch();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: local.client_id,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'cs:read',
      state: 'spray',
      resource,
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: 'S256',
    }).toString();
    const start = await go(url.href);
    const page = await go(new URL(start.headers.get('location')!, server.url).href);
    const form = formOf(await page.text(), /\/login$/);
    const signIn = (from: string, email: string, password: string) =>
      postFrom(
        from,
        new URL(form.action, server.url).href,
        { cookie: go.cookie(), 'content-type': 'application/x-www-form-urlencoded' },
        new URLSearchParams({ csrf: form.csrf, email, password }).toString(),
      );

    // A spray: one guess per account, so no account reaches its own lockout (5).
    for (let i = 0; i < 20; i++) {
      const wrong = await signIn('127.0.0.3', `sprayed-${i}@example.com`, 'Summer2025!');
      expect(wrong.status).toBe(401);
      expect(wrong.body).toContain('The email or password is wrong.');
    }
    const limited = await signIn('127.0.0.3', 'sprayed-20@example.com', 'Summer2025!');
    expect(limited.status).toBe(429);
    expect(limited.body).toContain('Too many failed sign-ins from this network address. Wait 15 minutes and try again.');
    // The right password does not get through from there either…
    const right = await signIn('127.0.0.3', EMAIL, PASSWORD);
    expect(right.status).toBe(429);
    // …but does from another address.
    const elsewhere = await signIn('127.0.0.1', EMAIL, PASSWORD);
    expect(elsewhere.status).toBe(303);
  });
});
