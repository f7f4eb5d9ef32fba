import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '@csmcp/event-store';
import { loadConfig } from '../../src/config/config';
import { connectorStream } from '../../src/connectors/registry/connector.events';
import { EVENT_STORE } from '../../src/infrastructure/tokens';
import { startServer, type RunningServer } from '../../src/server';
import { runCli } from '../support/cli';
import { startLegacySseServer, startOAuthMcpServer, type LegacySseServer, type OAuthMcpServer } from '../support/external-mcp-servers';
import { untilCaughtUp } from '../support/mcp-stack';
import { freePort } from '../support/free-port';
import { embeddedStackEnv } from '../support/embedded-stack-env';

/**
 * The connectors' part of the admin API (/admin/api/connectors, /admin/api/brief-sources) against
 * csmcp serve over real HTTP, with real external MCP servers built with the SDK: an OAuth Streamable
 * HTTP desk (dynamic registration, authorised for the organisation and per user through csmcp's
 * callback) and a legacy SSE CRM without auth. Every endpoint, the exact refusals, the admin as the
 * actor of every change, and no secret or token in any answer.
 */
jest.setTimeout(120_000);

const CLIENT_SECRET = 'vendor-client-secret-Zq81x';

interface Answer {
  readonly status: number;
  readonly body: any;
}


