import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import type { Locator, Page } from 'playwright-core';
import { browserSkipReason, launchChromium, type HeadlessBrowser } from '../support/browser';
import { startServerProcess, type ServerProcess } from '../support/cli';
import { connectStreamable } from '../support/mcp-clients';
import { sqliteStore, untilCaughtUp, type McpStore } from '../support/mcp-stack';

/**
 * The built-in authorization server with a real browser in the middle, as a connector's user meets it:
 * oauth4webapi (strict validation) builds the authorization request (PKCE S256, resource = the MCP URL,
 * state), headless Chromium opens it, fills in csmcp's sign-in page, reads the consent page and clicks
 * Allow or Deny, and lands on the client's loopback callback (a node:http server here); oauth4webapi
 * validates that response (iss, state) and redeems the code; the MCP SDK lists the tools with the token.
 * Chromium is /usr/bin/chromium driven by playwright-core: see test/support/browser.ts.
 */
const PASSWORD = 'correct horse battery staple';
const EMAIL = 'bea.browser@example.com';
const CLIENT_NAME = 'E2E Browser <Connector>';
const insecure = { [oauth.allowInsecureRequests]: true } as const;
/** Where the consent page's screenshot goes: the OS temp dir, never the repository. */
const SCREENSHOTS = join(tmpdir(), 'csmcp-e2e-screenshots');

const skipReason = browserSkipReason();
const describeBrowser = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`oauth-browser.e2e: skipped: ${skipReason}`);

