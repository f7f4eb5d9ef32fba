import * as oauth from 'oauth4webapi';
import type { EventStore, RecordedEvent } from '@csmcp/event-store';
import { loadConfig } from '../../src/config/config';
import { openEventStore } from '../../src/infrastructure/stores';
import { startServerProcess, type ServerProcess } from '../support/cli';
import { postgresStore, sqliteStore, untilCaughtUp, type McpStore } from '../support/mcp-stack';
import { cookieJarFetch, formOf } from '../support/oauth-forms';

/**
 * The admin HTTP API (/admin/api) against a real `csmcp serve`, over real HTTP, on a store set up with
 * the CLI: who gets in (an admin's token with the admin scope: a personal access token or an OAuth
 * access token of the built-in authorization server) and who does not, every operation, the exact
 * refusal of bad input, and the events each change leaves, attributed to the admin.
 */
const PASSWORD = 'correct horse battery staple';
const ADA = { email: 'ada.admin@example.com', name: 'Ada Admin' };
const BEN = { email: 'ben.csm@example.com', name: 'Ben Csm' };
const CARL = { email: 'carl.admin@example.com', name: 'Carl Admin' };
const insecure = { [oauth.allowInsecureRequests]: true } as const;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  /** The JSON answer, as received. */
  readonly body: any;
}

/** A request to the admin API; a body that is not a string is sent as JSON. */
async function call(base: string, token: string | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const init: RequestInit = { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}/admin/api${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? null : JSON.parse(text) };
}

async function issue(store: McpStore, email: string, scopes: string): Promise<string> {
  return (JSON.parse(await store.cli(['tokens', 'issue', '--user', email, '--scopes', scopes, '--ttl', '1h', '--json'])) as { token: string }).token;
}

/** The store the server writes to, opened as the CLI does (beside the running server). */
async function eventsOf(store: McpStore, stream: string): Promise<RecordedEvent[]> {
  const events: EventStore = await openEventStore(loadConfig(store.env).eventStore);
  try {
    return await events.readStream(stream);
  } finally {
    await events.close();
  }
}

