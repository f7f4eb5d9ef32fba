import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { CS_TOOLS } from '../../src/mcp/tools';
import { browserSkipReason, launchChromium, type HeadlessBrowser } from '../support/browser';
import { startServerProcess, type ServerProcess } from '../support/cli';
import { callTool, connectStreamable, toolError } from '../support/mcp-clients';
import { seedBook, sqliteStore, untilCaughtUp, type McpBook, type McpStore } from '../support/mcp-stack';
import { pngFacts } from '../support/png';

/**
 * The admin console (/admin) in headless Chromium against a real `csmcp serve`: seeded data and a few
 * MCP calls first (a read, a create, an update, a refused write), then, as an admin, sign-in through
 * the console's own OAuth flow (authorization code + PKCE, csmcp's sign-in page, no consent page for
 * the first-party console), an integration registered with a preset and its secret shown once, a
 * rotation, a refusal shown as the API's message, a credit grant, the audit log filtered and one
 * entry opened (old → new), the usage chart drawn and its CSV downloaded, a write reverted from its
 * entry (reason, confirm, old → new; a second revert refused in the API's words) and a whole MCP
 * session reverted, users and the write policy;
 * the access token refreshed before it expires; sign-out revokes; a CSM who signs in sees "Admins
 * only"; a pasted personal access token, the only way in with OAUTH_ISSUER. Every page is screenshotted into
 * test/e2e/__screenshots__/admin-console (gitignored; CI keeps it as an artifact) and the screenshot is
 * checked (a PNG of the viewport's width, not blank) along with the page's key text.
 */
const PASSWORD = 'a long passphrase for the console';
const SCREENSHOTS = join(__dirname, '__screenshots__', 'admin-console');
const VIEWPORT = { width: 1280, height: 800 };

// What page.evaluate's functions use in the browser (this file is compiled without the DOM library).
declare const document: { cookie: string; querySelectorAll(selector: string): Iterable<{ textContent: string | null }> };
declare const sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
interface Canvas {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

const skipReason = browserSkipReason();
const describeBrowser = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`admin-console.e2e: skipped: ${skipReason}`);