describeBrowser(`OAuth sign-in and consent in headless Chromium (csmcp serve)${skipReason ? ` [skipped: ${skipReason}]` : ''}`, () => {
  let store: McpStore;
  let server: ServerProcess;
  let clientApp: ClientApp;
  let as: oauth.AuthorizationServer;
  let client: oauth.Client;
  let clientAuth: oauth.ClientAuth;
  let resource: string;
  let browser: HeadlessBrowser | undefined;

  beforeAll(async () => {
    store = sqliteStore();
    await store.cli(['users', 'add', '--email', EMAIL, '--name', 'Bea Browser', '--role', 'admin', '--password-stdin'], `${PASSWORD}\n`);
    clientApp = await startClientApp();
    const added = JSON.parse(
      await store.cli(['integrations', 'add', '--name', CLIENT_NAME, '--preset', 'custom', '--redirect-uri', clientApp.redirectUri, '--json']),
    ) as { client_id: string; client_secret: string };
    client = { client_id: added.client_id };
    clientAuth = oauth.ClientSecretBasic(added.client_secret);
    server = await startServerProcess(store.env);
    await untilCaughtUp(server.url);

    const mcpUrl = new URL(`${server.url}/mcp`);
    const prm = await oauth.processResourceDiscoveryResponse(mcpUrl, await oauth.resourceDiscoveryRequest(mcpUrl, insecure));
    resource = prm.resource;
    const issuer = new URL(prm.authorization_servers![0]);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  }, 120_000);

  // A fresh Chromium (fresh user-data dir: no csmcp session) for every test.
  beforeEach(async () => {
    browser = await launchChromium();
  }, 60_000);

  afterEach(async () => {
    await browser?.close();
    browser = undefined;
  });

  afterAll(async () => {
    await server?.stop();
    await clientApp?.close();
    await store?.dispose();
  });

  /** What a connector keeps between sending the user off and the callback: the PKCE verifier and the state. */
  async function authorizationRequest(scope = 'cs:read cs:write') {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: client.client_id,
      response_type: 'code',
      redirect_uri: clientApp.redirectUri,
      scope,
      state,
      resource,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    return { url, verifier, state };
  }

  /** Opens the authorization URL and waits for csmcp's sign-in page; checks its security headers. */
  async function openSignIn(page: Page, url: URL) {
    const response = await page.goto(url.href);
    expect(response!.status()).toBe(200);
    expect(new URL(page.url()).origin).toBe(server.url);
    expect(page.url()).toMatch(/\/oauth\/interaction\/[A-Za-z0-9_-]+$/);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['x-frame-options']).toBe('DENY');
    expect(await textOf(page.locator('h1'))).toBe('Sign in to csmcp');
  }

  async function submitSignIn(page: Page, password: string) {
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(password);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
  }

  /** Waits for the consent page (the h1 after sign-in) and checks what it says. */
  async function expectConsentPage(page: Page) {
    await page.locator('h1', { hasText: 'Allow access?' }).waitFor();
    expect(await textOf(page.locator('.client'))).toBe(CLIENT_NAME);
    expect(await textOf(page.locator('.redirect-host'))).toBe(new URL(clientApp.redirectUri).host);
    const scopes = await page.locator('.scopes li').allTextContents();
    expect(scopes).toEqual(['cs:read: read customer-success data you may see', 'cs:write: change customer-success data in your name']);
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    await page.getByRole('button', { name: 'Deny' }).waitFor();
  }

  it('signs in and consents in the browser; oauth4webapi validates the callback and redeems the code; the MCP client lists the tools', async () => {
    const { page } = browser!;
    const { url, verifier, state } = await authorizationRequest();
    await openSignIn(page, url);
    await submitSignIn(page, PASSWORD);

    await expectConsentPage(page);
    // The stylesheet ran under the page's CSP (its hash is allowed), and Allow stands out from Deny.
    type Window = { getComputedStyle(element: unknown): { backgroundColor: string } };
    const look = (name: string) =>
      page.getByRole('button', { name }).evaluate((b) => (globalThis as unknown as Window).getComputedStyle(b).backgroundColor);
    expect(await look('Allow')).toBe('rgb(31, 95, 209)');
    expect(await look('Deny')).toBe('rgb(255, 255, 255)');
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'oauth-consent.png'), fullPage: true });

    const landed = clientApp.callbackFor(state);
    await page.getByRole('button', { name: 'Allow' }).click();
    const callbackUrl = await landed;
    await page.waitForURL((u) => u.href.startsWith(clientApp.redirectUri));
    expect(await textOf(page.locator('body'))).toBe('signed in: you can close this window');

    expect(callbackUrl.searchParams.get('iss')).toBe(server.url);
    const params = oauth.validateAuthResponse(as, client, callbackUrl, state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, clientApp.redirectUri, verifier, {
        additionalParameters: { resource },
        ...insecure,
      }),
    );
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('cs:read cs:write');
    expect(tokens.refresh_token).toBeTruthy();

    const { client: mcp } = await connectStreamable(`${server.url}/mcp`, tokens.access_token);
    try {
      const { tools } = await mcp.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['create_cta', 'search_companies']));
    } finally {
      await mcp.close();
    }
  }, 90_000);

  it('shows the error on the sign-in page for a wrong password, and does not redirect', async () => {
    const { page } = browser!;
    const { url, state } = await authorizationRequest();
    await openSignIn(page, url);
    const signInPage = page.url();
    await submitSignIn(page, 'not the password at all');

    expect(await textOf(page.getByRole('alert'))).toBe('The email or password is wrong.');
    expect(page.url()).toBe(`${signInPage}/login`);
    expect(await textOf(page.locator('h1'))).toBe('Sign in to csmcp');
    await page.getByLabel('Password').waitFor();
    expect(clientApp.hits(state)).toEqual([]);

    // The page re-rendered with its form works: the right password goes on to the consent page.
    await submitSignIn(page, PASSWORD);
    await expectConsentPage(page);
    expect(clientApp.hits(state)).toEqual([]);
  }, 90_000);

  it('returns access_denied to the client when the user clicks Deny', async () => {
    const { page } = browser!;
    const { url, state } = await authorizationRequest();
    await openSignIn(page, url);
    await submitSignIn(page, PASSWORD);
    await expectConsentPage(page);

    const landed = clientApp.callbackFor(state);
    await page.getByRole('button', { name: 'Deny' }).click();
    const callbackUrl = await landed;
    expect(callbackUrl.searchParams.get('error')).toBe('access_denied');
    expect(callbackUrl.searchParams.get('code')).toBeNull();

    let refused: unknown;
    try {
      oauth.validateAuthResponse(as, client, callbackUrl, state);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(oauth.AuthorizationResponseError);
    expect((refused as oauth.AuthorizationResponseError).error).toBe('access_denied');
    expect((refused as oauth.AuthorizationResponseError).error_description).toBe('The user did not allow access');
  }, 90_000);

  it('cannot be framed by another origin: the sign-in page in an <iframe> stays blocked and empty', async () => {
    const { page } = browser!;
    const { url } = await authorizationRequest();
    // The framing page is on the client app's origin (127.0.0.1, another port); as a control it also
    // frames a page of a third origin (localhost) that allows framing, which does render.
    const framed = page.waitForResponse((r) => r.url().startsWith(`${server.url}/oauth/interaction/`));
    const refusal = page.waitForEvent('console', (m) => m.text().includes("frame-ancestors 'none'"));
    await page.goto(clientApp.framingPage(url.href));
    const response = await framed;
    expect(response.status()).toBe(200);
    expect(response.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    // Chromium's own report, on the framing page's console: "Framing '<csmcp>' violates the following
    // Content Security Policy directive: "frame-ancestors 'none'". The request has been blocked."
    expect((await refusal).text()).toMatch(/violates the following Content Security Policy directive: "frame-ancestors 'none'"[\s\S]*blocked/);
    await page.waitForFunction("document.body.dataset.loaded === 'control victim'");

    const victim = page.frame({ name: 'victim' })!;
    const control = page.frame({ name: 'control' })!;
    expect(await textOf(control.locator('p'))).toBe('framed fine');
    // Chromium puts its error document in the blocked frame instead of csmcp's page.
    expect(victim.url()).toBe('chrome-error://chromewebdata/');
    expect(await victim.locator('input[type="password"]').count()).toBe(0);
    expect(await victim.locator('form').count()).toBe(0);
  }, 90_000);
});