describe('admin API (csmcp serve, embedded store)', () => {
  let store: McpStore;
  let server: ServerProcess;
  let base: string;
  let ada: { userId: string; token: string; withoutAdminScope: string };
  let benToken: string;
  let carl: { userId: string; token: string };
  const api = (token: string | null, method: string, path: string, body?: unknown, headers?: Record<string, string>) => call(base, token, method, path, body, headers);
  const asAda = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => api(ada.token, method, path, body, headers);
  /**
   * A token's verification (and what it knows of the token's integration) is kept up to a second: a
   * change shows within that. Asks until the answer's status is no longer `from` (at most 5 s).
   */
  const afterVerificationCache = async (token: string, path: string, from = 200): Promise<Answer> => {
    let res = await api(token, 'GET', path);
    for (let i = 0; i < 100 && res.status === from; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      res = await api(token, 'GET', path);
    }
    return res;
  };
  /** Ada as the actor in an event's metadata (and the tool: this API). */
  const byAda = (toolName: string) => expect.objectContaining({ actor: { type: 'user', id: ada.userId, email: ADA.email }, toolName: `admin-api ${toolName}`, accessContext: 'admin' });

  beforeAll(async () => {
    store = sqliteStore();
    const add = async (p: { email: string; name: string }, role: string, password?: string) =>
      (JSON.parse(await store.cli(['users', 'add', '--email', p.email, '--name', p.name, '--role', role, '--json', ...(password ? ['--password-stdin'] : [])], password ? `${password}\n` : undefined)) as Array<{ user_id: string }>)[0].user_id;
    const adaId = await add(ADA, 'admin', PASSWORD);
    await add(BEN, 'csm');
    const carlId = await add(CARL, 'admin');
    ada = { userId: adaId, token: await issue(store, ADA.email, 'cs:read admin'), withoutAdminScope: await issue(store, ADA.email, 'cs:read cs:write') };
    benToken = await issue(store, BEN.email, 'cs:read cs:write');
    carl = { userId: carlId, token: await issue(store, CARL.email, 'admin') };
    server = await startServerProcess(store.env);
    base = server.url;
    await untilCaughtUp(base);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await store?.dispose();
  });

  describe('who gets in', () => {
    it('asks for a token (401 with a challenge naming the resource metadata and the admin scope), never cached', async () => {
      const res = await api(null, 'GET', '/integrations');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", scope="admin"`);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({ error: { code: 'unauthorized', message: 'This endpoint needs an access token: send Authorization: Bearer <token>' } });
    });

    it('refuses a token it does not know (401 invalid_token) and a token in the query (400)', async () => {
      const unknown = await api('csmcp_pat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'GET', '/users');
      expect(unknown.status).toBe(401);
      expect(unknown.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(unknown.body).toEqual({ error: { code: 'invalid_token', message: 'The access token is not known to this server; it may be mistyped or from another server' } });
      const inQuery = await api(null, 'GET', `/users?access_token=${ada.token}`);
      expect(inQuery.status).toBe(400);
      expect(inQuery.body.error.code).toBe('invalid_request');
    });

    it("refuses a CSM's token: 403 forbidden, naming the role", async () => {
      const res = await api(benToken, 'GET', '/integrations');
      expect(res.status).toBe(403);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({
        error: {
          code: 'forbidden',
          message: `The admin API is for admins: ${BEN.email} is a csm. An admin can change a role with PATCH /admin/api/users/{user_id} or csmcp users set-role`,
        },
      });
    });

    it("refuses an admin's token without the admin scope: 403 insufficient_scope", async () => {
      const res = await api(ada.withoutAdminScope, 'GET', '/write-policy');
      expect(res.status).toBe(403);
      expect(res.headers.get('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="admin", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`);
      expect(res.body).toEqual({ error: { code: 'insufficient_scope', message: 'This needs the admin scope, which the access token does not have' } });
    });

    it('answers anything else under /admin/api with 404 and the list of endpoints', async () => {
      const res = await asAda('GET', '/reports');
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NO_SUCH_ENDPOINT');
      expect(res.body.error.message).toMatch(/^GET \/admin\/api\/reports is not an admin API endpoint; the endpoints are: GET \/admin\/api\/integrations, /);
      expect(res.body.error.details.endpoints).toHaveLength(37);
      // Not a way around the door: without a token it is 401 like everything else.
      expect((await api(null, 'GET', '/reports')).status).toBe(401);
    });
  });

  describe('integrations', () => {
    it('creates from a preset and shows the secret in that response only; each change is an event by the admin', async () => {
      const created = await asAda('POST', '/integrations', { name: 'Claude (sales)', preset: 'claude', ip_allow_list: ['203.0.113.0/24'] });
      expect(created.status).toBe(201);
      expect(created.headers.get('cache-control')).toBe('no-store');
      const id: string = created.body.client_id;
      expect(created.body).toEqual({
        client_id: expect.stringMatching(/^csmcp_int_/),
        client_secret: expect.stringMatching(/^csmcp_sec_/),
        name: 'Claude (sales)',
        preset: 'claude',
        redirect_uris: ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback'],
        scopes: ['cs:read', 'cs:write'],
        access_context: 'personal',
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_basic',
        confidential: true,
        ip_allow_list: ['203.0.113.0/24'],
        enabled: true,
        registered_at: expect.any(String),
        updated_at: expect.any(String),
        secrets: [{ issued_at: expect.any(String), valid_until: null }],
      });
      const secret: string = created.body.client_secret;

      const shown = await asAda('GET', `/integrations/${id}`);
      expect(shown.status).toBe(200);
      const { client_secret: _secret, ...settings } = created.body;
      expect(shown.body).toEqual(settings);
      const listed = await asAda('GET', '/integrations');
      expect(listed.body.items).toContainEqual(settings);
      expect(JSON.stringify([shown.body, listed.body])).not.toContain(secret);

      const updated = await asAda('PATCH', `/integrations/${id}`, { name: 'Claude', scopes: ['cs:read'], ip_allow_list: [] });
      expect(updated.status).toBe(200);
      expect(updated.body.integration).toMatchObject({ name: 'Claude', scopes: ['cs:read'], ip_allow_list: [] });
      expect(updated.body.changes).toEqual([
        { field: 'name', from: 'Claude (sales)', to: 'Claude' },
        { field: 'scopes', from: ['cs:read', 'cs:write'], to: ['cs:read'] },
        { field: 'ip_allow_list', from: ['203.0.113.0/24'], to: [] },
      ]);

      const rotated = await asAda('POST', `/integrations/${id}/rotate-secret`);
      expect(rotated.status).toBe(200);
      expect(rotated.body).toEqual({ client_id: id, client_secret: expect.stringMatching(/^csmcp_sec_/), previous_secrets_valid_until: expect.any(String) });
      expect(rotated.body.client_secret).not.toBe(secret);
      // The old secret keeps working for a day, so the connector can be updated.
      expect(Date.parse(rotated.body.previous_secrets_valid_until) - Date.now()).toBeGreaterThan(23 * 3_600_000);
      const rotatedNow = await asAda('POST', `/integrations/${id}/rotate-secret`, { immediately: true });
      expect(Date.parse(rotatedNow.body.previous_secrets_valid_until)).toBeLessThanOrEqual(Date.now());
      expect((await asAda('GET', `/integrations/${id}`)).body.secrets).toEqual([{ issued_at: expect.any(String), valid_until: null }]);

      const disabled = await asAda('POST', `/integrations/${id}/disable`);
      expect(disabled.status).toBe(200);
      expect(disabled.body).toMatchObject({ integration: { client_id: id, enabled: false }, changed: true });
      expect((await asAda('POST', `/integrations/${id}/disable`)).body.changed).toBe(false);
      expect((await asAda('POST', `/integrations/${id}/enable`)).body).toMatchObject({ integration: { enabled: true }, changed: true });

      const events = await eventsOf(store, `integration-${id}`);
      expect(events.map((e) => e.type)).toEqual([
        'IntegrationRegistered',
        'IntegrationUpdated',
        'IntegrationSecretRotated',
        'IntegrationSecretRotated',
        'IntegrationDisabled',
        'IntegrationEnabled',
      ]);
      const calls = [
        'POST /admin/api/integrations',
        'PATCH /admin/api/integrations/{client_id}',
        'POST /admin/api/integrations/{client_id}/rotate-secret',
        'POST /admin/api/integrations/{client_id}/rotate-secret',
        'POST /admin/api/integrations/{client_id}/disable',
        'POST /admin/api/integrations/{client_id}/enable',
      ];
      events.forEach((e, i) => expect(e.metadata).toEqual(byAda(calls[i])));
      const author = { type: 'user', id: ada.userId, email: ADA.email };
      expect(events[0].data).toMatchObject({ registeredBy: author });
      expect(events[4].data).toMatchObject({ disabledBy: author });
      // Only hashes are stored.
      expect(JSON.stringify(events)).not.toContain(secret);
      expect(JSON.stringify(events)).not.toContain(rotated.body.client_secret);
    });

    it('registers a ChatGPT integration without a redirect URI, adds it later; a public client has no secret', async () => {
      const chatgpt = await asAda('POST', '/integrations', { name: 'ChatGPT', preset: 'chatgpt' });
      expect(chatgpt.status).toBe(201);
      expect(chatgpt.body.redirect_uris).toEqual([]);
      const uri = 'https://chatgpt.com/connector_platform_oauth_redirect';
      const added = await asAda('PATCH', `/integrations/${chatgpt.body.client_id}`, { add_redirect_uris: [uri] });
      expect(added.body.changes).toEqual([{ field: 'redirect_uris', from: [], to: [uri] }]);

      const pub = await asAda('POST', '/integrations', { name: 'Desktop', preset: 'custom', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
      expect(pub.status).toBe(201);
      expect(pub.body).toMatchObject({ client_secret: null, confidential: false, token_endpoint_auth_method: 'none', secrets: [] });
    });

    it('lists a page at a time, oldest first', async () => {
      const all = (await asAda('GET', '/integrations?limit=200')).body.items as Array<{ client_id: string; registered_at: string }>;
      expect(all.length).toBeGreaterThanOrEqual(3);
      const first = await asAda('GET', '/integrations?limit=2');
      expect(first.body.items.map((i: { client_id: string }) => i.client_id)).toEqual(all.slice(0, 2).map((i) => i.client_id));
      expect(first.body.next_cursor).toEqual(expect.any(String));
      const seen = [...first.body.items];
      let cursor: string | null = first.body.next_cursor;
      while (cursor) {
        const next = await asAda('GET', `/integrations?limit=2&cursor=${encodeURIComponent(cursor)}`);
        expect(next.status).toBe(200);
        seen.push(...next.body.items);
        cursor = next.body.next_cursor;
      }
      expect(seen.map((i) => i.client_id)).toEqual(all.map((i) => i.client_id));
      const times = all.map((i) => i.registered_at);
      expect([...times].sort()).toEqual(times);
    });
  });

  describe('users', () => {
    it('creates a user with a password (who can then sign in), lists them, changes a role; each an event by the admin', async () => {
      const created = await asAda('POST', '/users', { email: 'Dora.Viewer@Example.com', name: 'Dora Viewer', role: 'viewer', password: 'a long enough passphrase' });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ user_id: expect.any(String), email: 'dora.viewer@example.com', name: 'Dora Viewer', role: 'viewer', team: null, password_set: true });
      const id: string = created.body.user_id;

      const listed = await asAda('GET', '/users');
      expect(listed.status).toBe(200);
      expect(listed.body.items).toContainEqual({ user_id: id, email: 'dora.viewer@example.com', name: 'Dora Viewer', role: 'viewer', team: null, registered_at: expect.any(String), has_password: true });
      const emails = listed.body.items.map((u: { email: string }) => u.email);
      expect(emails).toEqual([...emails].sort());
      expect(listed.body.items.find((u: { email: string }) => u.email === BEN.email)).toMatchObject({ role: 'csm', has_password: false });

      const changed = await asAda('PATCH', `/users/${id}`, { role: 'csm' });
      expect(changed.body).toEqual({ user_id: id, email: 'dora.viewer@example.com', role: 'csm', previous_role: 'viewer', changed: true });
      expect((await asAda('PATCH', `/users/${id}`, { role: 'csm' })).body.changed).toBe(false);
      expect((await asAda('GET', '/users')).body.items.find((u: { user_id: string }) => u.user_id === id).role).toBe('csm');

      const events = await eventsOf(store, `user-${id}`);
      expect(events.map((e) => [e.type, e.metadata.toolName])).toEqual([
        ['UserRegistered', 'admin-api POST /admin/api/users'],
        ['UserRoleChanged', 'admin-api PATCH /admin/api/users/{user_id}'],
      ]);
      for (const e of events) expect(e.metadata).toEqual(byAda(String(e.metadata.toolName).slice('admin-api '.length)));
      expect(events[1].data).toEqual({ userId: id, from: 'viewer', to: 'csm', changedAt: expect.any(String) });
      const [password] = await eventsOf(store, `user-credentials-${id}`);
      expect(password.metadata).toEqual(byAda('POST /admin/api/users'));
      expect(JSON.stringify(password.data)).not.toContain('a long enough passphrase');
    });

    it("puts a user in a team and moves them (team in POST and PATCH, shown in the list); the teams' streams list their members", async () => {
      const created = await asAda('POST', '/users', { email: 'erin@example.com', name: 'Erin', role: 'csm', team: ' North ' });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ user_id: expect.any(String), email: 'erin@example.com', name: 'Erin', role: 'csm', team: 'North', password_set: false });
      const id: string = created.body.user_id;
      const teamOf = async () => (await asAda('GET', '/users')).body.items.find((u: { user_id: string }) => u.user_id === id).team;
      expect(await teamOf()).toBe('North');

      expect((await asAda('PATCH', `/users/${id}`, { team: 'South' })).body).toEqual({ user_id: id, email: 'erin@example.com', team: 'South', previous_team: 'North', changed: true });
      expect((await asAda('PATCH', `/users/${id}`, { team: 'SOUTH' })).body).toEqual({ user_id: id, email: 'erin@example.com', team: 'South', previous_team: 'South', changed: false });
      expect(await teamOf()).toBe('South');
      const both = await asAda('PATCH', `/users/${id}`, { role: 'viewer', team: null });
      expect(both.body).toEqual({ user_id: id, email: 'erin@example.com', role: 'viewer', previous_role: 'csm', team: null, previous_team: 'South', changed: true });
      expect(await teamOf()).toBeNull();

      const events = await eventsOf(store, `user-${id}`);
      expect(events.map((e) => [e.type, e.data.from ?? null, e.data.to ?? null])).toEqual([
        ['UserRegistered', null, null],
        ['UserTeamChanged', null, 'North'],
        ['UserTeamChanged', 'North', 'South'],
        ['UserRoleChanged', 'csm', 'viewer'],
        ['UserTeamChanged', 'South', null],
      ]);
      for (const e of events.slice(2)) expect(e.metadata).toEqual(byAda('PATCH /admin/api/users/{user_id}'));
      expect((await eventsOf(store, 'team-north')).map((e) => [e.type, e.data.userId])).toEqual([['TeamMemberJoined', id], ['TeamMemberLeft', id]]);
      expect((await eventsOf(store, 'team-south')).map((e) => [e.type, e.data.userId])).toEqual([['TeamMemberJoined', id], ['TeamMemberLeft', id]]);
    });

    it("takes the admin scope away with the role: a demoted admin's token (issued with admin) gets 403", async () => {
      expect((await api(carl.token, 'GET', '/users')).status).toBe(200);
      const demoted = await asAda('PATCH', `/users/${carl.userId}`, { role: 'csm' });
      expect(demoted.body).toMatchObject({ role: 'csm', previous_role: 'admin', changed: true });
      const res = await afterVerificationCache(carl.token, '/users');
      expect(res.status).toBe(403);
      expect(res.body.error).toEqual({
        code: 'forbidden',
        message: `The admin API is for admins: ${CARL.email} is a csm. An admin can change a role with PATCH /admin/api/users/{user_id} or csmcp users set-role`,
      });
    });
  });

  describe('write policy', () => {
    it('shows it and replaces it, checked as csmcp policy set checks it; each change an event by the admin', async () => {
      const shown = await asAda('GET', '/write-policy');
      expect(shown.status).toBe(200);
      expect(shown.body).toMatchObject({ allowCtaReopen: false, integrations: {}, confirmWrites: {} });
      expect(shown.body.roles.viewer.create_cta).toBe(false);

      const replaced = await asAda('PUT', '/write-policy', { roles: { csm: { update_cta: false } }, allowCtaReopen: true, confirmWrites: { create_cta: true } });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ allowCtaReopen: true, confirmWrites: { create_cta: true }, roles: { csm: { update_cta: false, create_cta: true } } });
      expect((await asAda('GET', '/write-policy')).body).toEqual(replaced.body);

      const events = await eventsOf(store, 'write-policy');
      expect(events.at(-1)!.type).toBe('WritePolicyConfigured');
      expect(events.at(-1)!.metadata).toEqual(byAda('PUT /admin/api/write-policy'));
    });
  });

  describe('dynamically registered OAuth clients, and OAuth access tokens', () => {
    const redirectUri = 'http://127.0.0.1:9/callback';
    let as: oauth.AuthorizationServer;
    beforeAll(async () => {
      const issuer = new URL(base);
      as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    });

    it("takes an integration's admin-scoped token as /mcp does: its IP allow-list (403 access_denied) and its being disabled (401) apply", async () => {
      const created = await asAda('POST', '/integrations', {
        name: 'Ops Console',
        preset: 'custom',
        redirect_uris: [redirectUri],
        scopes: ['cs:read', 'admin'],
        token_endpoint_auth_method: 'none',
      });
      const id: string = created.body.client_id;
      const tokens = await signIn(as, { client_id: id, token_endpoint_auth_method: 'none' }, redirectUri, 'cs:read admin');
      expect(tokens.scope).toBe('cs:read admin');
      expect((await api(tokens.access_token, 'GET', `/integrations/${id}`)).status).toBe(200);

      await asAda('PATCH', `/integrations/${id}`, { ip_allow_list: ['203.0.113.0/24'] });
      const outside = await afterVerificationCache(tokens.access_token, `/integrations/${id}`);
      expect(outside.status).toBe(403);
      expect(outside.body.error.code).toBe('access_denied');
      expect(outside.body.error.message).toMatch(
        /^Requests from \S*127\.0\.0\.1 are not allowed for the integration Ops Console: its IP allow-list does not include this address/,
      );

      await asAda('PATCH', `/integrations/${id}`, { ip_allow_list: [] });
      expect((await afterVerificationCache(tokens.access_token, `/integrations/${id}`, 403)).status).toBe(200);
      await asAda('POST', `/integrations/${id}/disable`);
      const disabled = await afterVerificationCache(tokens.access_token, `/integrations/${id}`);
      expect(disabled.status).toBe(401);
      expect(disabled.body.error.code).toBe('invalid_token');
    });

    it('takes an admin-scoped OAuth access token; deleting its client revokes the grant, so the token stops working', async () => {
      const registered = await oauth.processDynamicClientRegistrationResponse(
        await oauth.dynamicClientRegistrationRequest(
          as,
          { client_name: 'Admin Desk', redirect_uris: [redirectUri], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] },
          insecure,
        ),
      );
      const client: oauth.Client = { client_id: registered.client_id, token_endpoint_auth_method: 'none' };
      const tokens = await signIn(as, client, redirectUri, 'cs:read admin');
      expect(tokens.scope).toBe('cs:read admin');

      // The OAuth token works here as a personal access token does.
      const listed = await api(tokens.access_token, 'GET', '/oauth-clients');
      expect(listed.status).toBe(200);
      const mine = listed.body.items.find((c: { client_id: string }) => c.client_id === registered.client_id);
      expect(mine).toEqual({
        client_id: registered.client_id,
        client_name: 'Admin Desk',
        redirect_uris: [redirectUri],
        created_at: expect.any(String),
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
      });
      expect(Math.abs(Date.parse(mine.created_at) - Date.now())).toBeLessThan(10 * 60_000);

      const deleted = await asAda('DELETE', `/oauth-clients/${registered.client_id}`);
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({ client_id: registered.client_id, client_name: 'Admin Desk', revoked_grants: 1 });
      const refused = await afterVerificationCache(tokens.access_token, '/oauth-clients');
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('invalid_token');
      // The client is gone, so its refresh token gets nothing (the token itself went with the grant).
      const refreshed = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, insecure);
      await expect(oauth.processRefreshTokenResponse(as, client, refreshed)).rejects.toMatchObject({ error: 'invalid_client' });
      expect((await asAda('GET', '/oauth-clients')).body.items.map((c: { client_id: string }) => c.client_id)).not.toContain(registered.client_id);

      const [event] = await eventsOf(store, `oauth-dynamic-client-${registered.client_id}`);
      expect(event).toMatchObject({
        type: 'DynamicClientDeleted',
        data: { clientId: registered.client_id, clientName: 'Admin Desk', redirectUris: [redirectUri], revokedGrants: 1, deletedBy: { type: 'user', id: ada.userId, email: ADA.email } },
      });
      expect(event.metadata).toEqual(byAda('DELETE /admin/api/oauth-clients/{client_id}'));

      const again = await asAda('DELETE', `/oauth-clients/${registered.client_id}`);
      expect(again.status).toBe(404);
      expect(again.body.error).toEqual({
        code: 'CLIENT_NOT_FOUND',
        message: `no dynamically registered client has client id ${registered.client_id}; GET /admin/api/oauth-clients lists them`,
        details: { field: 'client_id' },
      });
    });

    /** Authorization code with PKCE through csmcp's sign-in and consent pages, as Ada. */
    async function signIn(as: oauth.AuthorizationServer, client: oauth.Client, redirectUri: string, scope: string) {
      const go = cookieJarFetch();
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const url = new URL(as.authorization_endpoint!);
      const params = {
        client_id: client.client_id,
        response_type: 'code',
        redirect_uri: redirectUri,
        scope,
        state,
        resource: `${base}/mcp`,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      };
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      let res = await go(url.href);
      for (let step = 0; step < 10; step++) {
        if (res.status === 302 || res.status === 303) {
          const location = new URL(res.headers.get('location')!, base);
          if (location.href.startsWith(redirectUri)) {
            const callback = oauth.validateAuthResponse(as, client, location, state);
            return oauth.processAuthorizationCodeResponse(
              as,
              client,
              await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), callback, redirectUri, verifier, { additionalParameters: { resource: `${base}/mcp` }, ...insecure }),
            );
          }
          res = await go(location.href);
          continue;
        }
        expect(res.status).toBe(200);
        const html = await res.text();
        const form = html.includes('type="password"') ? formOf(html, /\/login$/) : formOf(html, /\/confirm$/);
        const fields: Record<string, string> = html.includes('type="password"') ? { csrf: form.csrf, email: ADA.email, password: PASSWORD } : { csrf: form.csrf };
        res = await go(new URL(form.action, base).href, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
      }
      throw new Error(`the sign-in did not end at the client: ${res.status}`);
    }
  });

  describe('bad input: the exact refusal', () => {
    let claudeId: string;
    let publicId: string;
    beforeAll(async () => {
      claudeId = (await asAda('POST', '/integrations', { name: 'Claude (bad input)', preset: 'claude' })).body.client_id;
      publicId = (await asAda('POST', '/integrations', { name: 'Public', preset: 'custom', redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'none' })).body.client_id;
    });

    const INTEGRATION_FIELDS = ['name', 'preset', 'redirect_uris', 'scopes', 'access_context', 'grant_types', 'token_endpoint_auth_method', 'ip_allow_list'];
    const cases: Array<[string, string, string, unknown, number, { code: string; message: string; details?: unknown }]> = [
      ['POST', '/integrations', 'an unknown field', { name: 'X', preset: 'claude', secret: 'mine' }, 400, {
        code: 'UNKNOWN_FIELD',
        message: `"secret" is not a field of this request; the fields are ${INTEGRATION_FIELDS.join(', ')}`,
        details: { field: 'secret', allowed: INTEGRATION_FIELDS },
      }],
      ['POST', '/integrations', 'no name', { preset: 'claude' }, 400, { code: 'VALIDATION', message: 'name is required: a string', details: { field: 'name' } }],
      ['POST', '/integrations', 'an unknown preset', { name: 'X', preset: 'gemini' }, 400, {
        code: 'VALIDATION',
        message: 'preset must be one of chatgpt, claude, copilot_studio, custom; got "gemini"',
        details: { field: 'preset' },
      }],
      ['POST', '/integrations', 'a list that is a string', { name: 'X', preset: 'claude', scopes: 'cs:read' }, 400, {
        code: 'VALIDATION',
        message: 'scopes must be an array of strings; got string "cs:read"',
        details: { field: 'scopes' },
      }],
      ['POST', '/integrations', 'an unknown scope', { name: 'X', preset: 'claude', scopes: ['cs:read', 'cs:delete'] }, 400, {
        code: 'INVALID_SCOPE',
        message: 'scopes: unknown "cs:delete"; allowed are cs:read, cs:write, admin',
        details: { field: 'scopes' },
      }],
      ['POST', '/integrations', 'an http redirect URI off loopback', { name: 'X', preset: 'custom', redirect_uris: ['http://app.example.com/cb'] }, 400, {
        code: 'INVALID_REDIRECT_URI',
        message: 'redirect URI "http://app.example.com/cb" uses http on app.example.com; http is allowed only on 127.0.0.1, [::1] or localhost: use https',
        details: { field: 'redirect_uris' },
      }],
      ['POST', '/integrations', 'a JSON array body', ['claude'], 400, {
        code: 'VALIDATION',
        message: `The body must be a JSON object with the fields ${INTEGRATION_FIELDS.join(', ')}`,
        details: { field: null, allowed: INTEGRATION_FIELDS },
      }],
      ['GET', '/integrations/csmcp_int_nope', 'an unknown integration', undefined, 404, {
        code: 'INTEGRATION_NOT_FOUND',
        message: 'no integration has client id csmcp_int_nope; GET /admin/api/integrations lists them',
        details: { field: 'client_id' },
      }],
      ['PATCH', '/integrations/csmcp_int_nope', 'an unknown integration', { name: 'X' }, 404, {
        code: 'INTEGRATION_NOT_FOUND',
        message: 'no integration has client id csmcp_int_nope; GET /admin/api/integrations lists them',
        details: { field: 'client_id' },
      }],
      ['PATCH', '/integrations/{claude}', 'nothing to change', {}, 400, {
        code: 'NOTHING_TO_CHANGE',
        message: 'Nothing to change: give one or more of name, redirect_uris, add_redirect_uris, remove_redirect_uris, scopes, access_context, grant_types, token_endpoint_auth_method, ip_allow_list',
        details: {
          field: null,
          allowed: ['name', 'redirect_uris', 'add_redirect_uris', 'remove_redirect_uris', 'scopes', 'access_context', 'grant_types', 'token_endpoint_auth_method', 'ip_allow_list'],
        },
      }],
      ['PATCH', '/integrations/{claude}', 'another access context', { access_context: 'shared' }, 409, {
        code: 'ACCESS_CONTEXT_FIXED',
        message: 'the access context of integration {claude} is personal and cannot be changed once created; register a new integration with --access shared and disable this one',
        details: { field: 'access_context' },
      }],
      ['PATCH', '/integrations/{claude}', 'an IP range that is not one', { ip_allow_list: ['10.0.0.0/33'] }, 400, {
        code: 'INVALID_IP_RANGE',
        message: 'IP range "10.0.0.0/33" has the prefix length /33; an IPv4 prefix is a whole number from 0 to 32',
        details: { field: 'ip_allow_list' },
      }],
      ['POST', '/integrations/{public}/rotate-secret', 'a public client', undefined, 409, {
        code: 'PUBLIC_CLIENT_HAS_NO_SECRET',
        message: 'integration {public} is a public client (token endpoint auth method none): it has no secret to rotate; register a confidential integration if the connector can keep a secret',
      }],
      ['POST', '/integrations/{claude}/rotate-secret', 'immediately that is not a boolean', { immediately: 'yes' }, 400, {
        code: 'VALIDATION',
        message: 'immediately must be true or false; got string "yes"',
        details: { field: 'immediately' },
      }],
      ['POST', '/integrations/{claude}/disable', 'a body with a field', { reason: 'leak' }, 400, {
        code: 'UNKNOWN_FIELD',
        message: '"reason" is not a field of this request; it takes none',
        details: { field: 'reason', allowed: [] },
      }],
      ['POST', '/integrations/csmcp_int_nope/enable', 'an unknown integration', undefined, 404, {
        code: 'INTEGRATION_NOT_FOUND',
        message: 'no integration has client id csmcp_int_nope; GET /admin/api/integrations lists them',
        details: { field: 'client_id' },
      }],
      ['GET', '/integrations?limit=500', 'a limit over 200', undefined, 400, {
        code: 'VALIDATION',
        message: 'limit must be a whole number from 1 to 200; got "500"',
        details: { field: 'limit' },
      }],
      ['GET', '/integrations?order=newest', 'an unknown query parameter', undefined, 400, {
        code: 'UNKNOWN_FIELD',
        message: '"order" is not a query parameter of this list; the parameters are limit and cursor',
        details: { field: 'order', allowed: ['limit', 'cursor'] },
      }],
      ['GET', '/integrations?cursor=bm90LWEtY3Vyc29y', 'a cursor that is not one', undefined, 400, {
        code: 'INVALID_CURSOR',
        message: 'cursor is not a cursor of this list: pass the next_cursor of the previous page of integrations as it is, or leave it out for the first page',
        details: { field: 'cursor' },
      }],
      ['POST', '/users', 'an unknown role and a bad email', { email: 'nobody', name: 'N', role: 'owner' }, 400, {
        code: 'VALIDATION',
        message: 'Invalid input: email: must be an email address like anna@example.com; role: must be one of admin, csm, viewer',
        details: {
          field: 'email',
          problems: [
            { field: 'email', problem: 'must be an email address like anna@example.com' },
            { field: 'role', problem: 'must be one of admin, csm, viewer' },
          ],
        },
      }],
      ['POST', '/users', 'a short password', { email: 'eve@example.com', name: 'Eve', role: 'csm', password: 'short' }, 400, {
        code: 'VALIDATION',
        message: 'password: the password has 5 characters; it must have 12 to 1024 (any characters, spaces included)',
        details: { field: 'password' },
      }],
      ['POST', '/users', 'an email that is taken', { email: BEN.email.toUpperCase(), name: 'Ben Again', role: 'viewer' }, 409, {
        code: 'ALREADY_EXISTS',
        message: `${BEN.email} is already registered (user {ben})`,
      }],
      ['PATCH', '/users/{ada}', 'their own role', { role: 'csm' }, 409, {
        code: 'ILLEGAL_STATE',
        message: 'An admin cannot change their own role; ask another admin to do it',
        details: { field: 'user_id' },
      }],
      ['PATCH', '/users/no-such-user', 'an unknown user', { role: 'csm' }, 404, {
        code: 'NOT_FOUND',
        message: 'There is no user with id no-such-user; list the users to find their ids',
        details: { field: 'user_id' },
      }],
      ['PATCH', '/users/{ben}', 'an unknown role', { role: 'owner' }, 400, {
        code: 'VALIDATION',
        message: 'role must be one of admin, csm, viewer; got "owner"',
        details: { field: 'role' },
      }],
      ['PATCH', '/users/{ben}', 'a field it does not change', { name: 'Benjamin' }, 400, {
        code: 'UNKNOWN_FIELD',
        message: '"name" is not a field of this request; the fields are role, team',
        details: { field: 'name', allowed: ['role', 'team'] },
      }],
      ['PATCH', '/users/{ben}', 'nothing to change', {}, 400, {
        code: 'VALIDATION',
        message: 'Give role (admin, csm or viewer), team (a team name, or null for none), or both',
        details: { field: null, allowed: ['role', 'team'] },
      }],
      ['PATCH', '/users/{ben}', 'a team name with a slash', { team: 'North/East' }, 400, {
        code: 'VALIDATION',
        message: 'team may contain only letters, digits, spaces, - and _; got "North/East"',
        details: { field: 'team' },
      }],
      ['PUT', '/write-policy', 'an unknown role', { roles: { owner: {} } }, 400, {
        code: 'INVALID_POLICY_CONFIG',
        message: 'roles.owner is not a role; the roles are admin, csm, viewer',
        details: { field: 'roles.owner' },
      }],
      ['PUT', '/write-policy', 'a tool that is not a write tool', { integrations: { x: { delete_company: false } } }, 400, {
        code: 'INVALID_POLICY_CONFIG',
        message:
          'integrations.x.delete_company is not a write tool; the write tools are create_cta, update_cta, create_cta_task, create_success_plan, update_success_plan, create_timeline_activity, update_timeline_activity',
        details: { field: 'integrations.x.delete_company' },
      }],
      ['PUT', '/write-policy', 'no body', undefined, 400, { code: 'INVALID_POLICY_CONFIG', message: 'policy must be an object', details: { field: 'policy' } }],
      ['GET', '/oauth-clients?limit=abc', 'a limit that is not a number', undefined, 400, {
        code: 'VALIDATION',
        message: 'limit must be a whole number from 1 to 200; got "abc"',
        details: { field: 'limit' },
      }],
      ['DELETE', '/oauth-clients/{claude}', 'an integration', undefined, 404, {
        code: 'CLIENT_NOT_FOUND',
        message: '{claude} is the integration "Claude (bad input)", not a dynamically registered client; stop it with POST /admin/api/integrations/{claude}/disable',
        details: { field: 'client_id' },
      }],
    ];

    it.each(cases)('%s %s: %s', async (method, rawPath, _what, body, status, error) => {
      const ids: Record<string, string> = { claude: claudeId, public: publicId, ada: ada.userId, ben: '' };
      if (rawPath.includes('{ben}') || JSON.stringify(error).includes('{ben}')) {
        ids.ben = (await asAda('GET', '/users')).body.items.find((u: { email: string }) => u.email === BEN.email).user_id;
      }
      // {claude}, {public}, {ada}, {ben}: ids known only now, in paths, bodies and expected messages.
      const fill = (value: unknown): unknown => {
        if (typeof value === 'string') return value.replace(/\{(claude|public|ada|ben)\}/g, (_m, k: string) => ids[k]);
        if (Array.isArray(value)) return value.map(fill);
        if (value && Object.getPrototypeOf(value) === Object.prototype) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)]));
        return value; // a matcher
      };
      const res = await asAda(method, fill(rawPath) as string, body);
      expect(res.status).toBe(status);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({ error: fill(error) });
    });

    it('refuses a body that is not JSON (415, 400) or too large (413)', async () => {
      expect(await asAda('POST', '/integrations', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' })).toMatchObject({
        status: 415,
        body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the body as JSON, with Content-Type: application/json' } },
      });
      expect(await asAda('POST', '/integrations', '{"name": ')).toMatchObject({ status: 400, body: { error: { code: 'INVALID_JSON', message: 'The body is not valid JSON' } } });
      const big = JSON.stringify({ name: 'x'.repeat(70_000), preset: 'claude' });
      expect(await asAda('POST', '/integrations', big)).toMatchObject({
        status: 413,
        body: { error: { code: 'BODY_TOO_LARGE', message: 'The body is too large: at most 65536 bytes', details: { limit: 65536 } } },
      });
    });
  });
});

