import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '@csmcp/event-store';
import { loadConfig, type AppConfig } from '../../src/config/config';
import type { ConnectorUser } from '../../src/connectors/client/connector-client';
import { createConnectors, type Connectors } from '../../src/connectors/connectors';
import { ConnectorError } from '../../src/connectors/registry/connector-error';
import { EVENT_STORE } from '../../src/infrastructure/tokens';
import { startServer, type RunningServer } from '../../src/server';
import { runCli } from '../support/cli';
import { startLegacySseServer, startOAuthMcpServer, type LegacySseServer, type OAuthMcpServer } from '../support/external-mcp-servers';
import { embeddedStackEnv } from '../support/embedded-stack-env';

/**
 * Outbound connectors end to end: csmcp serve (in this process, for the OAuth callback), the CLI as
 * an admin uses it (separate processes on the same embedded store), and two external MCP servers built
 * with the SDK: a Streamable HTTP one behind its own OAuth authorization server, and a legacy HTTP+SSE
 * one without authentication. Brief sources are stood in for by two more connector object graphs
 * (createConnectors, each with its own connection to the state database, as two more processes).
 * The "browser" is a fetch: the test authorization server signs in whoever the test names and
 * redirects at once to csmcp's callback.
 */
jest.setTimeout(120_000);


async function expectRejected(promise: Promise<unknown>): Promise<ConnectorError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConnectorError) return error;
    throw error;
  }
  throw new Error('expected a ConnectorError');
}

