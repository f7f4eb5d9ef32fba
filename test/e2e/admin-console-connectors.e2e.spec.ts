import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { loadConfig, type AppConfig } from '../../src/config/config';
import { startServer, type RunningServer } from '../../src/server';
import { browserSkipReason, launchChromium, type HeadlessBrowser } from '../support/browser';
import { runCli } from '../support/cli';
import { startLegacySseServer, startOAuthMcpServer, type LegacySseServer, type OAuthMcpServer } from '../support/external-mcp-servers';
import { pngFacts } from '../support/png';
import { embeddedStackEnv } from '../support/embedded-stack-env';

/**
 * The admin console's Connectors page (issue 7) in headless Chromium against a real csmcp (in this
 * process, listening on the port its PUBLIC_URL names, so the provider's redirect reaches its
 * connector callback) and two external MCP servers built with the SDK: a legacy HTTP+SSE one without
 * authentication and a Streamable HTTP one behind its own OAuth authorization server. The admin signs
 * in through the console's own OAuth flow, then: a bad URL refused in the API's words; a connector
 * without auth registered and tested (its external tools listed); an OAuth one registered (only the
 * fields its auth needs, the redirect URI to copy, "not authorised"), authorised in a new tab through
 * the provider and csmcp's callback, then tested; a brief source added (its tools listed first), a
 * bad template refused, the source removed; a connector removed after confirming. Every page is
 * screenshotted into test/e2e/__screenshots__/admin-console-connectors (gitignored) and checked (a PNG
 * of the viewport's width, not blank), with no Content Security Policy violation.
 */
jest.setTimeout(120_000);

const PASSWORD = 'a long passphrase for the console';
const ADMIN = 'ada.admin@example.com';
const ANN = 'ann@example.com';
const SCREENSHOTS = join(__dirname, '__screenshots__', 'admin-console-connectors');
const VIEWPORT = { width: 1280, height: 800 };

// What page.evaluate's functions use in the browser (this file is compiled without the DOM library).
declare const sessionStorage: { getItem(key: string): string | null };
declare const navigator: { clipboard: { readText(): Promise<string> } };


const skipReason = browserSkipReason();
const describeBrowser = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`admin-console-connectors.e2e: skipped: ${skipReason}`);