describe('admin API (csmcp serve, PostgreSQL)', () => {
  let store: McpStore;
  let server: ServerProcess;
  let adminId: string;
  let token: string;

  beforeAll(async () => {
    store = postgresStore('admin_api');
    adminId = (JSON.parse(await store.cli(['users', 'add', '--email', ADA.email, '--name', ADA.name, '--role', 'admin', '--json'])) as Array<{ user_id: string }>)[0].user_id;
    token = await issue(store, ADA.email, 'admin');
    server = await startServerProcess(store.env);
    await untilCaughtUp(server.url);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await store?.dispose();
  });

  it('creates a user and an integration, lists them, and records both as the admin', async () => {
    const user = await call(server.url, token, 'POST', '/users', { email: BEN.email, name: BEN.name, role: 'csm' });
    expect(user.status).toBe(201);
    // Listed at once: the list waits for the users read model to reach the write.
    const users = await call(server.url, token, 'GET', '/users?limit=1');
    expect(users.body.items).toEqual([{ user_id: adminId, email: ADA.email, name: ADA.name, role: 'admin', team: null, registered_at: expect.any(String), has_password: false }]);
    const rest = await call(server.url, token, 'GET', `/users?limit=1&cursor=${users.body.next_cursor}`);
    expect(rest.body).toEqual({ items: [expect.objectContaining({ user_id: user.body.user_id, email: BEN.email })], next_cursor: null });

    const integration = await call(server.url, token, 'POST', '/integrations', { name: 'Copilot', preset: 'copilot_studio' });
    expect(integration.status).toBe(201);
    expect((await call(server.url, token, 'GET', '/integrations')).body.items.map((i: { client_id: string }) => i.client_id)).toEqual([integration.body.client_id]);
    expect((await call(server.url, token, 'GET', '/oauth-clients')).body).toEqual({ items: [], next_cursor: null });

    const actor = { type: 'user', id: adminId, email: ADA.email };
    expect((await eventsOf(store, `user-${user.body.user_id}`))[0].metadata).toMatchObject({ actor, toolName: 'admin-api POST /admin/api/users' });
    expect((await eventsOf(store, `integration-${integration.body.client_id}`))[0].metadata).toMatchObject({ actor, toolName: 'admin-api POST /admin/api/integrations' });
  });
});
