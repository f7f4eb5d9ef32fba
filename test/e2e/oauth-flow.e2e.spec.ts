import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import { REFRESH_REUSE_GRACE_MS } from '../../src/auth/oauth-server/provider-configuration';
import { startServerProcess, type ServerProcess } from '../support/cli';
import { callTool, connectStreamable } from '../support/mcp-clients';
import { seedBook, sqliteStore, untilCaughtUp, type McpBook, type McpStore } from '../support/mcp-stack';
import { cookieJarFetch, formOf } from '../support/oauth-forms';

/**
 * The built-in authorization server, walked the way a connector walks it, against a real `csmcp serve`:
 * oauth4webapi with its strict validation (only loopback http allowed), discovery from the MCP 401,
 * an admin-registered confidential integration (client_secret_basic), PKCE + resource, the sign-in
 * and consent pages posted as a browser would, then the MCP SDK with the access token, refresh
 * rotation, reuse detection and revocation; and the refusals with their exact errors.
 */
const PASSWORD = 'correct horse battery staple';
const EMAIL = 'olga.oauth@example.com';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

describe('OAuth 2.1 authorization code flow (csmcp serve)', () => {
  let store: McpStore;
  let server: ServerProcess;
  let book: McpBook;
  let callback: Server;
  let redirectUri: string;
  let as: oauth.AuthorizationServer;
  let client: oauth.Client;
  let clientAuth: oauth.ClientAuth;
  let resource: string;
  let clientSecret: string;

  beforeAll(async () => {
    store = sqliteStore();
    book = await seedBook(store, 6);
    await store.cli(['users', 'add', '--email', EMAIL, '--name', 'Olga OAuth', '--role', 'admin', '--password-stdin'], `${PASSWORD}\n`);
    // The redirect target only has to exist as a URL: the test reads the Location header.
    callback = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/cb`;
    const added = JSON.parse(
      await store.cli(['integrations', 'add', '--name', 'E2E <Connector>', '--preset', 'custom', '--redirect-uri', redirectUri, '--json']),
    ) as { client_id: string; client_secret: string };
    client = { client_id: added.client_id };
    clientSecret = added.client_secret;
    clientAuth = oauth.ClientSecretBasic(clientSecret);
    server = await startServerProcess(store.env);
    await untilCaughtUp(server.url);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await new Promise((resolve) => callback?.close(resolve));
    await store?.dispose();
  });

  /** Authorization request → sign-in → consent → the redirect to the client; returns the callback URL. */
  async function signIn(params: Record<string, string>, options: { password?: string } = {}): Promise<URL> {
    const go = cookieJarFetch();
    const url = new URL(as.authorization_endpoint!);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    let res = await go(url.href);
    for (let step = 0; step < 10; step++) {
      if (res.status === 302 || res.status === 303) {
        const location = new URL(res.headers.get('location')!, server.url);
        if (location.href.startsWith(redirectUri)) return location;
        res = await go(location.href);
        continue;
      }
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      const html = await res.text();
      if (html.includes('type="password"')) {
        const form = formOf(html, /\/login$/);
        res = await go(new URL(form.action, server.url).href, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf: form.csrf, email: EMAIL, password: options.password ?? PASSWORD }).toString(),
        });
        continue;
      }
      expect(html).toContain('E2E &#60;Connector&#62;');
      expect(html).toContain('127.0.0.1:');
      expect(html).toContain('>Allow</button>');
      const form = formOf(html, /\/confirm$/);
      res = await go(new URL(form.action, server.url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: form.csrf }).toString(),
      });
    }
    throw new Error(`the sign-in did not end at the client: ${res.status} ${await res.text()}`);
  }

  async function authorize(extra: Record<string, string> = {}) {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const params = {
      client_id: client.client_id,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'cs:read cs:write',
      state,
      resource,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...extra,
    };
    return { verifier, state, location: await signIn(params) };
  }

  const redeem = async (code: URLSearchParams, verifier: string) =>
    oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, clientAuth, code, redirectUri, verifier, { additionalParameters: { resource }, ...insecure }),
    );

  const errorOf = async (attempt: Promise<unknown>) => {
    try {
      await attempt;
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError) return { error: error.error, error_description: error.error_description };
      throw error;
    }
    throw new Error('expected an OAuth error response');
  };

  it('discovers the authorization server from the MCP endpoint 401', async () => {
    const challenge = await fetch(`${server.url}/mcp`, { method: 'POST' });
    expect(challenge.status).toBe(401);
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge.headers.get('www-authenticate')!)![1];
    const prm = await oauth.processResourceDiscoveryResponse(
      new URL(`${server.url}/mcp`),
      await oauth.resourceDiscoveryRequest(new URL(`${server.url}/mcp`), insecure),
    );
    expect(metadataUrl).toBe(`${server.url}/.well-known/oauth-protected-resource/mcp`);
    resource = prm.resource;
    const issuer = new URL(prm.authorization_servers![0]);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    expect(as).toMatchObject({
      issuer: server.url,
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    });
  });

  let refreshToken: string;
  let accessToken: string;

  it('signs in, consents, redeems the code and uses the access token at the MCP endpoint (tools/list and a write)', async () => {
    const { verifier, state, location } = await authorize();
    const params = oauth.validateAuthResponse(as, client, location, state);
    const tokens = await redeem(params, verifier);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('cs:read cs:write');
    accessToken = tokens.access_token;
    refreshToken = tokens.refresh_token!;
    expect(refreshToken).toBeTruthy();

    const { client: mcp } = await connectStreamable(`${server.url}/mcp`, accessToken);
    try {
      const tools = await mcp.listTools();
      expect(tools.tools.map((t) => t.name)).toContain('create_cta');
      const result = await callTool(mcp, 'create_cta', { company_id: book.annCompanies[0], name: 'Signed in through OAuth', type: 'Risk' });
      expect(result.isError).toBeFalsy();
    } finally {
      await mcp.close();
    }
    expect(await store.events.count('CtaCreated', 'name', 'Signed in through OAuth')).toBe(1);
  });

  it('rotates the refresh token; reusing the old one after the grace window is refused and revokes the grant', async () => {
    const rotated = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, insecure));
    expect(rotated.refresh_token).toBeTruthy();
    expect(rotated.refresh_token).not.toBe(refreshToken);
    // Past the grace window for concurrent refreshes (oauth-clients.e2e.spec.ts covers the window itself).
    await new Promise((resolve) => setTimeout(resolve, REFRESH_REUSE_GRACE_MS + 250));

    expect(await errorOf(oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, insecure)))).toEqual({
      error: 'invalid_grant',
      error_description: 'grant request is invalid',
    });
    // The whole grant is gone: the newest refresh token too, and the access tokens of it at the MCP endpoint.
    expect(
      await errorOf(oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, rotated.refresh_token!, insecure))),
    ).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    const refused = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${rotated.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('The access token was revoked');
  });

  it('revokes a refresh token, and with it its grant', async () => {
    const { verifier, state, location } = await authorize();
    const tokens = await redeem(oauth.validateAuthResponse(as, client, location, state), verifier);
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, clientAuth, tokens.refresh_token!, insecure));
    expect(await errorOf(oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, insecure)))).toEqual({
      error: 'invalid_grant',
      error_description: 'grant request is invalid',
    });
    const refused = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(refused.status).toBe(401);
  });

  it('refuses a replayed code, and revokes what the code issued', async () => {
    const { verifier, state, location } = await authorize();
    const params = oauth.validateAuthResponse(as, client, location, state);
    const tokens = await redeem(params, verifier);
    expect(await errorOf(redeem(params, verifier))).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    expect(await errorOf(oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, insecure)))).toEqual({
      error: 'invalid_grant',
      error_description: 'grant request is invalid',
    });
  });

  it('refuses a missing or wrong code verifier', async () => {
    const { verifier, state, location } = await authorize();
    const params = oauth.validateAuthResponse(as, client, location, state);
    expect(await errorOf(redeem(params, oauth.generateRandomCodeVerifier()))).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    expect(verifier).toBeTruthy();

    const second = await authorize();
    const code = oauth.validateAuthResponse(as, client, second.location, second.state).get('code')!;
    const res = await fetch(as.token_endpoint!, {
      method: 'POST',
      headers: { authorization: basic(client.client_id, clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, resource }).toString(),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
  });

  it('refuses plain PKCE, a request without PKCE and an unregistered redirect URI at the authorization endpoint', async () => {
    const ask = async (extra: Record<string, string | null>) => {
      const url = new URL(as.authorization_endpoint!);
      const base: Record<string, string> = {
        client_id: client.client_id,
        response_type: 'code',
        redirect_uri: redirectUri,
        scope: 'cs:read',
        state: 's1',
        resource,
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
      };
      for (const [k, v] of Object.entries({ ...base, ...extra })) if (v !== null) url.searchParams.set(k, v);
      return fetch(url, { redirect: 'manual' });
    };
    const redirected = async (res: Response) => {
      expect(res.status).toBe(303);
      const location = new URL(res.headers.get('location')!);
      expect(location.href.startsWith(redirectUri)).toBe(true);
      expect(location.searchParams.get('iss')).toBe(server.url);
      return { error: location.searchParams.get('error'), error_description: location.searchParams.get('error_description') };
    };
    expect(await redirected(await ask({ code_challenge_method: 'plain' }))).toEqual({ error: 'invalid_request', error_description: 'not supported value of code_challenge_method' });
    expect(await redirected(await ask({ code_challenge: null, code_challenge_method: null }))).toEqual({
      error: 'invalid_request',
      error_description: 'Authorization Server policy requires PKCE to be used for this request',
    });
    // An unregistered redirect URI is never redirected to: an error page instead.
    const foreign = await ask({ redirect_uri: 'https://evil.example/cb' });
    expect(foreign.status).toBe(400);
    expect(foreign.headers.get('location')).toBeNull();
    const page = await foreign.text();
    expect(page).toContain('invalid_redirect_uri');
    expect(page).not.toContain('evil.example');
  });


  it('refuses a sign-in form without the CSRF token, and locks the account after repeated wrong passwords', async () => {
    const go = cookieJarFetch();
    const url = new URL(as.authorization_endpoint!);
    const verifier = oauth.generateRandomCodeVerifier();
    for (const [k, v] of Object.entries({ client_id: client.client_id, response_type: 'code', redirect_uri: redirectUri, scope: 'cs:read', state: 's', resource, code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }))
      url.searchParams.set(k, v);
    const start = await go(url.href);
    const page = await go(new URL(start.headers.get('location')!, server.url).href);
    const form = formOf(await page.text(), /\/login$/);
    const post = (fields: Record<string, string>) =>
      go(new URL(form.action, server.url).href, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

    const forged = await post({ csrf: 'x'.repeat(form.csrf.length), email: EMAIL, password: PASSWORD });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");

    const victim = book.bob.email;
    for (let i = 0; i < 5; i++) {
      const wrong = await post({ csrf: form.csrf, email: victim, password: `wrong password ${i}` });
      expect(wrong.status).toBe(401);
      expect(await wrong.text()).toContain('The email or password is wrong.');
    }
    const locked = await post({ csrf: form.csrf, email: victim, password: 'wrong password 6' });
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain('Too many failed sign-ins for this account.');
    // Only that account: another one still signs in.
    const other = await post({ csrf: form.csrf, email: EMAIL, password: PASSWORD });
    expect(other.status).toBe(303);
  });

  it('answers at the /v1 aliases Copilot Studio is configured with', async () => {
    const res = await fetch(`${server.url}/v1/users/oauth/access/token`, {
      method: 'POST',
      headers: { authorization: basic(client.client_id, clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: redirectUri, code_verifier: oauth.generateRandomCodeVerifier() }).toString(),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    const authorize = await fetch(`${server.url}/v1/authorize?client_id=${client.client_id}&response_type=code&redirect_uri=${encodeURIComponent(redirectUri)}&state=s&code_challenge=${'y'.repeat(43)}&code_challenge_method=S256&scope=cs:read`, { redirect: 'manual' });
    expect(authorize.status).toBe(303);
    expect(authorize.headers.get('location')).toMatch(/^\/oauth\/interaction\/[A-Za-z0-9_-]+$/);
  });
});

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}