describeBrowser(`the admin console's Connectors page in headless Chromium${skipReason ? ` [skipped: ${skipReason}]` : ''}`, () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let config: AppConfig;
  let csmcp: RunningServer;
  let oauth: OAuthMcpServer;
  let legacy: LegacySseServer;
  let browser: HeadlessBrowser;
  let page: Page;
  /** What the pages reported about Content Security Policy: must stay empty. */
  const cspViolations: string[] = [];

  const cli = async (args: string[], input?: string) => {
    const result = await runCli(args, env, input);
    if (result.code !== 0) throw new Error(`csmcp ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
    return result.stdout;
  };

  beforeAll(async () => {
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'csmcp-console-connectors-e2e-'));
    env = await embeddedStackEnv(dir);
    config = loadConfig({ ...(env as Record<string, string>), LOG_LEVEL: 'silent' });
    [oauth, legacy] = await Promise.all([startOAuthMcpServer(), startLegacySseServer()]);
    await cli(['users', 'add', '--email', ADMIN, '--name', 'Ada Admin', '--role', 'admin']);
    await cli(['users', 'set-password', '--email', ADMIN, '--password-stdin'], `${PASSWORD}\n`);
    await cli(['users', 'add', '--email', ANN, '--name', 'Ann', '--role', 'csm']);
    csmcp = await startServer(config);

    browser = await launchChromium();
    page = browser.page;
    await page.setViewportSize(VIEWPORT);
    page.setDefaultTimeout(20_000);
    // The copy button's result, read back from the clipboard.
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: config.publicUrl! });
    browser.context.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await csmcp?.close();
    await oauth?.close();
    await legacy?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(cspViolations).toEqual([]);
  });

  /** The page as it is now, into the screenshots folder; checked to be a real, non-blank render. */
  async function screenshot(name: string): Promise<void> {
    const file = join(SCREENSHOTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    const png = pngFacts(readFileSync(file));
    expect(png.width).toBe(VIEWPORT.width);
    expect(png.height).toBeGreaterThanOrEqual(VIEWPORT.height);
    // A blank page is one colour; text, tables and buttons are many.
    expect(png.colours).toBeGreaterThan(20);
  }

  const heading = () => page.locator('main h1').first();
  const registerForm = () => page.getByRole('form', { name: 'Register a connector' });
  const sourceForm = () => page.getByRole('form', { name: 'Add a brief source' });

  /** The admin API as the console calls it, with the console's own token. */
  async function adminApi(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const stored = await page.evaluate(() => sessionStorage.getItem('csmcp.console.session'));
    const token = (JSON.parse(stored!) as { accessToken: string }).accessToken;
    const res = await fetch(`${csmcp.url}/admin/api${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  async function openConnectors(): Promise<void> {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Connectors' }).click();
    await heading().filter({ hasText: /^Connectors$/ }).waitFor();
    await page.waitForURL(`${config.publicUrl}/admin/connectors`);
  }

  /** Clicks an Authorise button: the provider's page opens in a new tab and sends the browser back to csmcp's callback. */
  async function authoriseInNewTab(click: () => Promise<void>, who: string): Promise<void> {
    const opened = browser.context.waitForEvent('page');
    await click();
    const tab = await opened;
    await tab.waitForURL((url) => url.href.startsWith(`${config.publicUrl}/connectors/oauth/callback?`));
    await tab.getByText(`csmcp can now use connector desk for ${who}. You can close this window.`).waitFor();
    // The console's tab is out of its reach.
    expect(await tab.evaluate(() => (globalThis as unknown as { opener: unknown }).opener)).toBeNull();
    await tab.close();
  }

  it('signs the admin in and shows Connectors in the navigation: none registered, the register form open', async () => {
    await page.goto(`${config.publicUrl}/admin`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('h1', { hasText: 'Sign in to csmcp' }).waitFor();
    await page.getByLabel('Email').fill(ADMIN);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${config.publicUrl}/admin/integrations`);
    await openConnectors();
    await page.getByText('No connector is registered yet.').waitFor();
    await page.getByText('No brief source yet: briefs hold csmcp\'s own account summary only.').waitFor();
    expect(await registerForm().isVisible()).toBe(true);
    await page.getByText('Register a connector first to add a brief source.').waitFor();
    await screenshot('01-connectors-empty');
  });

  it("shows a URL the API refuses in the API's own words", async () => {
    const url = `http://127.0.0.1:${legacy.port}/sse`;
    await registerForm().locator('input[name="name"]').fill('internal');
    await registerForm().getByLabel('Server URL').fill(url);
    await registerForm().getByRole('button', { name: 'Register connector' }).click();
    const alert = registerForm().getByRole('alert');
    await alert.waitFor();
    // Exactly what the admin API says to the same request (refused, so nothing registered either time).
    const refused = await adminApi('POST', '/connectors', { name: 'internal', url, transport: 'auto', auth: 'none' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('url uses plain http: only allowed for a host inside your network that an admin allowed');
    expect(await alert.textContent()).toBe(refused.body.error.message);
    // The form keeps what was typed, to correct.
    expect(await registerForm().getByLabel('Server URL').inputValue()).toBe(url);
    await screenshot('02-connector-refused');
    expect((await adminApi('GET', '/connectors')).body.connectors).toEqual([]);
  });

  it('registers a connector without auth (legacy SSE) and tests it: the external tools', async () => {
    const form = registerForm();
    await form.locator('input[name="name"]').fill('crm');
    await form.getByLabel('Server URL').fill(legacy.url);
    await form.locator('select[name="transport"]').selectOption('sse');
    await form.locator('select[name="auth"]').selectOption('none');
    // Without OAuth, none of its fields.
    expect(await form.locator('input[name="client_id"], input[name="client_secret"], input[name="scopes"], input[name="authorization_scope"]').count()).toBe(0);
    await form.getByLabel(/Allowed private hosts/).fill(`127.0.0.1:${legacy.port}`);
    await form.getByRole('button', { name: 'Register connector' }).click();
    await page.getByRole('heading', { name: 'Connector crm registered' }).waitFor();
    // No redirect URI for a connector nobody signs in to.
    expect(await page.getByTestId('redirect-uri').count()).toBe(0);
    const row = page.getByTestId('connectors').locator('tr', { hasText: 'crm' });
    await row.waitFor();
    expect(await row.locator('td').allTextContents()).toEqual(['crm', legacy.url, 'sse', 'none', 'no authorisation needed', 'company-wide', expect.stringMatching(/ UTC$/)]);
    await screenshot('03-connector-registered');

    await page.getByRole('link', { name: 'test the connection to crm' }).click();
    await heading().filter({ hasText: /^crm$/ }).waitFor();
    expect(await page.getByTestId('connector-url').textContent()).toBe(legacy.url);
    // No authorizations section without OAuth.
    expect(await page.getByRole('heading', { name: 'Authorizations' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Test connection' }).click();
    const report = page.getByTestId('test-report');
    await report.waitFor();
    // The protocol version is whatever the SDK agreed.
    expect(await report.getByRole('status').textContent()).toMatch(/^Connected to legacy-crm 0\.9\.0 over sse \(protocol \d{4}-\d{2}-\d{2}\), without authentication: 1 tool\.$/);
    expect(await page.getByTestId('external-tools').locator('tbody tr').allTextContents()).toEqual(['list_accountsAccounts in the old CRM']);
    await screenshot('04-connector-tested');
  });

  it('registers an OAuth connector: only its fields, the redirect URI to copy, not authorised; authorising opens the provider in a new tab', async () => {
    await openConnectors();
    await page.getByText('Register a connector', { exact: true }).click();
    const form = registerForm();
    await form.locator('input[name="name"]').waitFor();
    // A client from the provider's portal: its client id, secret and grant; OAuth's scopes and authorization scope.
    await form.locator('select[name="auth"]').selectOption('oauth_client');
    await form.getByRole('textbox', { name: 'Client ID', exact: true }).waitFor();
    await form.locator('select[name="grant"]').waitFor();
    expect(await form.locator('input[name="client_secret"]').getAttribute('type')).toBe('password');
    await form.getByLabel(/Scopes/).waitFor();
    // csmcp registering itself: no client id or secret to type.
    await form.locator('select[name="auth"]').selectOption('oauth_dynamic');
    await form.locator('input[name="client_id"]').waitFor({ state: 'detached' });
    expect(await form.locator('input[name="client_secret"]').count()).toBe(0);
    await form.getByLabel(/Company-wide/).waitFor();

    await form.locator('input[name="name"]').fill('desk');
    await form.getByLabel('Server URL').fill(oauth.url);
    await form.locator('select[name="transport"]').selectOption('streamable_http');
    await form.getByLabel(/Allowed private hosts/).fill(`127.0.0.1:${oauth.port}`);
    await form.getByRole('button', { name: 'Register connector' }).click();
    await page.getByRole('heading', { name: 'Connector desk registered' }).waitFor();
    const redirectUri = `${config.publicUrl}/connectors/oauth/callback`;
    expect(await page.getByTestId('redirect-uri').textContent()).toBe(redirectUri);
    expect((await adminApi('GET', '/connectors/desk')).body.redirect_uri).toBe(redirectUri);
    await page.getByRole('button', { name: 'Copy redirect URI' }).click();
    await page.getByText('Copied.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(redirectUri);
    const row = page.getByTestId('connectors').locator('tr', { hasText: 'desk' });
    await row.getByText('not authorised').waitFor();
    expect(await row.locator('td').nth(3).textContent()).toBe('oauth_dynamic');
    await screenshot('05-oauth-connector-registered');

    // Its page: the organisation not authorised; a test says so in the API's words.
    await page.getByRole('link', { name: 'desk', exact: true }).click();
    await heading().filter({ hasText: /^desk$/ }).waitFor();
    const grants = page.getByTestId('grants');
    expect(await grants.locator('tbody tr').first().locator('td').allTextContents()).toEqual(['the organisation', 'not authorised', '—', '—', '—']);
    await page.getByRole('button', { name: 'Test connection' }).click();
    const failed = page.locator('section', { has: page.getByRole('heading', { name: 'Test connection' }) }).getByRole('alert');
    await failed.waitFor();
    const refused = await adminApi('POST', '/connectors/desk/test', {});
    expect(refused.status).toBe(409);
    expect(await failed.textContent()).toBe(`The test failed: ${refused.body.error.message}`);
    await screenshot('06-oauth-connector-not-authorised');

    // Authorise: the provider's page in a new tab, which signs in and sends the browser back to csmcp's callback.
    oauth.signInAs('desk-admin');
    await authoriseInNewTab(() => page.getByRole('button', { name: 'Authorise for the organisation' }).click(), 'the organisation');
    await page.getByText(/The sign-in at the provider for the organisation opened in a new tab/).waitFor();
    await page.getByRole('button', { name: 'Refresh status' }).click();
    await grants.locator('tbody tr').first().getByText('authorised', { exact: true }).waitFor();
    expect(oauth.stats.codeExchanges).toBe(1);

    await page.getByRole('button', { name: 'Test connection' }).click();
    const report = page.getByTestId('test-report');
    await report.waitFor();
    expect(await report.getByRole('status').textContent()).toContain('Connected to tickets-desk 2.1.0 over streamable_http');
    expect(await report.getByRole('status').textContent()).toContain(', authenticated with oauth_dynamic (authorization_code) for the organisation: 2 tools.');
    expect(await page.getByTestId('external-tools').locator('tbody tr td:first-child').allTextContents()).toEqual(['whoami', 'search_tickets']);
    await screenshot('07-oauth-connector-authorised');
    await openConnectors();
    await page.getByTestId('connectors').locator('tr', { hasText: 'desk' }).getByText('authorised', { exact: true }).waitFor();
  });

  it('edits a connector: its changes old → new; a user-specific scope resets the authorizations; the organisation, then a user, authorise', async () => {
    await page.getByTestId('connectors').getByRole('link', { name: 'desk', exact: true }).click();
    await heading().filter({ hasText: /^desk$/ }).waitFor();
    await page.getByText('Edit desk', { exact: true }).click();
    const form = page.getByRole('form', { name: 'Edit desk' });
    // The form holds the connector's settings; only what changed goes to the API.
    expect(await form.getByLabel('Server URL').inputValue()).toBe(oauth.url);
    await form.getByLabel(/User-specific/).check();
    await form.getByRole('button', { name: 'Save settings' }).click();
    const saved = page.getByRole('status').filter({ hasText: /^Saved:/ });
    await saved.waitFor();
    expect(await saved.locator('li').allTextContents()).toEqual(['authorization_scope: company → user']);
    await saved.getByText('Its authorizations were reset: authorise it again.').waitFor();
    const grants = page.getByTestId('grants');
    await grants.locator('tbody tr').first().getByText('not authorised', { exact: true }).waitFor();
    await screenshot('08-connector-edited');

    // A user before the organisation: refused in the API's words, and the tab opened for it closed again.
    const userForm = page.getByRole('form', { name: 'Authorise for a user' });
    await userForm.getByLabel('User email').fill(ANN);
    const opened = browser.context.waitForEvent('page');
    await userForm.getByRole('button', { name: 'Authorise for this user' }).click();
    const blank = await opened;
    const refusal = page.locator('section', { has: page.getByRole('heading', { name: 'Authorizations' }) }).getByRole('alert');
    await refusal.waitFor();
    const refused = await adminApi('POST', '/connectors/desk/authorize', { user_email: ANN });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(await refusal.textContent()).toBe(refused.body.error.message);
    if (!blank.isClosed()) await blank.waitForEvent('close');
    expect(browser.context.pages()).toEqual([page]);

    oauth.signInAs('desk-admin');
    await authoriseInNewTab(() => page.getByRole('button', { name: 'Authorise for the organisation' }).click(), 'the organisation');
    oauth.signInAs('ann-at-desk');
    await authoriseInNewTab(() => userForm.getByRole('button', { name: 'Authorise for this user' }).click(), ANN);
    await page.getByRole('button', { name: 'Refresh status' }).click();
    await grants.locator('tbody tr', { hasText: ANN }).getByText('authorised', { exact: true }).waitFor();
    expect(await grants.locator('tbody tr td:nth-child(2)').allTextContents()).toEqual(['authorised', 'authorised']);
    expect(await grants.locator('tbody tr td:first-child').allTextContents()).toEqual(['the organisation', ANN]);

    // A test with ann's own authorization.
    await page.getByLabel('Test as user').fill(ANN);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByTestId('test-report').getByText(/authenticated with oauth_dynamic \(authorization_code\) for ann@example\.com: 2 tools\.$/).waitFor();
    await screenshot('09-connector-user-authorised');
    await openConnectors();
    expect(await page.getByTestId('connectors').locator('tr', { hasText: 'desk' }).locator('td').nth(5).textContent()).toBe('1 authorised');
  });

  it('adds a brief source (the connector tools listed first), refuses a bad template in the API words, removes the source', async () => {
    await page.getByText('Add a brief source', { exact: true }).click();
    const form = sourceForm();
    await form.locator('select[name="source_connector"]').selectOption('crm');
    await form.getByRole('button', { name: "List crm's tools" }).click();
    expect(await form.getByTestId('source-tools-found').textContent()).toBe(' 1 tool: list_accounts');
    await form.getByLabel('Tool').fill('list_accounts');
    await form.getByLabel(/^Label/).fill('CRM accounts');
    await form.getByLabel('Timeout').fill('5s');

    // An unknown company field: refused as the API words it.
    const bad = '{ "company": "{{company.nope}}" }';
    await form.getByLabel(/^Arguments/).fill(bad);
    await form.getByRole('button', { name: 'Add brief source' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    const refused = await adminApi('POST', '/brief-sources', { connector: 'crm', tool: 'list_accounts', label: 'CRM accounts', args: JSON.parse(bad), timeout: '5s' });
    expect(refused.status).toBe(400);
    expect(await alert.textContent()).toBe(refused.body.error.message);
    // Not JSON at all: said before anything is sent.
    await form.getByLabel(/^Arguments/).fill('{ company: name }');
    await form.getByRole('button', { name: 'Add brief source' }).click();
    await form.getByRole('alert').filter({ hasText: /^The arguments are not JSON \(.+\): write a JSON object/ }).waitFor();

    await form.getByLabel(/^Arguments/).fill('{ "company": "{{company.name}}", "limit": 5 }');
    await form.getByRole('button', { name: 'Add brief source' }).click();
    await page.getByText(`Brief source "CRM accounts" added: it calls crm's list_accounts with {"company":"{{company.name}}","limit":5} (timeout 5000 ms).`).waitFor();
    const row = page.getByTestId('brief-sources').locator('tbody tr');
    await row.first().waitFor();
    expect(await row.first().locator('td').allTextContents()).toEqual(['CRM accounts', 'crm', 'list_accounts', '{"company":"{{company.name}}","limit":5}', '5000 ms', 'Remove CRM accounts']);
    const listed = (await adminApi('GET', '/brief-sources')).body.brief_sources as Array<{ label: string; args: unknown }>;
    expect(listed).toEqual([expect.objectContaining({ label: 'CRM accounts', connector: 'crm', tool: 'list_accounts', args: { company: '{{company.name}}', limit: 5 }, timeout_ms: 5000 })]);
    await screenshot('10-brief-source-added');

    // The connector's page lists it too.
    await page.getByTestId('brief-sources').getByRole('link', { name: 'crm' }).click();
    await heading().filter({ hasText: /^crm$/ }).waitFor();
    await page.getByText('CRM accounts: list_accounts with {"company":"{{company.name}}","limit":5}').waitFor();
    await openConnectors();

    // Removing asks first; Cancel leaves it.
    await page.getByRole('button', { name: 'Remove CRM accounts' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Remove brief source CRM accounts' });
    await confirm.getByText(`Remove the brief source "CRM accounts"? Account briefs stop calling crm's list_accounts.`).waitFor();
    await screenshot('11-brief-source-confirm');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect((await adminApi('GET', '/brief-sources')).body.brief_sources).toHaveLength(1);
    await page.getByRole('button', { name: 'Remove CRM accounts' }).click();
    await page.getByRole('button', { name: 'Confirm removal' }).click();
    await page.getByText('Brief source "CRM accounts" removed.').waitFor();
    await page.getByText("No brief source yet: briefs hold csmcp's own account summary only.").waitFor();
    expect((await adminApi('GET', '/brief-sources')).body.brief_sources).toEqual([]);
  });

  it('removes a connector after confirming; it is gone from the list and the API', async () => {
    await page.getByTestId('connectors').getByRole('link', { name: 'crm', exact: true }).click();
    await heading().filter({ hasText: /^crm$/ }).waitFor();
    await page.getByRole('button', { name: 'Remove crm…' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Remove crm' });
    await confirm.getByText(/^Remove crm\? csmcp forgets its client secret and every token\. Its history stays in the event log\.$/).waitFor();
    await screenshot('12-connector-remove-confirm');
    await confirm.getByRole('button', { name: 'Confirm removal' }).click();
    await page.waitForURL(`${config.publicUrl}/admin/connectors`);
    await page.getByTestId('connectors').locator('tr', { hasText: 'desk' }).waitFor();
    expect(await page.getByTestId('connectors').locator('tbody tr').count()).toBe(1);
    const gone = await adminApi('GET', '/connectors/crm');
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('CONNECTOR_NOT_FOUND');

    // A connector's page opened by its address (csmcp serves the console there); one that is gone says so in the API's words.
    await page.goto(`${config.publicUrl}/admin/connectors/desk`);
    await heading().filter({ hasText: /^desk$/ }).waitFor();
    await page.goto(`${config.publicUrl}/admin/connectors/crm`);
    await page.getByRole('alert').filter({ hasText: gone.body.error.message }).waitFor();
    await screenshot('13-connector-gone');
  });
});