describe('outbound connectors (csmcp as an MCP client)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let config: AppConfig;
  let csmcp: RunningServer;
  let oauth: OAuthMcpServer;
  let legacy: LegacySseServer;
  let briefs: Connectors;
  let otherProcess: Connectors;
  let ann: ConnectorUser;
  let bob: ConnectorUser;

  const cli = async (args: string[], input?: string) => runCli(args, env, input);
  const ok = async (args: string[], input?: string) => {
    const result = await cli(args, input);
    if (result.code !== 0) throw new Error(`csmcp ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
    return result.stdout;
  };
  const json = async <T = Record<string, unknown>>(args: string[]) => JSON.parse(await ok([...args, '--json'])) as T;

  /** What the admin (or user) does in a browser: open the URL; the provider sends the browser back to csmcp. */
  async function openInBrowser(url: string, signInAs: string): Promise<{ status: number; page: string }> {
    oauth.signInAs(signInAs);
    const atProvider = await fetch(url, { redirect: 'manual' });
    expect(atProvider.status).toBe(302);
    const location = atProvider.headers.get('location')!;
    expect(location.startsWith(`${config.publicUrl}/connectors/oauth/callback?`)).toBe(true);
    const back = await fetch(location);
    return { status: back.status, page: await back.text() };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csmcp-connectors-e2e-'));
    env = await embeddedStackEnv(dir);
    config = loadConfig({ ...(env as Record<string, string>), LOG_LEVEL: 'silent' });
    [oauth, legacy] = await Promise.all([startOAuthMcpServer(), startLegacySseServer()]);
    await ok(['users', 'add', '--email', 'admin@example.com', '--name', 'Ada Admin', '--role', 'admin']);
    const annAdded = (await json<Array<{ user_id: string }>>(['users', 'add', '--email', 'ann@example.com', '--name', 'Ann', '--role', 'csm']))[0];
    const bobAdded = (await json<Array<{ user_id: string }>>(['users', 'add', '--email', 'bob@example.com', '--name', 'Bob', '--role', 'csm']))[0];
    ann = { userId: annAdded.user_id, email: 'ann@example.com' };
    bob = { userId: bobAdded.user_id, email: 'bob@example.com' };
    csmcp = await startServer(config);
    const store = csmcp.app.get<EventStore>(EVENT_STORE);
    briefs = createConnectors({ config, store });
    otherProcess = createConnectors({ config, store });
  }, 180_000);

  afterAll(async () => {
    await briefs?.state.close();
    await otherProcess?.state.close();
    await csmcp?.close();
    await oauth?.close();
    await legacy?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an SSRF target: a private address the admin did not allow is never contacted', async () => {
    const plain = await cli(['connectors', 'add', 'internal', '--url', `http://127.0.0.1:${legacy.port}/sse`, '--auth', 'none']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('url uses plain http: only allowed for a host inside your network that an admin allowed');

    await ok(['connectors', 'add', 'internal', '--url', `https://127.0.0.1:${legacy.port}/sse`, '--auth', 'none']);
    const before = legacy.requests.length;
    const test = await cli(['connectors', 'test', 'internal']);
    expect(test.code).toBe(1);
    expect(test.stderr).toContain(`Refused to fetch https://127.0.0.1:${legacy.port}/sse: 127.0.0.1 is loopback (127.0.0.0/8), not a public address`);
    expect(test.stderr).toContain(`add 127.0.0.1 or 127.0.0.1:${legacy.port} to the allowed hosts`);
    expect(test.stderr).toContain('[FETCH_REFUSED]');
    expect(legacy.requests.length).toBe(before);
  });

  it('connects to a legacy SSE server without authentication: auto falls back from Streamable HTTP', async () => {
    await ok(['connectors', 'add', 'legacy', '--url', legacy.url, '--auth', 'none', '--allow-host', `127.0.0.1:${legacy.port}`]);
    const report = await json<{ transport: unknown; server: unknown; tools: Array<{ name: string }>; auth: { kind: string; status: string } }>(['connectors', 'test', 'legacy']);
    expect(report.transport).toEqual({ configured: 'auto', used: 'sse', fellBack: true });
    expect(report.server).toEqual({ name: 'legacy-crm', version: '0.9.0' });
    expect(report.tools.map((t) => t.name)).toEqual(['list_accounts']);
    expect(report.auth).toMatchObject({ kind: 'none', status: 'not_needed' });
    expect(legacy.requests.slice(0, 2)).toEqual(['POST /sse', 'GET /sse']);

    const text = await ok(['connectors', 'test', 'legacy']);
    expect(text).toContain('sse (auto: the server answered Streamable HTTP with a 4xx, so csmcp fell back to legacy SSE)');
    expect(text).toContain('list_accounts');
    const accounts = await briefs.client.callTool('legacy', ann, 'list_accounts', {}, { timeoutMs: 20_000 });
    expect(accounts.content).toEqual([{ type: 'text', text: '["Acme","Globex"]' }]);
  });

  it('authorises an OAuth connector company-wide: the admin opens the URL, csmcp’s callback stores the tokens, every user’s call uses them', async () => {
    await ok(['connectors', 'add', 'crm', '--url', oauth.url, '--auth', 'oauth_dynamic', '--allow-host', `127.0.0.1:${oauth.port}`, '--as', 'admin@example.com']);
    const early = await cli(['connectors', 'test', 'crm']);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('connector crm is not authorised for the organisation yet; authorise it with csmcp connectors authorize crm [NOT_AUTHORIZED]');

    const started = await json<{ authorization_url: string; expires_at: string; subject: string }>(['connectors', 'authorize', 'crm', '--as', 'admin@example.com']);
    expect(started.subject).toBe('company');
    const authorizeUrl = new URL(started.authorization_url);
    expect(authorizeUrl.origin).toBe(oauth.origin);
    expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizeUrl.searchParams.get('redirect_uri')).toBe(`${config.publicUrl}/connectors/oauth/callback`);
    expect(authorizeUrl.searchParams.get('resource')).toBe(oauth.url);
    expect(authorizeUrl.searchParams.get('scope')).toBe('tickets:read');

    const callback = await openInBrowser(started.authorization_url, 'desk-admin');
    expect(callback.status).toBe(200);
    expect(callback.page).toContain('csmcp can now use connector <strong>crm</strong> for the organisation');
    expect(oauth.stats.registrations).toBe(1);

    const report = await json<{ tools: Array<{ name: string }>; auth: Record<string, unknown>; transport: unknown }>(['connectors', 'test', 'crm']);
    expect(report.transport).toEqual({ configured: 'auto', used: 'streamable_http', fellBack: false });
    expect(report.tools.map((t) => t.name)).toEqual(['whoami', 'search_tickets']);
    expect(report.auth).toMatchObject({
      kind: 'oauth_dynamic',
      grant: 'authorization_code',
      subject: 'the organisation',
      status: 'authorized',
      scope: 'tickets:read',
      refreshedDuringTest: false,
      // The server offers client_secret_post and none: none comes before post in csmcp's order.
      client: expect.stringMatching(/^dynamic client registration: client ext-client-[\w-]+, token endpoint auth method none$/),
    });
    const text = await ok(['connectors', 'test', 'crm']);
    expect(text).toMatch(/auth\s+oauth_dynamic \(authorization_code\) for the organisation/);

    const whoAnn = await briefs.client.callTool('crm', ann, 'whoami', {}, { timeoutMs: 20_000 });
    const whoBob = await briefs.client.callTool('crm', bob, 'whoami', {}, { timeoutMs: 20_000 });
    expect([whoAnn.content, whoBob.content]).toEqual([[{ type: 'text', text: 'desk-admin' }], [{ type: 'text', text: 'desk-admin' }]]);
    const tickets = await briefs.client.callTool('crm', ann, 'search_tickets', { company: 'Acme' }, { timeoutMs: 20_000 });
    expect(JSON.parse((tickets.content as Array<{ text: string }>)[0].text)).toEqual({ company: 'Acme', tickets: [{ id: 'T-1', subject: 'Login fails' }], seenBy: 'desk-admin' });

    const shown = await json<{ company_authorized_at: string | null; authorizations: unknown[] }>(['connectors', 'show', 'crm']);
    expect(shown.company_authorized_at).not.toBeNull();
    expect(shown.authorizations).toEqual([expect.objectContaining({ subject: 'company', status: 'authorized', problem: null })]);
  });

  it('authorises a user-specific connector additively: the admin for the organisation first, then each user; calls use the caller’s own token', async () => {
    await ok(['connectors', 'add', 'tickets', '--url', oauth.url, '--auth', 'oauth_dynamic', '--authorization-scope', 'user', '--allow-host', `127.0.0.1:${oauth.port}`]);
    const tooEarly = await cli(['connectors', 'authorize', 'tickets', '--user', 'ann@example.com']);
    expect(tooEarly.code).toBe(2);
    expect(tooEarly.stderr).toContain('connector tickets is not authorised for the organisation yet: an admin authorises it first (csmcp connectors authorize tickets), then each user');

    const admin = await json<{ authorization_url: string }>(['connectors', 'authorize', 'tickets', '--as', 'admin@example.com']);
    expect((await openInBrowser(admin.authorization_url, 'desk-admin')).status).toBe(200);

    const forAnn = await json<{ authorization_url: string; subject: string }>(['connectors', 'authorize', 'tickets', '--user', 'ann@example.com', '--as', 'admin@example.com']);
    expect(forAnn.subject).toBe('ann@example.com');
    const annBack = await openInBrowser(forAnn.authorization_url, 'desk-ann');
    expect(annBack.page).toContain('csmcp can now use connector <strong>tickets</strong> for ann@example.com');

    const who = await briefs.client.callTool('tickets', ann, 'whoami', {}, { timeoutMs: 20_000 });
    expect(who.content).toEqual([{ type: 'text', text: 'desk-ann' }]);
    const notBob = await expectRejected(briefs.client.callTool('tickets', bob, 'whoami', {}, { timeoutMs: 20_000 }));
    expect(notBob).toMatchObject({
      code: 'NOT_AUTHORIZED',
      message: 'connector tickets is not authorised for bob@example.com yet; authorise it with csmcp connectors authorize tickets --user bob@example.com',
    });
    // The admin's test of a user-specific connector uses the organisation's authorization; --user the user's.
    expect((await json<{ auth: { subject: string } }>(['connectors', 'test', 'tickets'])).auth.subject).toBe('the organisation');
    expect((await json<{ auth: { subject: string } }>(['connectors', 'test', 'tickets', '--user', 'ann@example.com'])).auth.subject).toBe('ann@example.com');

    const shown = await json<{ authorizations: Array<{ subject: string; user_email: string | null; status: string }> }>(['connectors', 'show', 'tickets']);
    expect(shown.authorizations.map((a) => [a.subject, a.user_email, a.status])).toEqual([
      ['company', null, 'authorized'],
      ['user', 'ann@example.com', 'authorized'],
    ]);
  });

  it('refreshes an expired token once, whichever processes need it at the same time', async () => {
    oauth.expireAccessTokens();
    const before = { ...oauth.stats };
    const calls = await Promise.all([
      briefs.client.callTool('crm', ann, 'whoami', {}, { timeoutMs: 30_000 }),
      briefs.client.callTool('crm', bob, 'whoami', {}, { timeoutMs: 30_000 }),
      otherProcess.client.callTool('crm', ann, 'whoami', {}, { timeoutMs: 30_000 }),
      otherProcess.client.callTool('crm', bob, 'whoami', {}, { timeoutMs: 30_000 }),
    ]);
    expect(calls.map((c) => c.content)).toEqual(Array(4).fill([{ type: 'text', text: 'desk-admin' }]));
    // Refresh tokens rotate at this server: a second refresh with the same one would have been refused.
    expect(oauth.stats.refreshes - before.refreshes).toBe(1);
    expect(oauth.stats.refusedRefreshes).toBe(before.refusedRefreshes);
    const afterExpiry = (await json<{ authorizations: Array<{ refreshed_at: string | null }> }>(['connectors', 'show', 'crm'])).authorizations[0].refreshed_at;
    expect(afterExpiry).not.toBeNull();
  });

  it('refreshes a token before it expires, without waiting for the server to refuse it', async () => {
    const crm = await otherProcess.registry.require('crm');
    const company = { kind: 'company' as const };
    const before = oauth.stats.refreshes;
    const current = await otherProcess.authorizations.accessToken(crm, company);
    expect(current.refreshed).toBe(false);
    // This process's clock says the token (issued for an hour) expires in 30 s: within the minute csmcp refreshes ahead.
    otherProcess.authorizations.now = () => Date.now() + 3_600_000 - 30_000;
    try {
      const fresh = await otherProcess.authorizations.accessToken(crm, company);
      expect(fresh.refreshed).toBe(true);
      expect(fresh.token).not.toBe(current.token);
    } finally {
      otherProcess.authorizations.now = Date.now;
    }
    expect(oauth.stats.refreshes - before).toBe(1);
    const test = await json<{ auth: { status: string; refreshedDuringTest: boolean } }>(['connectors', 'test', 'crm']);
    expect(test.auth).toMatchObject({ status: 'authorized', refreshedDuringTest: false });
    expect(oauth.stats.refreshes - before).toBe(1);
  });

  it('shows a revoked grant as needing re-authorisation, without failing anything else, until the user authorises again', async () => {
    oauth.revokeUser('desk-ann');
    const refused = await expectRejected(briefs.client.callTool('tickets', ann, 'whoami', {}, { timeoutMs: 20_000 }));
    expect(refused).toMatchObject({
      code: 'NEEDS_REAUTHORIZATION',
      message:
        'connector tickets needs re-authorisation for ann@example.com: the authorization server refused the refresh token (invalid_grant): the grant was revoked or has expired; authorise it again with csmcp connectors authorize tickets --user ann@example.com',
    });
    const again = await expectRejected(otherProcess.client.callTool('tickets', ann, 'whoami', {}, { timeoutMs: 20_000 }));
    expect(again.code).toBe('NEEDS_REAUTHORIZATION');

    const shown = await json<{ authorizations: Array<{ user_email: string | null; status: string; problem: string | null }> }>(['connectors', 'show', 'tickets']);
    expect(shown.authorizations).toEqual([
      expect.objectContaining({ user_email: null, status: 'authorized' }),
      expect.objectContaining({ user_email: 'ann@example.com', status: 'needs_reauthorization', problem: 'the authorization server refused the refresh token (invalid_grant): the grant was revoked or has expired' }),
    ]);
    const listed = await ok(['connectors', 'list']);
    expect(listed).toMatch(/tickets\s+.*user\s+authorised\s+0 authorised/);
    expect((await fetch(`${config.publicUrl}/healthz`)).status).toBe(200);
    expect((await briefs.client.callTool('crm', ann, 'whoami', {}, { timeoutMs: 20_000 })).content).toEqual([{ type: 'text', text: 'desk-admin' }]);

    const reauthorize = await json<{ authorization_url: string }>(['connectors', 'authorize', 'tickets', '--user', 'ann@example.com']);
    expect((await openInBrowser(reauthorize.authorization_url, 'desk-ann-2')).status).toBe(200);
    expect((await briefs.client.callTool('tickets', ann, 'whoami', {}, { timeoutMs: 20_000 })).content).toEqual([{ type: 'text', text: 'desk-ann-2' }]);
  });

  it('answers a callback it did not start with a page that says so', async () => {
    const res = await fetch(`${config.publicUrl}/connectors/oauth/callback?state=forged&code=x`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('this authorization is unknown, was finished already or took longer than 10 minutes: start again with csmcp connectors authorize');
  });

  it('keeps tokens only in the state database, encrypted, and records each change as an event', async () => {
    const store = csmcp.app.get<EventStore>(EVENT_STORE);
    const events = await store.readStream('connector-tickets');
    expect(events.map((e) => e.type)).toEqual(['ConnectorRegistered', 'ConnectorAuthorized', 'ConnectorAuthorized', 'ConnectorAuthorized']);
    expect(JSON.stringify(events)).not.toMatch(/at-[0-9a-f]{24}|rt-[0-9a-f]{24}/);
    const Database = require('better-sqlite3');
    const raw = new Database(join(env.DATA_DIR!, 'connectors.db'), { readonly: true });
    try {
      const rows = raw.prepare('SELECT tokens FROM connector_grants WHERE tokens IS NOT NULL').all() as Array<{ tokens: string }>;
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(row.tokens).toMatch(/^v1\./);
        expect(row.tokens).not.toMatch(/at-|rt-/);
      }
    } finally {
      raw.close();
    }
  });

  it('updates without losing the authorizations, re-encrypts under a new key, and removes', async () => {
    const updated = await json<{ changes: unknown[]; authorizations_reset: boolean }>(['connectors', 'update', 'crm', '--transport', 'streamable_http']);
    expect(updated).toEqual(expect.objectContaining({ changes: [{ field: 'transport', from: 'auto', to: 'streamable_http' }], authorizations_reset: false }));

    // Key rotation: the new key encrypts, the old one only decrypts until rekey has rewritten everything.
    const newKey = randomBytes(32).toString('base64');
    const rotated = { ...env, CONNECTOR_TOKEN_KEY: newKey, CONNECTOR_TOKEN_OLD_KEYS: env.CONNECTOR_TOKEN_KEY };
    const rekeyed = JSON.parse((await runCli(['connectors', 'rekey', '--json'], rotated)).stdout) as Array<{ reencrypted: number }>;
    expect(rekeyed[0].reencrypted).toBeGreaterThan(0);
    const onlyNew = await runCli(['connectors', 'test', 'crm', '--json'], { ...env, CONNECTOR_TOKEN_KEY: newKey });
    expect(onlyNew.code).toBe(0);
    expect(JSON.parse(onlyNew.stdout).auth.status).toBe('authorized');
    const onlyOld = await runCli(['connectors', 'test', 'crm'], env);
    expect(onlyOld.code).toBe(2);
    expect(onlyOld.stderr).toMatch(/encrypted with a key csmcp no longer has \(key [0-9a-f]{8}\): put that key back in CONNECTOR_TOKEN_OLD_KEYS/);

    await ok(['connectors', 'remove', 'legacy', '--as', 'admin@example.com']);
    const gone = await cli(['connectors', 'show', 'legacy']);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('no connector is named legacy; csmcp connectors list shows them');
  });
});