describeBrowser(`the admin console in headless Chromium (csmcp serve)${skipReason ? ` [skipped: ${skipReason}]` : ''}`, () => {
  let store: McpStore;
  let server: ServerProcess;
  let book: McpBook;
  let browser: HeadlessBrowser;
  let page: Page;
  let ctaId: string;
  /** What the page reported about Content Security Policy: must stay empty. */
  const cspViolations: string[] = [];

  beforeAll(async () => {
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
    store = sqliteStore();
    book = await seedBook(store, 12);
    for (const email of [book.admin.email, book.ann.email]) await store.cli(['users', 'set-password', '--email', email, '--password-stdin'], `${PASSWORD}\n`);
    server = await startServerProcess(store.env);
    await untilCaughtUp(server.url);

    // Some MCP use to look at: ann reads, creates a CTA, raises its priority; a write in bob's book is refused.
    const ann = await connectStreamable(`${server.url}/mcp`, book.ann.token);
    try {
      const companyId = book.annCompanies[0];
      expect((await callTool(ann.client, 'get_company', { company_id: companyId })).isError).toBeFalsy();
      const created = await callTool(ann.client, 'create_cta', { company_id: companyId, name: 'Console e2e: usage dropped', type: 'Risk', priority: 'Low' });
      ctaId = (created.structuredContent as { entity_id: string }).entity_id;
      expect((await callTool(ann.client, 'update_cta', { cta_id: ctaId, priority: 'High' })).isError).toBeFalsy();
      expect(toolError(await callTool(ann.client, 'create_cta', { company_id: book.bobCompanies[0], name: 'Not mine', type: 'Risk' })).code).toBe('COMPANY_NOT_VISIBLE');
    } finally {
      await ann.close();
    }

    browser = await launchChromium();
    page = browser.page;
    await page.setViewportSize(VIEWPORT);
    page.setDefaultTimeout(10_000);
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await store?.dispose();
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

  async function signInOnCsmcpPage(email: string): Promise<void> {
    await page.locator('h1', { hasText: 'Sign in to csmcp' }).waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('serves the console from csmcp itself with a strict CSP: no inline script, never framed, every asset its own', async () => {
    const res = await fetch(`${server.url}/admin`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp.split('; ')).toEqual(
      expect.arrayContaining(["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "connect-src 'self'"]),
    );
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    // Scripts and styles only by URL, all under /admin/assets on this server.
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls).toEqual([expect.stringMatching(/^\/admin\/assets\/console\.css\?v=/), expect.stringMatching(/^\/admin\/assets\/console\.js\?v=/)]);
    for (const url of urls) {
      const asset = await fetch(`${server.url}${url.replace(/&amp;/g, '&')}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(url.includes('.js') ? /^text\/javascript/ : /^text\/css/);
      expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    }
    expect((await fetch(`${server.url}/admin/assets/nope.js`)).status).toBe(404);
    // The console's pages are each the same page; the admin API is untouched.
    expect((await fetch(`${server.url}/admin/audit/3`)).status).toBe(200);
    expect((await fetch(`${server.url}/admin/api/users`)).status).toBe(401);
  });

  it('signs an admin in through its own OAuth flow (PKCE, csmcp sign-in, no consent page); the token stays out of cookies and the URL', async () => {
    await page.goto(`${server.url}/admin`);
    await page.locator('h1', { hasText: 'csmcp admin console' }).waitFor();
    await screenshot('01-sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/oauth\/interaction\/[A-Za-z0-9_-]+$/);
    await signInOnCsmcpPage(book.admin.email);
    await page.waitForURL(`${server.url}/admin/integrations`);
    await heading().filter({ hasText: 'Integrations' }).waitFor();
    expect(await page.locator('.who').textContent()).toBe(book.admin.email);
    // No code or state left in the address bar; the token only in this tab's sessionStorage.
    expect(page.url()).toBe(`${server.url}/admin/integrations`);
    const { cookies, stored } = await page.evaluate(() => ({ cookies: document.cookie, stored: sessionStorage.getItem('csmcp.console.session') }));
    const session = JSON.parse(stored!) as { kind: string; accessToken: string; refreshToken: string };
    expect(session.kind).toBe('oauth');
    expect(typeof session.refreshToken).toBe('string');
    expect(cookies).not.toContain(session.accessToken);
    // A token for the admin API: audience <base>/mcp, scope admin.
    const claims = JSON.parse(Buffer.from(session.accessToken.split('.')[1], 'base64url').toString()) as { aud: string; scope: string; client_id: string };
    expect(claims).toMatchObject({ aud: `${server.url}/mcp`, scope: 'admin', client_id: 'csmcp-admin-console' });
  });

  it('registers an integration with a preset and shows its secret once; rotating shows the new one once', async () => {
    await page.getByLabel('Name', { exact: true }).fill('Claude for the CS team');
    await page.getByLabel('Preset', { exact: true }).selectOption('claude');
    await page.getByRole('button', { name: 'Register' }).click();
    const clientId = (await page.getByTestId('client-id').textContent())!;
    const secret = (await page.getByTestId('client-secret').textContent())!;
    expect(clientId).toMatch(/^csmcp_int_[A-Za-z0-9_-]{22}$/);
    expect(secret).toMatch(/^csmcp_sec_[A-Za-z0-9_-]{43}$/);
    await page.getByText('This is the only time the secret is shown.').waitFor();
    await screenshot('02-integration-secret-once');
    await page.getByRole('button', { name: 'Done, hide it' }).click();
    await page.getByRole('cell', { name: clientId }).waitFor();
    expect(await page.content()).not.toContain(secret);
    await screenshot('03-integrations');

    // Its page: the client id, the preset's callback URLs, never the secret.
    await page.getByRole('link', { name: 'Claude for the CS team' }).click();
    await heading().filter({ hasText: 'Claude for the CS team' }).waitFor();
    expect(await page.getByTestId('detail-client-id').textContent()).toBe(clientId);
    await page.getByText('https://claude.ai/api/mcp/auth_callback').waitFor();
    expect(await page.content()).not.toContain(secret);
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = (await page.getByTestId('client-secret').textContent())!;
    expect(rotated).toMatch(/^csmcp_sec_[A-Za-z0-9_-]{43}$/);
    expect(rotated).not.toBe(secret);
    await page.getByText(/The previous secret keeps working until/).waitFor();
    await screenshot('04-integration-rotated');
    await page.getByRole('button', { name: 'Done, hide it' }).click();
    await page.getByTestId('client-secret').waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(rotated);

    // A setting changed: the API's changes, old → new.
    await page.getByLabel('Redirect URIs (one per line)').fill('https://claude.ai/api/mcp/auth_callback');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('redirect_uris: ["https://claude.ai/api/mcp/auth_callback","https://claude.com/api/mcp/auth_callback"] → ["https://claude.ai/api/mcp/auth_callback"]').waitFor();

    // Disable and enable again, as the API answers.
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByText('disabled: its tokens are refused').waitFor();
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.locator('dd', { hasText: /^enabled$/ }).waitFor();
  });

  it("shows an API refusal as the API's message", async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Integrations' }).click();
    await page.getByLabel('Name', { exact: true }).fill('No callback yet');
    await page.getByLabel('Preset', { exact: true }).selectOption('custom');
    await page.getByRole('button', { name: 'Register' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    // Exactly what the admin API said (checked against the API itself).
    const res = await fetch(`${server.url}/admin/api/integrations`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await accessToken()}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'No callback yet', preset: 'custom', access_context: 'personal' }),
    });
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(res.status).toBe(400);
    expect(await alert.textContent()).toBe(body.error.message);
    await screenshot('05-integration-refused');
  });

  it('grants credits and shows the balance', async () => {
    await page.getByRole('link', { name: 'Credits' }).click();
    await heading().filter({ hasText: 'Credits' }).waitFor();
    expect(await page.getByTestId('balance').textContent()).toBe('not limited');
    await page.getByLabel('Amount').fill('500');
    await page.getByLabel('Reason', { exact: true }).fill('Console e2e opening balance');
    await page.getByRole('button', { name: 'Grant', exact: true }).click();
    await page.getByText(/Granted 500 credits \(audit entry #\d+\); the balance is now 500\./).waitFor();
    await page.getByTestId('balance').filter({ hasText: /^500$/ }).waitFor();

    // A tool's own price, chosen from csmcp's tools with their price now (GET /admin/api/tools).
    const tool = page.locator('select[name="tool"]');
    await tool.locator('option', { hasText: 'analyze_accounts (analysis, now 5)' }).waitFor({ state: 'attached' });
    expect(await tool.locator('option').count()).toBe(CS_TOOLS.length + 1);
    await tool.selectOption('analyze_accounts');
    await page.getByLabel('Credits a call').fill('7');
    await page.getByRole('button', { name: "Set the tool's price" }).click();
    await page.getByText(/analyze_accounts costs 7 credits \(audit entry #\d+\)\./).waitFor();
    await tool.locator('option', { hasText: 'analyze_accounts (analysis, now 7)' }).waitFor({ state: 'attached' });
    await page.getByText('What every tool costs now').click();
    expect(await page.getByTestId('tool-prices').locator('tr', { hasText: 'analyze_accounts' }).locator('td').allTextContents()).toEqual(['analyze_accounts', 'analysis', '7', 'its own price']);
    await screenshot('06-credits');
  });

  it('filters the audit log and opens an entry that shows the change, old → new', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await heading().filter({ hasText: 'Audit log' }).waitFor();
    await page.locator('table.audit').waitFor();
    // The tool filter suggests csmcp's tools (GET /admin/api/tools).
    await page.waitForFunction((n) => [...document.querySelectorAll('#audit-tools option')].length === n, CS_TOOLS.length);
    await screenshot('07-audit-log');

    await page.getByLabel('User (email or id)').fill(book.ann.email);
    await page.getByLabel('Tool').fill('update_cta');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/admin\/audit\?/);
    expect(new URL(page.url()).searchParams.get('tool')).toBe('update_cta');
    await page.locator('table.audit tbody tr').first().waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('table.audit tbody tr')].every((tr) => tr.textContent!.includes('update_cta')));
    const rows = await page.locator('table.audit tbody tr').allTextContents();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain(book.ann.email);
    expect(rows[0]).toContain(`cta ${ctaId}`);

    // By outcome: the refused write, with its code on the detail page.
    await page.getByLabel('Tool').fill('');
    await page.getByLabel('Outcome').selectOption('refused');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('table.audit tbody tr')].every((tr) => tr.textContent!.includes('refused')));
    expect(await page.locator('table.audit tbody tr').allTextContents()).toEqual([expect.stringContaining('create_cta')]);
    await screenshot('08-audit-filtered');

    await page.getByLabel('Outcome').selectOption('');
    await page.getByLabel('Tool').fill('update_cta');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('table.audit tbody tr')].every((tr) => tr.textContent!.includes('update_cta')));
    await page.locator('table.audit tbody tr').first().getByRole('link', { name: 'update_cta' }).click();
    await heading().filter({ hasText: 'update_cta' }).waitFor();
    const change = page.locator('table.changes tbody tr');
    expect(await change.count()).toBe(1);
    expect(await change.locator('th').textContent()).toBe('priority');
    expect(await change.locator('del').textContent()).toBe('Low');
    expect(await change.locator('ins').textContent()).toBe('High');
    expect(await page.locator('dl.facts').first().textContent()).toContain('Credits charged');
    await screenshot('09-audit-detail');
    await page.getByRole('button', { name: 'Back' }).click();
    await page.waitForURL(/\/admin\/audit\?.*tool=update_cta/);
  });

  it('draws credits per day by user, integration and tool, and downloads the CSV', async () => {
    await page.getByRole('link', { name: 'Usage' }).click();
    await heading().filter({ hasText: 'Usage' }).waitFor();
    const canvas = page.getByTestId('usage-chart');
    await canvas.waitFor();
    // Drawn: the canvas has painted (non-transparent) pixels, and its label names ann.
    const painted = await canvas.evaluate((element) => {
      const c = element as unknown as Canvas;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
      return { n, width: c.width, height: c.height };
    });
    expect(painted.width).toBeGreaterThan(300);
    expect(painted.n).toBeGreaterThan(1000);
    expect(await canvas.getAttribute('aria-label')).toContain(book.ann.email);
    // ann's calls: a read (1) and two writes (2 each); the refused one cost nothing.
    await page.locator('tbody tr', { hasText: book.ann.email }).locator('td').last().filter({ hasText: /^5$/ }).waitFor();
    await screenshot('10-usage-by-user');

    await page.getByLabel('tool').check();
    await page.waitForURL(/by=tool/);
    await page.locator('tbody tr', { hasText: 'update_cta' }).waitFor();
    expect(await canvas.getAttribute('aria-label')).toContain('update_cta');
    await screenshot('11-usage-by-tool');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^csmcp-usage-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    const [header, ...lines] = csv.trim().split(/\r?\n/);
    expect(header).toMatch(/period/);
    expect(header).toMatch(/tool/);
    expect(header).toMatch(/credits/);
    expect(lines.some((l) => l.includes('update_cta'))).toBe(true);
  });

  it('reverts a write from its audit entry (reason, confirm, the outcome old → new), refuses a second revert with the API\'s reason, and reverts a whole session', async () => {
    // ann's update_cta (priority Low → High), reached from the filtered list.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByLabel('User (email or id)').fill(book.ann.email);
    await page.getByLabel('Tool').fill('update_cta');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/admin\/audit\?.*tool=update_cta/);
    await page.waitForFunction(() => [...document.querySelectorAll('table.audit tbody tr')].length === 1);
    await page.locator('table.audit tbody tr').first().getByRole('link', { name: 'update_cta' }).click();
    await heading().filter({ hasText: 'update_cta' }).waitFor();
    const seq = Number(/\/admin\/audit\/(\d+)$/.exec(page.url())![1]);
    await page.getByRole('button', { name: 'Revert this write' }).click();
    await page.getByLabel('Reason (kept in the audit log)').fill('console e2e: the LLM raised the wrong CTA');
    await page.getByRole('button', { name: 'Revert…' }).click();
    // The confirm step says what will happen; nothing is written before it.
    await page.getByText(`Revert entry #${seq} (update_cta)? This writes new events in your name`).waitFor();
    await screenshot('12-revert-confirm');
    await page.getByRole('button', { name: 'Confirm revert' }).click();
    const done = page.locator('.revert [role="status"]', { hasText: 'Reverted: audit entry' });
    await done.waitFor();
    expect(await done.textContent()).toMatch(new RegExp(`^Reverted: audit entry #(\\d+) put back cta-${ctaId}\\.priority: High → Low$`));
    const revertSeq = Number(/#(\d+)/.exec((await done.textContent())!)![1]);
    await screenshot('13-reverted');
    // Recorded as the signed-in admin, with the reason; the CTA is back to Low.
    const entry = (await (await fetch(`${server.url}/admin/api/audit/${revertSeq}`, { headers: { Authorization: `Bearer ${await accessToken()}` } })).json()) as Record<string, any>;
    expect(entry).toMatchObject({ type: 'WriteReverted', actor: { email: book.admin.email }, entry: { revertedSeqs: [seq], reason: 'console e2e: the LLM raised the wrong CTA' } });
    await untilCaughtUp(server.url);
    const ann = await connectStreamable(`${server.url}/mcp`, book.ann.token);
    try {
      expect((await callTool(ann.client, 'get_cta', { cta_id: ctaId })).structuredContent).toMatchObject({ priority: 'Low' });
    } finally {
      await ann.close();
    }

    // Again: refused, in the API's words (asked of the API too: a refusal records nothing).
    await page.getByRole('button', { name: 'Revert this write' }).click();
    await page.getByLabel('Reason (kept in the audit log)').fill('once more');
    await page.getByRole('button', { name: 'Revert…' }).click();
    await page.getByRole('button', { name: 'Confirm revert' }).click();
    const refusal = page.locator('.revert').getByRole('alert');
    await refusal.waitFor();
    const api = await fetch(`${server.url}/admin/api/audit/${seq}/revert`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await accessToken()}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: 'once more' }),
    });
    const body = (await api.json()) as { error: { code: string; message: string } };
    expect({ status: api.status, code: body.error.code }).toEqual({ status: 409, code: 'REVERT_REFUSED' });
    expect(body.error.message).toContain(`it was reverted already, by audit entry ${revertSeq}`);
    expect(await refusal.textContent()).toBe(body.error.message);
    // Back a step: the reason can be changed, nothing was written.
    await page.getByRole('button', { name: 'Revert…' }).waitFor();
    await screenshot('14-revert-refused');
    await page.getByRole('button', { name: 'Cancel' }).click();

    // A whole session: ann creates a CTA and changes it in a new MCP session; its update entry offers the session.
    const other = await connectStreamable(`${server.url}/mcp`, book.ann.token);
    let sessionId: string;
    let createdId: string;
    try {
      sessionId = other.transport.sessionId!;
      const created = await callTool(other.client, 'create_cta', { company_id: book.annCompanies[1], name: 'Console e2e: made-up risk', type: 'Risk', priority: 'Low' });
      createdId = (created.structuredContent as { entity_id: string }).entity_id;
      expect((await callTool(other.client, 'update_cta', { cta_id: createdId, priority: 'Urgent' })).isError).toBeFalsy();
    } finally {
      await other.close();
    }
    // Found through the session filter.
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Audit log' }).click();
    await page.locator('table.audit').waitFor();
    await page.getByLabel('MCP session').fill(sessionId);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/admin\/audit\?session=/);
    await page.waitForFunction(() => [...document.querySelectorAll('table.audit tbody tr')].length === 2);
    await page.locator('table.audit tbody tr').first().getByRole('link', { name: 'update_cta' }).click();
    await heading().filter({ hasText: 'update_cta' }).waitFor();
    // The entry links to its session's entries.
    await page.getByRole('link', { name: 'Every entry of this MCP session' }).click();
    await page.waitForURL(new RegExp(`/admin/audit\\?session=${sessionId}$`));
    await page.waitForFunction(() => [...document.querySelectorAll('table.audit tbody tr')].length === 2);
    await page.locator('table.audit tbody tr').first().getByRole('link', { name: 'update_cta' }).click();
    await heading().filter({ hasText: 'update_cta' }).waitFor();
    await page.getByRole('button', { name: 'Revert the whole session' }).click();
    await page.getByLabel('Reason (kept in the audit log)').fill('console e2e: the whole session went wrong');
    await page.getByRole('button', { name: 'Revert the session…' }).click();
    await page.getByText(`Revert every write of MCP session ${sessionId}?`).waitFor();
    await page.getByRole('button', { name: 'Confirm revert' }).click();
    await page.getByText(`Session ${sessionId}: 1 record put back, 0 refused.`).waitFor();
    const row = page.locator('table.revert-outcomes tbody tr');
    expect(await row.count()).toBe(1);
    expect(await row.locator('td').first().textContent()).toBe(`cta-${createdId}`);
    expect(await row.locator('td').last().textContent()).toMatch(/^reverted by #\d+: .*status: New → ClosedInvalid/);
    await screenshot('15-session-reverted');
  });

  it('lists users with their roles and shows the write policy as a grid', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await heading().filter({ hasText: 'Users and roles' }).waitFor();
    for (const email of [book.admin.email, book.ann.email, book.viewer.email]) await page.getByRole('cell', { name: email, exact: true }).waitFor();
    expect(await page.getByLabel(`Role of ${book.ann.email}`).inputValue()).toBe('csm');
    // A role changed; one's own role refused with the API's reason.
    await page.getByLabel(`Role of ${book.viewer.email}`).selectOption('csm');
    await page.getByRole('row', { name: new RegExp(book.viewer.email) }).getByRole('button', { name: 'Change role' }).click();
    await page.getByText(`${book.viewer.email} is now csm (was viewer).`).waitFor();
    await page.getByLabel(`Role of ${book.admin.email}`).selectOption('viewer');
    await page.getByRole('row', { name: new RegExp(book.admin.email) }).getByRole('button', { name: 'Change role' }).click();
    const refusal = page.getByRole('row', { name: new RegExp(book.admin.email) }).getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toBe('An admin cannot change their own role; ask another admin to do it');
    await screenshot('16-users');

    await page.getByRole('link', { name: 'Write policy' }).click();
    await heading().filter({ hasText: 'Write policy' }).waitFor();
    expect(await page.getByLabel('csm may use create_cta', { exact: true }).isChecked()).toBe(true);
    expect(await page.getByLabel('viewer may use create_cta', { exact: true }).isChecked()).toBe(false);
    await page.getByLabel('Confirm create_success_plan before writing').check();
    await page.getByRole('button', { name: 'Save the write policy' }).click();
    await page.getByText('The write policy is saved and in force.').waitFor();
    const policy = (await (await fetch(`${server.url}/admin/api/write-policy`, { headers: { Authorization: `Bearer ${await accessToken()}` } })).json()) as {
      confirmWrites: Record<string, boolean>;
    };
    expect(policy.confirmWrites).toEqual({ create_success_plan: true });
    await screenshot('17-write-policy');
  });

  it('refreshes its access token before it expires (the refresh token rotates)', async () => {
    const before = await storedSession();
    // As if the 30 minutes were over: the next API call refreshes first.
    await page.evaluate(() => {
      const session = JSON.parse(sessionStorage.getItem('csmcp.console.session')!) as { expiresAt: number };
      sessionStorage.setItem('csmcp.console.session', JSON.stringify({ ...session, expiresAt: 0 }));
    });
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('cell', { name: book.admin.email, exact: true }).waitFor();
    const after = await storedSession();
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.expiresAt).toBeGreaterThan(Date.now());
    // The used refresh token is spent (rotation); the new access token works.
    expect((await fetch(`${server.url}/admin/api/users`, { headers: { Authorization: `Bearer ${after.accessToken}` } })).status).toBe(200);
  });

  it('signs out by revoking: the token is refused at once, and the next sign-in asks for the password', async () => {
    const token = await accessToken();
    expect((await fetch(`${server.url}/admin/api/users`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    // Refused within a second (the revoked-grant check is cached that long), with the reason.
    const refused = await untilRefused(token);
    expect(refused).toEqual({ status: 401, code: 'invalid_token', message: expect.stringMatching(/revoked/) });
    expect(await page.evaluate(() => sessionStorage.getItem('csmcp.console.session'))).toBeNull();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('h1', { hasText: 'Sign in to csmcp' }).waitFor();
  });

  it('shows a CSM who signs in that the console is for admins only', async () => {
    await signInOnCsmcpPage(book.ann.email);
    await page.locator('h1', { hasText: 'Admins only' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toBe(
      `The admin API is for admins: ${book.ann.email} is a csm. An admin can change a role with PATCH /admin/api/users/{user_id} or csmcp users set-role`,
    );
    expect(await page.locator('nav').count()).toBe(0);
    await screenshot('18-admins-only');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
  });

  it('takes a pasted personal access token with the admin scope instead', async () => {
    const pat = (JSON.parse(await store.cli(['tokens', 'issue', '--user', book.admin.email, '--scopes', 'admin', '--ttl', '1h', '--json'])) as { token: string }).token;
    await page.getByText('Use a personal access token instead').click();
    await page.getByLabel('Personal access token with the admin scope').fill(pat);
    await page.getByRole('button', { name: 'Use this token' }).click();
    await page.locator('.who', { hasText: 'personal access token' }).waitFor();
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('cell', { name: book.admin.email, exact: true }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('h1', { hasText: 'csmcp admin console' }).waitFor();
  });

  it('with an external authorization server (OAUTH_ISSUER) takes a personal access token and says why', async () => {
    const other = sqliteStore();
    let external: ServerProcess | undefined;
    try {
      await other.cli(['users', 'add', '--email', 'olga.ops@example.com', '--name', 'Olga Ops', '--role', 'admin']);
      const pat = (JSON.parse(await other.cli(['tokens', 'issue', '--user', 'olga.ops@example.com', '--scopes', 'admin', '--ttl', '1h', '--json'])) as { token: string }).token;
      // Nothing answers there: the console never asks it anything.
      external = await startServerProcess({ ...other.env, OAUTH_ISSUER: 'http://127.0.0.1:9', OAUTH_JWKS_URL: 'http://127.0.0.1:9/jwks' });
      expect((await fetch(`${external.url}/oauth/authorize`)).status).toBe(404);
      await page.goto(`${external.url}/admin`);
      await page.getByText('This csmcp trusts an external authorization server').waitFor();
      expect(await page.getByRole('button', { name: 'Sign in', exact: true }).count()).toBe(0);
      await screenshot('19-external-issuer-token');
      await page.getByLabel('Personal access token with the admin scope').fill(pat);
      await page.getByRole('button', { name: 'Use this token' }).click();
      await page.locator('.who', { hasText: 'personal access token' }).waitFor();
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click();
      await page.getByRole('cell', { name: 'olga.ops@example.com', exact: true }).waitFor();
    } finally {
      await external?.stop();
      await other.dispose();
    }
  }, 60_000);

  /** The admin API's answer to this token once it is refused (a revocation shows within a second). */
  async function untilRefused(token: string): Promise<{ status: number; code: string; message: string }> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${server.url}/admin/api/users`, { headers: { Authorization: `Bearer ${token}` } });
      if (res.status !== 200 || attempt === 50) {
        const body = (await res.json()) as { error?: { code: string; message: string } };
        return { status: res.status, code: body.error?.code ?? '', message: body.error?.message ?? '' };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The console's session as it keeps it (in this tab's sessionStorage). */
  async function storedSession(): Promise<{ accessToken: string; refreshToken: string; expiresAt: number }> {
    const stored = await page.evaluate(() => sessionStorage.getItem('csmcp.console.session'));
    return JSON.parse(stored!) as { accessToken: string; refreshToken: string; expiresAt: number };
  }

  async function accessToken(): Promise<string> {
    return (await storedSession()).accessToken;
  }
});