/** The connector's side: a loopback callback that captures the query, and a page that frames others. */
interface ClientApp {
  readonly redirectUri: string;
  /** Resolves with the callback URL once the browser brings back this state. Call before the click. */
  callbackFor(state: string): Promise<URL>;
  /** The callbacks seen so far with this state. */
  hits(state: string): URL[];
  framingPage(src: string): string;
  close(): Promise<void>;
}

async function startClientApp(): Promise<ClientApp> {
  const seen: URL[] = [];
  const waiting = new Map<string, (url: URL) => void>();
  let port = 0;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, `http://${req.headers.host}`);
    res.setHeader('Cache-Control', 'no-store');
    if (url.pathname === '/cb') {
      seen.push(url);
      const state = url.searchParams.get('state') ?? '';
      waiting.get(state)?.(url);
      waiting.delete(state);
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      return res.end('signed in: you can close this window');
    }
    if (url.pathname === '/frame') {
      const src = url.searchParams.get('src')!;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      // Both frames report their load event; the blocked one loads an error document.
      return res.end(`<!doctype html><html><body data-loaded="">
<script>function loaded(n){const d=document.body.dataset;d.loaded=(d.loaded?d.loaded.split(' '):[]).concat(n).sort().join(' ');}</script>
<iframe name="victim" onload="loaded('victim')" src="${escapeAttribute(src)}"></iframe>
<iframe name="control" onload="loaded('control')" src="http://localhost:${port}/frameable"></iframe>
</body></html>`);
    }
    if (url.pathname === '/frameable') {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      return res.end('<!doctype html><p>framed fine</p>');
    }
    res.statusCode = 404;
    res.end();
  };
  const server: Server = createServer(handle);
  // Both names of the loopback host: 127.0.0.1 for the redirect URI, localhost for the control frame.
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  return {
    redirectUri: `${base}/cb`,
    callbackFor: (state) => new Promise((resolve) => waiting.set(state, resolve)),
    hits: (state) => seen.filter((u) => u.searchParams.get('state') === state),
    framingPage: (src) => `${base}/frame?src=${encodeURIComponent(src)}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Waits for the element to be visible, then reads its text. */
async function textOf(locator: Locator): Promise<string> {
  await locator.waitFor();
  return ((await locator.textContent()) ?? '').trim();
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
