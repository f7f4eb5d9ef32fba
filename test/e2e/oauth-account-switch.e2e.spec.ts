import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import { startServerProcess, type ServerProcess } from '../support/cli';
import { postgresStore, sqliteStore, untilCaughtUp, type McpStore } from '../support/mcp-stack';
import { cookieJarFetch, formOf } from '../support/oauth-forms';
import { discoverAuthorizationServer } from '../support/oauth-sign-in';

/**
 * Switching accounts in one browser, against a real `csmcp serve`: ann signs in to a connector and
 * allows it; then the connector asks again with prompt=login and bob signs in in the same browser.
 * oidc-provider logs ann out first (her grant for the connector is revoked, through an auto-submitted
 * form) and then resumes bob's sign-in, which needs its interaction: revoking ann's grant must not
 * take the pending interaction with it (it names her grant). Bob ends with his own token; ann's
 * refresh token from that browser is dead.
 */
const PASSWORD = 'correct horse battery staple';
const ANN = 'ann.switch@example.com';
const BOB = 'bob.switch@example.com';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

describe.each([
  ['embedded store', () => sqliteStore()],
  ['PostgreSQL', () => postgresStore('e2e_account_switch')],
] as const)('OAuth sign-in: another account in the same browser (csmcp serve, %s)', (_name, makeStore) => {
  let store: McpStore;
  let server: ServerProcess;
  let callback: Server;
  let redirectUri: string;
  let as: oauth.AuthorizationServer;
  let resource: string;
  let client: oauth.Client;
  let clientAuth: oauth.ClientAuth;
  const userIds = new Map<string, string>();

  beforeAll(async () => {
    store = makeStore();
    for (const [email, name] of [
      [ANN, 'Ann Switch'],
      [BOB, 'Bob Switch'],
    ]) {
      const [added] = JSON.parse(await store.cli(['users', 'add', '--email', email, '--name', name, '--role', 'csm', '--password-stdin', '--json'], `${PASSWORD}\n`)) as Array<{
        user_id: string;
      }>;
      userIds.set(email, added.user_id);
    }
    callback = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/cb`;
    const integration = JSON.parse(await store.cli(['integrations', 'add', '--name', 'Switch Connector', '--preset', 'custom', '--redirect-uri', redirectUri, '--json'])) as {
      client_id: string;
      client_secret: string;
    };
    client = { client_id: integration.client_id };
    clientAuth = oauth.ClientSecretBasic(integration.client_secret);
    server = await startServerProcess(store.env);
    await untilCaughtUp(server.url);
    ({ as, resource } = await discoverAuthorizationServer(server.url));
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await new Promise((resolve) => callback?.close(resolve));
    await store?.dispose();
  });

  /**
   * One authorization request in this browser (its cookie jar), walked as a browser would: the sign-in
   * page posted as `email` (when it is shown), an auto-submitting form posted as its script would,
   * the consent page allowed. The tokens, and the pages met on the way ('sign-in', 'logout', 'consent').
   */
  async function authorize(go: ReturnType<typeof cookieJarFetch>, email: string, extra: Record<string, string> = {}) {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: client.client_id,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'cs:read',
      state,
      resource,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...extra,
    }).toString();
    const pages: string[] = [];
    let res = await go(url.href);
    for (let step = 0; step < 15; step++) {
      if (res.status === 302 || res.status === 303) {
        const location = new URL(res.headers.get('location')!, server.url);
        if (location.href.startsWith(redirectUri)) {
          const params = oauth.validateAuthResponse(as, client, location, state);
          const grant = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri, verifier, { additionalParameters: { resource }, ...insecure });
          return { tokens: await oauth.processAuthorizationCodeResponse(as, client, grant), pages };
        }
        res = await go(location.href);
        continue;
      }
      const html = await res.text();
      if (res.status !== 200) throw new Error(`the sign-in stopped with ${res.status} after ${pages.join(', ') || 'the request'}:\n${html}`);
      const post = (action: string, fields: Record<string, string>) =>
        go(new URL(action, server.url).href, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
      if (html.includes('type="password"')) {
        pages.push('sign-in');
        const form = formOf(html, /\/login$/);
        res = await post(form.action, { csrf: form.csrf, email, password: PASSWORD });
      } else if (html.includes('>Allow</button>')) {
        pages.push('consent');
        const form = formOf(html, /\/confirm$/);
        res = await post(form.action, { csrf: form.csrf });
      } else {
        // oidc-provider's auto-submitting form (the previous account's logout): its hidden fields, posted.
        const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(html);
        if (!form) throw new Error(`an unexpected page after ${pages.join(', ')}:\n${html}`);
        pages.push(new URL(form[1].replace(/&#38;|&amp;/g, '&'), server.url).pathname === '/oauth/session/end/confirm' ? 'logout' : `form ${form[1]}`);
        const fields = Object.fromEntries([...form[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1], m[2]]));
        res = await post(form[1].replace(/&#38;|&amp;/g, '&'), fields);
      }
    }
    throw new Error(`the sign-in did not end at the client after ${pages.join(', ')}`);
  }

  const subjectOf = (accessToken: string) => (JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { sub: string }).sub;

  it("signs bob in with prompt=login where ann's grant is in the browser's session: ann is logged out, bob gets his own token", async () => {
    const browser = cookieJarFetch();
    const first = await authorize(browser, ANN);
    expect(first.pages).toEqual(['sign-in', 'consent']);
    expect(subjectOf(first.tokens.access_token)).toBe(userIds.get(ANN));
    // The browser's session is ann's: a second request asks only for consent (to her grant).
    const again = await authorize(browser, ANN);
    expect(again.pages).toEqual(['consent']);
    expect(subjectOf(again.tokens.access_token)).toBe(userIds.get(ANN));

    const second = await authorize(browser, BOB, { prompt: 'login' });
    expect(second.pages).toEqual(['sign-in', 'logout', 'consent']);
    expect(subjectOf(second.tokens.access_token)).toBe(userIds.get(BOB));
    expect(second.tokens.refresh_token).toEqual(expect.any(String));

    // Logging ann out of this browser revoked her grant: her refresh token is refused, bob's works.
    const refresh = async (token: string) => oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, token, insecure));
    await expect(refresh(first.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(subjectOf((await refresh(second.tokens.refresh_token!)).access_token)).toBe(userIds.get(BOB));
  });
});
