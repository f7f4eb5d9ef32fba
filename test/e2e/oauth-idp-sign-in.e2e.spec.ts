import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import type { Locator } from 'playwright-core';
import { browserSkipReason, launchChromium } from '../support/browser';
import { startServerProcess, type ServerProcess } from '../support/cli';
import { connectStreamable } from '../support/mcp-clients';
import { sqliteStore, untilCaughtUp, type McpStore } from '../support/mcp-stack';
import { cookieJarFetch, formOf } from '../support/oauth-forms';
import { startTestIdentityProvider, type TestIdentityProvider } from '../support/test-identity-provider';

/**
 * Sign-in through the company's identity provider (IDP_*), end to end: the identity provider is a real
 * OpenID Connect server started here (test/support/test-identity-provider.ts: oidc-provider with test
 * accounts, PKCE required, client_secret_post), csmcp runs as `csmcp serve` configured with IDP_ISSUER
 * (discovery). A connector's authorization request reaches csmcp's sign-in page, "Sign in with Corp
 * SSO" goes to the identity provider, its sign-in and consent send the browser back, and csmcp's own
 * consent, code and token follow as after a password. Server A refuses emails it does not know and
 * allows corp.example only; server B creates unknown users as viewers.
 */
const IDP_NAME = 'Corp SSO';
const CONNECTOR = 'IdP E2E Connector';
const ACCOUNTS = {
  ida: { email: 'ida@corp.example', password: 'ida-secret-password', name: 'Ida Idp' },
  nat: { email: 'nat@corp.example', password: 'nat-secret-password', name: 'Nat Newcomer' },
  pat: { email: 'pat@partner.example', password: 'pat-secret-password', name: 'Pat Partner' },
  una: { email: 'una@corp.example', password: 'una-secret-password', name: 'Una Unverified', emailVerified: false },
} as const;
const insecure = { [oauth.allowInsecureRequests]: true } as const;

interface Csmcp {
  readonly store: McpStore;
  readonly server: ServerProcess;
  readonly client: oauth.Client;
  readonly clientAuth: oauth.ClientAuth;
}

const skipReason = browserSkipReason();
if (skipReason) console.warn(`oauth-idp-sign-in.e2e: the browser test is skipped: ${skipReason}`);