describe('admin API: connectors and brief sources', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let csmcp: RunningServer;
  let oauth: OAuthMcpServer;
  let legacy: LegacySseServer;
  let adaToken: string;
  let adaId: string;
  let benToken: string;
  /** Every answer's raw text, to show no secret or token ever left. */
  const seen: string[] = [];

  const ok = async (args: string[]) => {
    const result = await runCli(args, env);
    if (result.code !== 0) throw new Error(`csmcp ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
    return result.stdout;
  };

  async function api(token: string, method: string, path: string, body?: unknown): Promise<Answer> {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${token}` } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await fetch(`${csmcp.url}/admin/api${path}`, init);
    const text = await res.text();
    seen.push(text);
    return { status: res.status, body: text === '' ? null : JSON.parse(text) };
  }
  const asAda = (method: string, path: string, body?: unknown) => api(adaToken, method, path, body);
  const events = (stream: string) => csmcp.app.get<EventStore>(EVENT_STORE).readStream(stream);

  /** A person opening the authorization URL: signed in at the provider, sent back to csmcp's callback. */
  async function openInBrowser(url: string, signInAs: string): Promise<void> {
    oauth.signInAs(signInAs);
    const atProvider = await fetch(url, { redirect: 'manual' });
    expect(atProvider.status).toBe(302);
    const back = await fetch(atProvider.headers.get('location')!);
    expect(back.status).toBe(200);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csmcp-admin-connectors-'));
    env = await embeddedStackEnv(dir);
    [oauth, legacy] = await Promise.all([startOAuthMcpServer(), startLegacySseServer()]);
    adaId = (JSON.parse(await ok(['users', 'add', '--email', 'ada@example.com', '--name', 'Ada Admin', '--role', 'admin', '--json'])) as Array<{ user_id: string }>)[0].user_id;
    await ok(['users', 'add', '--email', 'ben@example.com', '--name', 'Ben', '--role', 'csm']);
    adaToken = (JSON.parse(await ok(['tokens', 'issue', '--user', 'ada@example.com', '--scopes', 'cs:read admin', '--ttl', '1h', '--json'])) as { token: string }).token;
    benToken = (JSON.parse(await ok(['tokens', 'issue', '--user', 'ben@example.com', '--scopes', 'cs:read cs:write', '--ttl', '1h', '--json'])) as { token: string }).token;
    csmcp = await startServer(loadConfig({ ...(env as Record<string, string>), LOG_LEVEL: 'silent' }));
    await untilCaughtUp(csmcp.url);
  }, 180_000);

  afterAll(async () => {
    await csmcp?.close();
    await Promise.all([oauth?.close(), legacy?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a CSM's token (403) on every connectors endpoint", async () => {
    for (const [method, path] of [
      ['GET', '/connectors'],
      ['POST', '/connectors'],
      ['POST', '/connectors/crm/test'],
      ['GET', '/brief-sources'],
      ['DELETE', '/brief-sources/bs_x'],
    ]) {
      const res = await api(benToken, method, path, method === 'GET' ? undefined : {});
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
  });

  it('registers connectors (201, the redirect URI, no secret) as events naming the admin', async () => {
    const crm = await asAda('POST', '/connectors', { name: 'crm', url: legacy.url, transport: 'sse', auth: 'none', allowed_hosts: [`127.0.0.1:${legacy.port}`] });
    expect(crm.status).toBe(201);
    expect(crm.body).toEqual({
      name: 'crm',
      id: expect.stringMatching(/^con_/),
      url: legacy.url,
      transport: 'sse',
      auth: 'none',
      client_id: null,
      has_client_secret: false,
      grant: null,
      scopes: [],
      authorization_scope: 'company',
      allowed_hosts: [`127.0.0.1:${legacy.port}`],
      company_authorized_at: null,
      registered_at: expect.any(String),
      updated_at: expect.any(String),
      redirect_uri: `${env.PUBLIC_URL}/connectors/oauth/callback`,
    });

    const desk = await asAda('POST', '/connectors', { name: 'desk', url: oauth.url, auth: 'oauth_dynamic', authorization_scope: 'user', allowed_hosts: [`127.0.0.1:${oauth.port}`] });
    expect(desk.status).toBe(201);
    expect(desk.body).toMatchObject({ name: 'desk', transport: 'auto', auth: 'oauth_dynamic', grant: 'authorization_code', authorization_scope: 'user' });

    const vendor = await asAda('POST', '/connectors', {
      name: 'vendor',
      url: 'https://mcp.vendor.example/mcp',
      transport: 'streamable_http',
      auth: 'oauth_client',
      client_id: 'csmcp-at-vendor',
      client_secret: CLIENT_SECRET,
      grant: 'client_credentials',
      scopes: ['read', 'tickets'],
    });
    expect(vendor.status).toBe(201);
    expect(vendor.body).toMatchObject({ client_id: 'csmcp-at-vendor', has_client_secret: true, grant: 'client_credentials', scopes: ['read', 'tickets'] });
    expect(vendor.body).not.toHaveProperty('client_secret');

    const [registered] = await events(connectorStream('vendor'));
    expect(registered.metadata).toMatchObject({ actor: { type: 'user', id: adaId, email: 'ada@example.com' }, toolName: 'admin-api POST /admin/api/connectors' });
    expect(JSON.stringify(registered)).not.toContain(CLIENT_SECRET);
  });

  it.each([
    [{ name: 'x', url: 'https://a.example/mcp', auth: 'none', colour: 'red' }, 'UNKNOWN_FIELD', '"colour" is not a field of this request; the fields are name, url, transport, auth, client_id, client_secret, grant, scopes, authorization_scope, allowed_hosts', 'colour'],
    [{ url: 'https://a.example/mcp', auth: 'none' }, 'VALIDATION', 'name is required: a string', 'name'],
    [{ name: 'x', url: 'https://a.example/mcp', auth: 'none', scopes: 'read' }, 'VALIDATION', 'scopes must be an array of strings; got string "read"', 'scopes'],
    [{ name: 'x', url: 'https://a.example/mcp', auth: 'none', transport: 'streamable-http' }, 'VALIDATION', 'transport must be one of auto, streamable_http, sse; got "streamable-http"', 'transport'],
    [{ name: 'Bad Name', url: 'https://a.example/mcp', auth: 'none' }, 'VALIDATION', 'name must be 1 to 63 lower-case letters, digits, - or _, starting with a letter or digit (e.g. zendesk or crm-eu); got "Bad Name"', 'name'],
    [
      { name: 'x', url: 'http://10.0.0.5/mcp', auth: 'none' },
      'VALIDATION',
      'url uses plain http: only allowed for a host inside your network that an admin allowed (--allow-host 10.0.0.5); a server on the internet must use https',
      'url',
    ],
  ])('refuses a bad registration %j with 400', async (body, code, message, field) => {
    const res = await asAda('POST', '/connectors', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code, message, details: expect.objectContaining({ field }) });
  });

  it('refuses a second connector of the same name (409) and an unknown one (404, pointing at this API)', async () => {
    const again = await asAda('POST', '/connectors', { name: 'crm', url: 'https://b.example/mcp', auth: 'none' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ALREADY_EXISTS');
    const missing = await asAda('GET', '/connectors/nope');
    expect(missing).toEqual({
      status: 404,
      body: { error: { code: 'CONNECTOR_NOT_FOUND', message: 'no connector is named nope; GET /admin/api/connectors lists them', details: { field: 'name' } } },
    });
  });

  it('lists the connectors, oldest first, with the organisation’s authorization and the users who authorised', async () => {
    const res = await asAda('GET', '/connectors');
    expect(res.status).toBe(200);
    expect(res.body.connectors.map((c: any) => [c.name, c.company_grant, c.user_grants])).toEqual([
      ['crm', null, 0],
      ['desk', null, 0],
      ['vendor', null, 0],
    ]);
    const bad = await asAda('GET', '/connectors?limit=5');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'UNKNOWN_FIELD', message: '"limit" is not a query parameter of this endpoint; it takes none' });
  });

  it('tests a connector: the transport used, the external tools, how it authenticated (audited as the admin, uncharged)', async () => {
    const res = await asAda('POST', '/connectors/crm/test', {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      connector: 'crm',
      transport: { configured: 'sse', used: 'sse', fell_back: false },
      server: { name: 'legacy-crm', version: '0.9.0' },
      auth: { kind: 'none', status: 'not_needed' },
      tools: [{ name: 'list_accounts', description: 'Accounts in the old CRM', read_only: true }],
    });
    const audit = (await events('audit-log')).map((e) => (e.data as any).body).filter((b) => b?.tool === 'connector:crm/tools/list');
    expect(audit).toEqual([expect.objectContaining({ outcome: 'ok', credits: 0, actor: { type: 'user', id: adaId, email: 'ada@example.com' } })]);
  });

  it('says a connector nobody authorised needs authorising (409), and a dead or unreachable one is a 502', async () => {
    const desk = await asAda('POST', '/connectors/desk/test', {});
    expect(desk.status).toBe(409);
    expect(desk.body.error.code).toBe('NOT_AUTHORIZED');

    const closed = await freePort();
    await asAda('POST', '/connectors', { name: 'gone', url: `http://127.0.0.1:${closed}/mcp`, auth: 'none', allowed_hosts: [`127.0.0.1:${closed}`] });
    const gone = await asAda('POST', '/connectors/gone/test', {});
    expect(gone.status).toBe(502);
    expect(gone.body.error).toMatchObject({ code: 'FETCH_REFUSED', message: expect.stringContaining('ECONNREFUSED') });

    // Nobody allowed this loopback address: the SSRF guard refuses it before any request.
    await asAda('POST', '/connectors', { name: 'inside', url: `https://127.0.0.1:${closed}/mcp`, auth: 'none' });
    const inside = await asAda('POST', '/connectors/inside/test', {});
    expect(inside.status).toBe(502);
    expect(inside.body.error.code).toBe('FETCH_REFUSED');
    expect(inside.body.error.message).toContain(`add 127.0.0.1 or 127.0.0.1:${closed} to the allowed hosts`);
  });

  it('authorises for the organisation, then for a user; refuses what cannot be authorised', async () => {
    const early = await asAda('POST', '/connectors/desk/authorize', { user_email: 'ben@example.com' });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('COMPANY_AUTHORIZATION_FIRST');

    const org = await asAda('POST', '/connectors/desk/authorize', {});
    expect(org.status).toBe(200);
    expect(org.body).toEqual({ connector: 'desk', subject: 'company', user_email: null, authorization_url: expect.stringContaining(`${oauth.origin}/authorize?`), expires_at: expect.any(String) });
    await openInBrowser(org.body.authorization_url, 'desk-admin');

    const ben = await asAda('POST', '/connectors/desk/authorize', { user_email: 'ben@example.com' });
    expect(ben.body).toMatchObject({ subject: 'user', user_email: 'ben@example.com' });
    await openInBrowser(ben.body.authorization_url, 'desk-ben');

    const shown = await asAda('GET', '/connectors/desk');
    expect(shown.status).toBe(200);
    expect(shown.body.company_authorized_at).not.toBeNull();
    expect(shown.body.redirect_uri).toBe(`${env.PUBLIC_URL}/connectors/oauth/callback`);
    expect(shown.body.grants.map((g: any) => [g.subject, g.user_email, g.status])).toEqual([
      ['company', null, 'authorized'],
      ['user', 'ben@example.com', 'authorized'],
    ]);
    const listed = (await asAda('GET', '/connectors')).body.connectors.find((c: any) => c.name === 'desk');
    expect(listed.company_grant).toMatchObject({ subject: 'company', status: 'authorized' });
    expect(listed.user_grants).toBe(1);
    const [, , authorized] = await events(connectorStream('desk'));
    expect(authorized.metadata).toMatchObject({ actor: { type: 'user', id: adaId } });

    expect((await asAda('POST', '/connectors/desk/authorize', { user_email: 'nobody@example.com' })).body.error).toEqual({
      code: 'USER_NOT_FOUND',
      message: 'user_email nobody@example.com: there is no such csmcp user; GET /admin/api/users lists them',
      details: { field: 'user_email' },
    });
    const none = await asAda('POST', '/connectors/crm/authorize', {});
    expect(none.status).toBe(409);
    expect(none.body.error.code).toBe('NO_AUTHORIZATION_NEEDED');
    expect((await asAda('POST', '/connectors/desk/authorize', { user: 'ben@example.com' })).body.error.code).toBe('UNKNOWN_FIELD');
  });

  it("tests with the organisation's and with a user's authorization; a revoked grant is a 409", async () => {
    const org = await asAda('POST', '/connectors/desk/test', {});
    expect(org.status).toBe(200);
    expect(org.body.auth).toMatchObject({ kind: 'oauth_dynamic', subject: 'the organisation', status: 'authorized' });
    expect(org.body.tools.map((t: any) => t.name)).toEqual(['whoami', 'search_tickets']);
    const ben = await asAda('POST', '/connectors/desk/test', { user_email: 'ben@example.com' });
    expect(ben.body.auth).toMatchObject({ subject: 'ben@example.com', status: 'authorized' });

    oauth.revokeUser('desk-ben');
    const revoked = await asAda('POST', '/connectors/desk/test', { user_email: 'ben@example.com' });
    expect(revoked.status).toBe(409);
    expect(revoked.body.error.code).toBe('NEEDS_REAUTHORIZATION');
    const grants = (await asAda('GET', '/connectors/desk')).body.grants;
    expect(grants[1]).toMatchObject({ user_email: 'ben@example.com', status: 'needs_reauthorization', problem: expect.stringContaining('invalid_grant') });
  });

  it('updates a connector: the changes, whether the authorizations were reset; refuses an empty or unknown change', async () => {
    const scopes = await asAda('PATCH', '/connectors/desk', { scopes: ['tickets:read'] });
    expect(scopes.status).toBe(200);
    expect(scopes.body).toMatchObject({ connector: { name: 'desk', scopes: ['tickets:read'] }, changes: [{ field: 'scopes', from: [], to: ['tickets:read'] }] });

    const secret = await asAda('PATCH', '/connectors/vendor', { client_secret: null, grant: 'authorization_code' });
    expect(secret.status).toBe(200);
    expect(secret.body.connector.has_client_secret).toBe(false);
    expect(secret.body.changes.map((c: any) => c.field).sort()).toEqual(['client_secret', 'grant']);

    const moved = await asAda('PATCH', '/connectors/desk', { url: `${oauth.origin}/mcp/` });
    expect(moved.body.authorizations_reset).toBe(true);
    expect((await asAda('GET', '/connectors/desk')).body.grants).toEqual([]);

    expect(await asAda('PATCH', '/connectors/desk', {})).toEqual({
      status: 400,
      body: {
        error: {
          code: 'NOTHING_TO_CHANGE',
          message: 'Nothing to change: give one or more of url, transport, auth, client_id, client_secret, grant, scopes, authorization_scope, allowed_hosts',
          details: { field: null, allowed: ['url', 'transport', 'auth', 'client_id', 'client_secret', 'grant', 'scopes', 'authorization_scope', 'allowed_hosts'] },
        },
      },
    });
    expect((await asAda('PATCH', '/connectors/desk', { name: 'other' })).body.error).toMatchObject({ code: 'UNKNOWN_FIELD', details: { field: 'name' } });
    expect((await asAda('PATCH', '/connectors/nope', { transport: 'sse' })).status).toBe(404);
    const invalid = await asAda('PATCH', '/connectors/crm', { authorization_scope: 'user' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatchObject({ code: 'VALIDATION', details: { field: 'authorization_scope' } });
  });

  it('adds, lists, shows with the connector and removes brief sources', async () => {
    const added = await asAda('POST', '/brief-sources', { connector: 'crm', tool: 'list_accounts', label: 'CRM accounts', args: { company: '{{company.name}}' }, timeout: '5s' });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({
      id: expect.stringMatching(/^bs_/),
      label: 'CRM accounts',
      connector: 'crm',
      tool: 'list_accounts',
      args: { company: '{{company.name}}' },
      timeout_ms: 5000,
      added_at: expect.any(String),
      added_by: { type: 'user', id: adaId, email: 'ada@example.com' },
    });
    expect((await asAda('GET', '/brief-sources')).body).toEqual({ brief_sources: [added.body] });
    expect((await asAda('GET', '/connectors/crm')).body.brief_sources).toEqual([added.body]);
    expect((await asAda('GET', '/connectors/desk')).body.brief_sources).toEqual([]);

    const badTemplate = await asAda('POST', '/brief-sources', { connector: 'crm', tool: 'list_accounts', label: 'Bad', args: { a: '{{company.secret}}' } });
    expect(badTemplate.status).toBe(400);
    expect(badTemplate.body.error).toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('{{company.secret}} is not a company field'), details: { field: 'args' } });
    const twice = await asAda('POST', '/brief-sources', { connector: 'crm', tool: 'list_accounts', label: 'crm ACCOUNTS' });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('ALREADY_EXISTS');
    const noConnector = await asAda('POST', '/brief-sources', { connector: 'nope', tool: 't', label: 'L' });
    expect(noConnector.status).toBe(404);
    expect(noConnector.body.error.message).toBe('no connector is named nope; GET /admin/api/connectors lists them');
    expect((await asAda('POST', '/brief-sources', { connector: 'crm', tool: 't', label: 'L', args: '{}' })).body.error).toEqual({
      code: 'VALIDATION',
      message: 'args must be an object; got string "{}"',
      details: { field: 'args' },
    });

    expect(await asAda('DELETE', `/brief-sources/${added.body.id}`)).toEqual({ status: 200, body: { id: added.body.id, removed: true } });
    expect(await asAda('DELETE', `/brief-sources/${added.body.id}`)).toEqual({
      status: 404,
      body: { error: { code: 'BRIEF_SOURCE_NOT_FOUND', message: `no brief source has the id ${added.body.id}; GET /admin/api/brief-sources lists them`, details: { field: 'id' } } },
    });
    const [, removed] = await events('brief-sources');
    expect(removed).toMatchObject({ type: 'BriefSourceRemoved', metadata: { actor: { type: 'user', id: adaId } } });
  });

  it('removes a connector with its secrets and tokens', async () => {
    expect(await asAda('DELETE', '/connectors/vendor')).toEqual({ status: 200, body: { name: 'vendor', removed: true } });
    expect((await asAda('GET', '/connectors/vendor')).status).toBe(404);
    expect((await asAda('DELETE', '/connectors/vendor')).status).toBe(404);
    const last = (await events(connectorStream('vendor'))).at(-1)!;
    expect(last.metadata).toMatchObject({ actor: { type: 'user', id: adaId }, toolName: 'admin-api DELETE /admin/api/connectors/{name}' });
  });

  it('never answered with a client secret or a token', () => {
    const all = seen.join('\n');
    expect(all).not.toContain(CLIENT_SECRET);
    expect(all).not.toMatch(/\b(at|rt)-[0-9a-f]{24}\b/);
    expect(all).not.toMatch(/access_token|refresh_token/);
    expect(seen.length).toBeGreaterThan(40);
  });
});
