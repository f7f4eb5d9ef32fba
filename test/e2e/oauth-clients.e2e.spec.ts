import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import { REFRESH_REUSE_GRACE_MS } from '../../src/auth/oauth-server/provider-configuration';
import { startServerProcess, type ServerProcess } from '../support/cli';
import { connectStreamable } from '../support/mcp-clients';
import { seedBook, sqliteStore, untilCaughtUp, type McpStore } from '../support/mcp-stack';
import { cookieJarFetch, formOf } from '../support/oauth-forms';

/**
 * The built-in authorization server's kinds of clients, against a real `csmcp serve`, driven with
 * oauth4webapi: a confidential integration that authenticates with client_secret_post (or Basic), a public
 * client registered dynamically (RFC 7591), parallel redemptions of one code, the client-credentials
 * grant of a shared machine integration, and the refresh grace window for concurrent refreshes
 * (REFRESH_REUSE_GRACE_MS: the one test here that waits on wall time, only past the window's end).
 */
const PASSWORD = 'correct horse battery staple';
const EMAIL = 'carl.clients@example.com';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

describe('OAuth clients (csmcp serve)', () => {
  let store: McpStore;
  let server: ServerProcess;
  let callback: Server;
  let redirectUri: string;
  let as: oauth.AuthorizationServer;
  let resource: string;
  /** An admin-registered confidential integration that sends its secret in the body. */
  let postClient: oauth.Client;
  let postSecret: string;
  /** A shared-context machine integration (client credentials only). */
  let machine: { client_id: string; client_secret: string };

  beforeAll(async () => {
    store = sqliteStore();
    await seedBook(store, 4);
    await store.cli(['users', 'add', '--email', EMAIL, '--name', 'Carl Clients', '--role', 'csm', '--password-stdin'], `${PASSWORD}\n`);
    callback = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/cb`;
    const post = JSON.parse(
      await store.cli(['integrations', 'add', '--name', 'Post Connector', '--preset', 'custom', '--redirect-uri', redirectUri, '--auth-method', 'client_secret_post', '--json']),
    ) as { client_id: string; client_secret: string; token_endpoint_auth_method: string };
    expect(post.token_endpoint_auth_method).toBe('client_secret_post');
    postClient = { client_id: post.client_id };
    postSecret = post.client_secret;
    machine = JSON.parse(
      await store.cli(['integrations', 'add', '--name', 'Nightly Sync', '--preset', 'custom', '--access', 'shared', '--grant-types', 'client_credentials', '--scopes', 'cs:read', '--json']),
    ) as { client_id: string; client_secret: string };
    server = await startServerProcess(store.env);
    await untilCaughtUp(server.url);

    const prm = await oauth.processResourceDiscoveryResponse(
      new URL(`${server.url}/mcp`),
      await oauth.resourceDiscoveryRequest(new URL(`${server.url}/mcp`), insecure),
    );
    resource = prm.resource;
    const issuer = new URL(prm.authorization_servers![0]);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await new Promise((resolve) => callback?.close(resolve));
    await store?.dispose();
  });

  /** Authorization request → sign-in → consent (naming `clientName`) → the redirect to `redirectTo`. */
  async function signIn(params: Record<string, string>, clientName: string, redirectTo: string): Promise<URL> {
    const go = cookieJarFetch();
    const url = new URL(as.authorization_endpoint!);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    let res = await go(url.href);
    for (let step = 0; step < 10; step++) {
      if (res.status === 302 || res.status === 303) {
        const location = new URL(res.headers.get('location')!, server.url);
        if (location.href.startsWith(redirectTo)) return location;
        res = await go(location.href);
        continue;
      }
      expect(res.status).toBe(200);
      const html = await res.text();
      if (html.includes('type="password"')) {
        const form = formOf(html, /\/login$/);
        res = await go(new URL(form.action, server.url).href, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf: form.csrf, email: EMAIL, password: PASSWORD }).toString(),
        });
        continue;
      }
      expect(html).toContain(clientName);
      const form = formOf(html, /\/confirm$/);
      res = await go(new URL(form.action, server.url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: form.csrf }).toString(),
      });
    }
    throw new Error(`the sign-in did not end at the client: ${res.status} ${await res.text()}`);
  }

  /** Signs in for `client` and returns the authorization response's parameters and the PKCE verifier. */
  async function authorize(client: oauth.Client, clientName: string, redirectTo = redirectUri) {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const location = await signIn(
      {
        client_id: client.client_id,
        response_type: 'code',
        redirect_uri: redirectTo,
        scope: 'cs:read cs:write',
        state,
        resource,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      },
      clientName,
      redirectTo,
    );
    return { verifier, params: oauth.validateAuthResponse(as, client, location, state) };
  }

  const redeem = async (client: oauth.Client, auth: oauth.ClientAuth, params: URLSearchParams, verifier: string, redirectTo = redirectUri) =>
    oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectTo, verifier, { additionalParameters: { resource }, ...insecure }),
    );

  const refresh = async (client: oauth.Client, auth: oauth.ClientAuth, refreshToken: string) =>
    oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, insecure));

  const errorOf = async (attempt: Promise<unknown>) => {
    try {
      await attempt;
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError) return { error: error.error, error_description: error.error_description };
      // A 401 with a WWW-Authenticate challenge (a refused client authentication by Basic): its body.
      if (error instanceof oauth.WWWAuthenticateChallengeError) {
        const body = (await error.response.json()) as { error: string; error_description: string };
        return { error: body.error, error_description: body.error_description };
      }
      throw error;
    }
    throw new Error('expected an OAuth error response');
  };

  const toolNames = async (accessToken: string) => {
    const { client: mcp } = await connectStreamable(`${server.url}/mcp`, accessToken);
    try {
      return (await mcp.listTools()).tools.map((t) => t.name);
    } finally {
      await mcp.close();
    }
  };

  it('takes a confidential integration\'s secret in the body or by Basic (connectors differ), and refuses a wrong one without using the code up', async () => {
    const { verifier, params } = await authorize(postClient, 'Post Connector');
    expect(await errorOf(redeem(postClient, oauth.ClientSecretBasic(`${postSecret}x`), params, verifier))).toEqual({
      error: 'invalid_client',
      error_description: 'client authentication failed',
    });
    expect(await errorOf(redeem(postClient, oauth.ClientSecretPost('csmcp_sec_wrong'), params, verifier))).toEqual({
      error: 'invalid_client',
      error_description: 'client authentication failed',
    });
    const tokens = await redeem(postClient, oauth.ClientSecretPost(postSecret), params, verifier);
    expect(tokens.scope).toBe('cs:read cs:write');
    expect(tokens.refresh_token).toBeTruthy();
    expect(await toolNames(tokens.access_token)).toContain('create_cta');
    // Registered for client_secret_post, refreshed by Basic: the same secret, accepted.
    const refreshed = await refresh(postClient, oauth.ClientSecretBasic(postSecret), tokens.refresh_token!);
    expect(refreshed.access_token).toBeTruthy();
    expect((await refresh(postClient, oauth.ClientSecretPost(postSecret), refreshed.refresh_token!)).access_token).toBeTruthy();
  });

  describe('Dynamic Client Registration (RFC 7591)', () => {
    const register = async (metadata: Partial<oauth.Client>) =>
      oauth.processDynamicClientRegistrationResponse(await oauth.dynamicClientRegistrationRequest(as, metadata, insecure));

    it('registers a public client with a loopback redirect, which signs in, redeems with PKCE alone and lists the MCP tools', async () => {
      const registered = await register({
        client_name: 'Dyn Desktop',
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      });
      expect(registered).toMatchObject({ client_id: expect.any(String), token_endpoint_auth_method: 'none', redirect_uris: [redirectUri], application_type: 'native' });
      expect(registered).not.toHaveProperty('client_secret');
      const client: oauth.Client = { client_id: registered.client_id, token_endpoint_auth_method: 'none' };
      // A loopback redirect may use another port than the registered one (RFC 8252 §7.3).
      const otherPort = redirectUri.replace(/:(\d+)\//, (_m, port: string) => `:${Number(port) === 65535 ? 65534 : Number(port) + 1}/`);
      const { verifier, params } = await authorize(client, 'Dyn Desktop', otherPort);
      const tokens = await redeem(client, oauth.None(), params, verifier, otherPort);
      expect(tokens.scope).toBe('cs:read cs:write');
      expect(await toolNames(tokens.access_token)).toContain('search_companies');
      expect((await refresh(client, oauth.None(), tokens.refresh_token!)).access_token).toBeTruthy();
    });

    it.each([
      ['javascript:', 'javascript:alert(1)'],
      ['non-loopback http', 'http://evil.example/cb'],
    ])('refuses a %s redirect URI with invalid_redirect_uri', async (_kind, uri) => {
      const refused = await errorOf(register({ client_name: 'Bad', redirect_uris: [uri], token_endpoint_auth_method: 'none' }));
      expect(refused.error).toBe('invalid_redirect_uri');
    });
  });

  it('gives tokens to exactly one of two parallel redemptions of one code; the other gets invalid_grant', async () => {
    const auth = oauth.ClientSecretPost(postSecret);
    const { verifier, params } = await authorize(postClient, 'Post Connector');
    const outcomes = await Promise.all(
      [0, 1].map(async () => {
        try {
          return { tokens: await redeem(postClient, auth, params, verifier) };
        } catch (error) {
          if (error instanceof oauth.ResponseBodyError) return { error: error.error };
          throw error;
        }
      }),
    );
    expect(outcomes.filter((o) => 'tokens' in o)).toHaveLength(1);
    expect(outcomes.filter((o) => 'error' in o)).toEqual([{ error: 'invalid_grant' }]);
  });

  it('refreshes twice with one refresh token within the grace window without revoking; a reuse after the window revokes the grant', async () => {
    const auth = oauth.ClientSecretPost(postSecret);
    const { verifier, params } = await authorize(postClient, 'Post Connector');
    const first = await redeem(postClient, auth, params, verifier);
    // Two concurrent refreshes (a client with two requests in flight): both rotate, to distinct, valid tokens.
    const [a, b] = await Promise.all([refresh(postClient, auth, first.refresh_token!), refresh(postClient, auth, first.refresh_token!)]);
    // The server recorded the first use before answering: from here on, the window can only have run shorter.
    const answeredAt = Date.now();
    expect(new Set([first.refresh_token, a.refresh_token, b.refresh_token]).size).toBe(3);
    const a2 = await refresh(postClient, auth, a.refresh_token!);
    expect(await toolNames(b.access_token)).toContain('search_companies');
    expect(await toolNames(a2.access_token)).toContain('search_companies');

    // After the window (wall time: waiting longer can only make a reuse later, never hide one), the
    // first refresh token is a replay: refused, and the grant with every token of it is revoked.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, answeredAt + REFRESH_REUSE_GRACE_MS + 250 - Date.now())));
    expect(await errorOf(refresh(postClient, auth, first.refresh_token!))).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    expect(await errorOf(refresh(postClient, auth, b.refresh_token!))).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    expect(await errorOf(refresh(postClient, auth, a2.refresh_token!))).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    const refused = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${a2.access_token}` } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('The access token was revoked');
  });

  it('issues a client-credentials token to a shared machine integration, which the MCP endpoint accepts', async () => {
    const client: oauth.Client = { client_id: machine.client_id };
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(machine.client_secret), { scope: 'cs:read', resource }, insecure),
    );
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'cs:read', expires_in: 1800 });
    expect(tokens.refresh_token).toBeUndefined();
    const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: machine.client_id, client_id: machine.client_id, aud: resource, ctx: 'shared', scope: 'cs:read' });
    expect(await errorOf(
      oauth.processClientCredentialsResponse(as, client, await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(machine.client_secret), { scope: 'cs:write', resource }, insecure)),
    )).toMatchObject({ error: 'invalid_scope' });

    // The token stands for the integration itself (test/e2e/oauth-machine-client.e2e.spec.ts goes further).
    const accepted = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'm', version: '1' } } }),
    });
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get('mcp-session-id')).toEqual(expect.any(String));
  });
});