describe('Sign-in through the company identity provider (passport-oauth2 against a real OpenID Connect server)', () => {
  let idp: TestIdentityProvider;
  let connector: ConnectorCallback;
  let a: Csmcp;
  let b: Csmcp;

  beforeAll(async () => {
    idp = await startTestIdentityProvider(Object.values(ACCOUNTS));
    connector = await startConnectorCallback();
    const idpEnv = { IDP_NAME, IDP_ISSUER: idp.issuer, IDP_CLIENT_ID: idp.clientId, IDP_CLIENT_SECRET: idp.clientSecret };
    [a, b] = await Promise.all([
      startCsmcp({ ...idpEnv, IDP_ALLOWED_DOMAINS: 'corp.example' }, async (store) => {
        await store.cli(['users', 'add', '--email', 'admin@corp.example', '--name', 'Ada Admin', '--role', 'admin']);
        for (const p of [ACCOUNTS.ida, ACCOUNTS.pat, ACCOUNTS.una]) await store.cli(['users', 'add', '--email', p.email, '--name', p.name, '--role', 'csm']);
      }),
      startCsmcp({ ...idpEnv, IDP_CREATE_USERS: 'viewer' }, async (store) => {
        await store.cli(['users', 'add', '--email', 'admin@corp.example', '--name', 'Ada Admin', '--role', 'admin']);
      }),
    ]);
    await idp.register([`${a.server.url}/oauth/interaction/idp/callback`, `${b.server.url}/oauth/interaction/idp/callback`]);
  }, 180_000);

  afterAll(async () => {
    for (const c of [a, b]) {
      await c?.server.stop();
      await c?.store.dispose();
    }
    await connector?.close();
    await idp?.close();
  });

  async function startCsmcp(env: NodeJS.ProcessEnv, users: (store: McpStore) => Promise<void>): Promise<Csmcp> {
    const store = sqliteStore();
    await users(store);
    const added = JSON.parse(
      await store.cli(['integrations', 'add', '--name', CONNECTOR, '--preset', 'custom', '--redirect-uri', connector.redirectUri, '--json']),
    ) as { client_id: string; client_secret: string };
    const server = await startServerProcess({ ...store.env, ...env });
    await untilCaughtUp(server.url);
    return { store, server, client: { client_id: added.client_id }, clientAuth: oauth.ClientSecretBasic(added.client_secret) };
  }

  /** The connector's authorization request (PKCE S256, state, resource = the MCP URL). */
  async function authorizationRequest(csmcp: Csmcp) {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(`${csmcp.server.url}/oauth/authorize`);
    url.search = new URLSearchParams({
      client_id: csmcp.client.client_id,
      response_type: 'code',
      redirect_uri: connector.redirectUri,
      scope: 'cs:read cs:write',
      state,
      resource: `${csmcp.server.url}/mcp`,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    return { url, verifier, state };
  }

  /** The code for the connector, as oauth4webapi (strict) validates the callback and redeems it. */
  async function redeem(csmcp: Csmcp, callbackUrl: URL, state: string, verifier: string) {
    const as = await oauth.processDiscoveryResponse(
      new URL(csmcp.server.url),
      await oauth.discoveryRequest(new URL(csmcp.server.url), { algorithm: 'oauth2', ...insecure }),
    );
    const params = oauth.validateAuthResponse(as, csmcp.client, callbackUrl, state);
    return oauth.processAuthorizationCodeResponse(
      as,
      csmcp.client,
      await oauth.authorizationCodeGrantRequest(as, csmcp.client, csmcp.clientAuth, params, connector.redirectUri, verifier, {
        additionalParameters: { resource: `${csmcp.server.url}/mcp` },
        ...insecure,
      }),
    );
  }

  (skipReason ? it.skip : it)(
    'in headless Chromium: connector → csmcp sign-in → "Sign in with Corp SSO" → Corp sign-in and consent → csmcp consent → code → token → MCP tools/list',
    async () => {
      const browser = await launchChromium();
      try {
        const { page } = browser;
        const { url, verifier, state } = await authorizationRequest(a);
        await page.goto(url.href);
        expect(await textOf(page.locator('h1'))).toBe('Sign in to csmcp');
        // The identity provider's button beside the password form, which stays.
        await page.getByLabel('Password').waitFor();
        await Promise.all([page.waitForURL((u) => u.href.startsWith(`${idp.issuer}/interaction/`)), page.getByRole('button', { name: `Sign in with ${IDP_NAME}`, exact: true }).click()]);

        expect(await textOf(page.locator('h1'))).toBe('Corp sign-in');
        await page.getByLabel('Email').fill(ACCOUNTS.ida.email);
        await page.getByLabel('Password').fill(ACCOUNTS.ida.password);
        await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in to Corp', exact: true }).click()]);
        expect(await textOf(page.locator('h1'))).toBe('Share your email with csmcp?');
        await page.getByRole('button', { name: 'Continue to csmcp', exact: true }).click();

        // Back at csmcp: its own consent page, exactly as after a password.
        await page.locator('h1', { hasText: 'Allow access?' }).waitFor();
        expect(new URL(page.url()).origin).toBe(a.server.url);
        expect(await textOf(page.locator('.client'))).toBe(CONNECTOR);
        const landed = connector.callbackFor(state);
        await page.getByRole('button', { name: 'Allow', exact: true }).click();
        const callbackUrl = await landed;

        const tokens = await redeem(a, callbackUrl, state, verifier);
        expect(tokens.scope).toBe('cs:read cs:write');
        const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString()) as { sub: string };
        const users = JSON.parse(await a.store.cli(['users', 'list', '--json'])) as Array<{ user_id: string; email: string }>;
        expect(claims.sub).toBe(users.find((u) => u.email === ACCOUNTS.ida.email)!.user_id);

        const { client: mcp } = await connectStreamable(`${a.server.url}/mcp`, tokens.access_token);
        try {
          const { tools } = await mcp.listTools();
          expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['search_companies', 'create_cta']));
        } finally {
          await mcp.close();
        }
        // Neither the identity provider's code nor its access token is in csmcp's log.
        expect(idp.issued.length).toBeGreaterThanOrEqual(2);
        for (const secret of idp.issued) expect(a.server.logs()).not.toContain(secret);
      } finally {
        await browser.close();
      }
    },
    120_000,
  );

  describe('without a browser (a cookie jar per origin)', () => {
    it('sends the user to the identity provider with PKCE S256, a fresh state and csmcp callback URL; an unknown email is then created as a viewer (IDP_CREATE_USERS) and goes on to consent and a token', async () => {
      const agent = new Agent();
      const { url, verifier, state } = await authorizationRequest(b);
      const signIn = await agent.follow(url.href);
      const idpButton = formOf(signIn.body, /\/idp$/);
      const started = await agent.post(new URL(idpButton.action, b.server.url).href, { csrf: idpButton.csrf });
      expect(started.status).toBe(303);
      const authorize = new URL(started.headers.get('location')!);
      expect(`${authorize.origin}${authorize.pathname}`).toBe(`${idp.issuer}/auth`);
      expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
        client_id: idp.clientId,
        response_type: 'code',
        redirect_uri: `${b.server.url}/oauth/interaction/idp/callback`,
        scope: 'openid email profile',
        code_challenge_method: 'S256',
      });
      expect(authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(started.headers.get('set-cookie')).toMatch(/^csmcp_idp=[^;]+; Path=\/oauth\/interaction; Max-Age=600; HttpOnly; SameSite=Lax$/);

      const callback = await agent.signInAtIdp((await agent.follow(authorize.href)).url, ACCOUNTS.nat);
      const consent = await agent.follow(callback);
      expect(consent.status).toBe(200);
      expect(consent.body).toContain('<h1>Allow access?</h1>');
      const allow = formOf(consent.body, /\/confirm$/);
      const back = await agent.post(new URL(allow.action, b.server.url).href, { csrf: allow.csrf }, (u) => u.startsWith(connector.redirectUri));
      const tokens = await redeem(b, new URL(back.url), state, verifier);
      expect(tokens.access_token).toBeTruthy();

      const users = JSON.parse(await b.store.cli(['users', 'list', '--json'])) as Array<{ email: string; name: string; role: string }>;
      expect(users.find((u) => u.email === ACCOUNTS.nat.email)).toMatchObject({ name: ACCOUNTS.nat.name, role: 'viewer' });
      expect(await b.store.events.count('UserRegistered', 'email', ACCOUNTS.nat.email)).toBe(1);
      for (const secret of idp.issued) expect(b.server.logs()).not.toContain(secret);
    }, 60_000);

    it('refuses an email csmcp does not know (UNKNOWN_USER, 403), creates no user, and leads back to the sign-in page', async () => {
      const agent = new Agent();
      const { url, state } = await authorizationRequest(a);
      const signInPage = await agent.follow(url.href);
      const refused = await agent.follow(await agent.signInAtIdp(await agent.startIdp(signInPage, a), ACCOUNTS.nat));
      expectRefusal(refused, 403, 'UNKNOWN_USER', `You signed in to ${IDP_NAME} as nat@corp.example, but csmcp has no user with that email address.`);
      expect(await a.store.events.count('UserRegistered', 'email', ACCOUNTS.nat.email)).toBe(0);
      expect(connector.hits(state)).toEqual([]);
      await untilLogged(a.server, /"msg":"Sign-in through the identity provider refused","code":"UNKNOWN_USER","email":"nat@corp.example"/);

      // The interaction is still there: the link goes back to the sign-in page.
      const link = /<a href="([^"]+)">Back to sign-in<\/a>/.exec(refused.body)![1];
      expect(link).toBe(new URL(signInPage.url).pathname);
      const again = await agent.follow(new URL(link, a.server.url).href);
      expect(again.status).toBe(200);
      expect(again.body).toContain('<h1>Sign in to csmcp</h1>');
    }, 60_000);

    it('refuses a csmcp user whose email domain is not allowed (DOMAIN_NOT_ALLOWED, 403)', async () => {
      const agent = new Agent();
      const { url } = await authorizationRequest(a);
      const refused = await agent.follow(await agent.signInAtIdp(await agent.startIdp(await agent.follow(url.href), a), ACCOUNTS.pat));
      expectRefusal(refused, 403, 'DOMAIN_NOT_ALLOWED', `Accounts of partner.example may not sign in to csmcp through ${IDP_NAME}; allowed: corp.example.`);
    }, 60_000);

    it('refuses an email the identity provider says is not verified (EMAIL_NOT_VERIFIED, 403)', async () => {
      const agent = new Agent();
      const { url } = await authorizationRequest(a);
      const refused = await agent.follow(await agent.signInAtIdp(await agent.startIdp(await agent.follow(url.href), a), ACCOUNTS.una));
      expectRefusal(refused, 403, 'EMAIL_NOT_VERIFIED', `${IDP_NAME} says the email address una@corp.example is not verified.`);
    }, 60_000);

    it('refuses a callback whose state was tampered with (STATE_MISMATCH, 403) without ending the real sign-in, whose own callback then goes on', async () => {
      const agent = new Agent();
      const { url } = await authorizationRequest(a);
      const callback = new URL(await agent.signInAtIdp(await agent.startIdp(await agent.follow(url.href), a), ACCOUNTS.ida));
      const tampered = new URL(callback);
      tampered.searchParams.set('state', `${callback.searchParams.get('state')!.slice(0, -4)}AAAA`);
      expectRefusal(await agent.follow(tampered.href), 403, 'STATE_MISMATCH', 'does not belong to the sign-in this browser started');

      const genuine = await agent.follow(callback.href);
      expect(genuine.status).toBe(200);
      expect(genuine.body).toContain('<h1>Allow access?</h1>');
    }, 60_000);

    it('refuses a callback naming another issuer (ISSUER_MISMATCH, 403), and a replay of a callback whose code was used (TOKEN_REFUSED by the identity provider, 502)', async () => {
      const agent = new Agent();
      const { url } = await authorizationRequest(a);
      const callback = new URL(await agent.signInAtIdp(await agent.startIdp(await agent.follow(url.href), a), ACCOUNTS.pat));
      expect(callback.searchParams.get('iss')).toBe(idp.issuer);
      const mixedUp = new URL(callback);
      mixedUp.searchParams.set('iss', 'https://evil.example');
      expectRefusal(await agent.follow(mixedUp.href), 403, 'ISSUER_MISMATCH', `This answer comes from another server than ${IDP_NAME}, so it was not used.`);

      // The code is redeemed once (then pat's domain is refused); the same callback again reaches the
      // identity provider's token endpoint, which refuses the used code.
      expectRefusal(await agent.follow(callback.href), 403, 'DOMAIN_NOT_ALLOWED', 'Accounts of partner.example may not sign in');
      expectRefusal(await agent.follow(callback.href), 502, 'TOKEN_REFUSED', `${IDP_NAME} refused to complete the sign-in (invalid_grant)`);
    }, 60_000);

    it('refuses the callback in a browser that did not start the sign-in (SIGN_IN_EXPIRED, 400), and one without code or error (NOT_A_CALLBACK, 400)', async () => {
      const agent = new Agent();
      const { url } = await authorizationRequest(a);
      const callback = await agent.signInAtIdp(await agent.startIdp(await agent.follow(url.href), a), ACCOUNTS.ida);
      expectRefusal(await new Agent().follow(callback), 400, 'SIGN_IN_EXPIRED', 'No sign-in through your identity provider is under way in this browser');
      expectRefusal(await agent.follow(`${a.server.url}/oauth/interaction/idp/callback?state=x`), 400, 'NOT_A_CALLBACK', `This page is where ${IDP_NAME} sends you back`);
    }, 60_000);

    it('shows the identity provider cancel as a refusal (IDP_DENIED, 403) and returns nothing to the connector', async () => {
      const agent = new Agent();
      const { url, state } = await authorizationRequest(a);
      const login = await agent.startIdp(await agent.follow(url.href), a);
      const cancelled = await agent.post(`${login}/cancel`, {}, (u) => u.startsWith(`${a.server.url}/oauth/interaction/idp/callback`));
      expect(new URL(cancelled.url).searchParams.get('error')).toBe('access_denied');
      expectRefusal(await agent.follow(cancelled.url), 403, 'IDP_DENIED', `${IDP_NAME} did not sign you in (access_denied)`);
      expect(connector.hits(state)).toEqual([]);
    }, 60_000);
  });

  function expectRefusal(page: Page, status: number, code: string, text: string) {
    expect({ status: page.status, code: /Reason: <code>([A-Z_]+)<\/code>/.exec(page.body)?.[1] }).toEqual({ status, code });
    expect(page.body).toContain('<h1>Sign-in refused</h1>');
    expect(page.body.replace(/&#39;/g, "'")).toContain(text);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  }

  interface Page {
    readonly url: string;
    readonly status: number;
    readonly headers: Headers;
    readonly body: string;
  }

  /** A browser without a browser: one cookie jar per origin (csmcp and the identity provider use the same cookie names), redirects followed by hand. */
  class Agent {
    private readonly jars = new Map<string, ReturnType<typeof cookieJarFetch>>();

    fetch(url: string, init?: RequestInit): Promise<Response> {
      const origin = new URL(url).origin;
      if (!this.jars.has(origin)) this.jars.set(origin, cookieJarFetch());
      return this.jars.get(origin)!(url, init);
    }

    /** GETs `url` and follows redirects; stops (without visiting) at a URL `stop` accepts. */
    async follow(url: string, stop?: (url: string) => boolean, first?: Response): Promise<Page> {
      let current = url;
      let res = first ?? (await this.fetch(current));
      for (let hops = 0; [302, 303].includes(res.status); hops++) {
        if (hops > 15) throw new Error(`too many redirects from ${url}`);
        current = new URL(res.headers.get('location')!, current).href;
        if (stop?.(current)) return { url: current, status: 0, headers: new Headers(), body: '' };
        res = await this.fetch(current);
      }
      return { url: current, status: res.status, headers: res.headers, body: await res.text() };
    }

    /** POSTs a form; with `stop`, follows its redirects. */
    async post(url: string, form: Record<string, string>, stop?: (url: string) => boolean): Promise<Page & { headers: Headers }> {
      const res = await this.fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
      if (!stop) return { url, status: res.status, headers: res.headers, body: await res.text() };
      return this.follow(url, stop, res);
    }

    /** "Sign in with Corp SSO" on csmcp's sign-in page: the identity provider's sign-in page URL. */
    async startIdp(signInPage: Page, csmcp: Csmcp): Promise<string> {
      expect(signInPage.body).toContain(`>Sign in with ${IDP_NAME}</button>`);
      const button = formOf(signInPage.body, /\/idp$/);
      const login = await this.post(new URL(button.action, csmcp.server.url).href, { csrf: button.csrf }, () => false);
      expect(login.body).toContain('<h1>Corp sign-in</h1>');
      return login.url;
    }

    /** Signs in at the identity provider and consents: the callback URL it sends the browser to (not visited). */
    async signInAtIdp(loginUrl: string, account: { email: string; password: string }): Promise<string> {
      const consent = await this.post(`${loginUrl}/login`, { email: account.email, password: account.password }, () => false);
      expect(consent.body).toContain('<h1>Share your email with csmcp?</h1>');
      const back = await this.post(`${consent.url}/consent`, {}, (u) => u.includes('/oauth/interaction/idp/callback'));
      return back.url;
    }
  }
});

/** The connector's callback: a loopback page that records what the browser brings back. */
interface ConnectorCallback {
  readonly redirectUri: string;
  callbackFor(state: string): Promise<URL>;
  hits(state: string): URL[];
  close(): Promise<void>;
}

async function startConnectorCallback(): Promise<ConnectorCallback> {
  const seen: URL[] = [];
  const waiting = new Map<string, (url: URL) => void>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, `http://${req.headers.host}`);
    seen.push(url);
    const state = url.searchParams.get('state') ?? '';
    waiting.get(state)?.(url);
    waiting.delete(state);
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end('signed in: you can close this window');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    redirectUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`,
    callbackFor: (state) => new Promise((resolve) => waiting.set(state, resolve)),
    hits: (state) => seen.filter((u) => u.searchParams.get('state') === state),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The server writes its log asynchronously (pino): waits for the line rather than reading too early. */
async function untilLogged(server: ServerProcess, line: RegExp): Promise<void> {
  for (let i = 0; !line.test(server.logs()); i++) {
    if (i > 200) throw new Error(`the server did not log ${line} within 10 s:\n${server.logs().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function textOf(locator: Locator): Promise<string> {
  await locator.waitFor();
  return ((await locator.textContent()) ?? '').trim();
}
