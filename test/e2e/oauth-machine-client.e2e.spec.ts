import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import * as oauth from 'oauth4webapi';
import { userIdFor } from '../../src/users/commands/register-user/register-user.handler';
import { startServerProcess, type ServerProcess } from '../support/cli';
import { callTool, CLIENT_INFO, connectStreamable, toolError } from '../support/mcp-clients';
import { seedBook, sqliteStore, untilCaughtUp, type McpBook, type McpStore } from '../support/mcp-stack';
import { cookieJarFetch, formOf } from '../support/oauth-forms';

/**
 * Machine clients (issue 5): a shared-context integration's client credentials token at the MCP
 * endpoint, against a real `csmcp serve`, with oauth4webapi for the token and the MCP SDK client over
 * HTTP. The token stands for the integration itself: the whole organisation's data, its writes
 * recorded with the client as actor, sessions bound to it, refused once the integration is disabled.
 */
const insecure = { [oauth.allowInsecureRequests]: true } as const;
/** What the server may have cached of an integration (IntegrationService, ≤ 1 s), and a margin. */
const REGISTRY_CACHE_MS = 1_000 + 250;

type Registered = { client_id: string; client_secret: string };

/** The authorization server and MCP resource a client discovers from the MCP endpoint. */
async function discover(serverUrl: string): Promise<{ as: oauth.AuthorizationServer; resource: string }> {
  const mcpUrl = new URL(`${serverUrl}/mcp`);
  const prm = await oauth.processResourceDiscoveryResponse(mcpUrl, await oauth.resourceDiscoveryRequest(mcpUrl, insecure));
  const issuer = new URL(prm.authorization_servers![0]);
  return { as: await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure })), resource: prm.resource };
}

const addMachine = async (store: McpStore, name: string, extra: string[] = []): Promise<Registered> =>
  JSON.parse(
    await store.cli(['integrations', 'add', '--name', name, '--preset', 'custom', '--access', 'shared', '--grant-types', 'client_credentials', ...extra, '--json']),
  ) as Registered;

const initializeBody = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'machine', version: '1' } },
});
const mcpHeaders = (token: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${token}`,
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  ...extra,
});

/** The metadata of the one event of `type` whose data has `field` = `value`, read from the store's file. */
function metadataOf(store: McpStore, type: string, field: string, value: string): Record<string, unknown> {
  const db = new Database(join(store.env.DATA_DIR!, 'events.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare(`SELECT metadata FROM events WHERE type = ? AND json_extract(data, ?) = ?`).all(type, `$.${field}`, value) as Array<{ metadata: string }>;
    expect(rows).toHaveLength(1);
    return JSON.parse(rows[0].metadata) as Record<string, unknown>;
  } finally {
    db.close();
  }
}

describe('machine clients at the MCP endpoint (csmcp serve)', () => {
  let store: McpStore;
  let server: ServerProcess;
  let book: McpBook;
  let as: oauth.AuthorizationServer;
  let resource: string;
  /** Authenticates with HTTP Basic (its registered method). */
  let basic: Registered;
  /** Authenticates with the secret in the body. */
  let post: Registered;
  /** Read only. */
  let reader: Registered;
  /** Disabled by a test once it has a token. */
  let doomed: Registered;
  /** Allowed from 203.0.113.0/24 only; this server trusts no proxy. */
  let remote: Registered;

  beforeAll(async () => {
    store = sqliteStore();
    book = await seedBook(store, 6);
    basic = await addMachine(store, 'Nightly Sync', ['--scopes', 'cs:read cs:write']);
    post = await addMachine(store, 'Post Sync', ['--scopes', 'cs:read cs:write', '--auth-method', 'client_secret_post']);
    reader = await addMachine(store, 'Reporting', ['--scopes', 'cs:read']);
    doomed = await addMachine(store, 'Soon Disabled Sync', ['--scopes', 'cs:read']);
    remote = await addMachine(store, 'Remote Sync', ['--scopes', 'cs:read', '--ip-allow', '203.0.113.0/24']);
    server = await startServerProcess(store.env);
    await untilCaughtUp(server.url);
    ({ as, resource } = await discover(server.url));
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await store?.dispose();
  });

  async function machineToken(client: Registered, auth: oauth.ClientAuth, scope: string): Promise<string> {
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      { client_id: client.client_id },
      await oauth.clientCredentialsGrantRequest(as, { client_id: client.client_id }, auth, { scope, resource }, insecure),
    );
    expect(tokens.refresh_token).toBeUndefined();
    return tokens.access_token;
  }

  it('serves a client credentials token sent with Basic: tools/list, a read of the whole organisation, a write recorded with the client as actor', async () => {
    const token = await machineToken(basic, oauth.ClientSecretBasic(basic.client_secret), 'cs:read cs:write');
    const { client: mcp, transport } = await connectStreamable(`${server.url}/mcp`, token);
    try {
      expect(transport.sessionId).toEqual(expect.any(String));
      const tools = (await mcp.listTools()).tools.map((t) => t.name);
      expect(tools).toEqual(expect.arrayContaining(['search_companies', 'get_account_summary', 'create_cta', 'update_cta', 'create_timeline_activity']));

      // Shared access: both CSMs' companies.
      const found = await callTool(mcp, 'search_companies', { limit: 100 });
      expect(found.isError).toBeFalsy();
      const ids = (found.structuredContent as { items: Array<{ company_id: string }> }).items.map((c) => c.company_id);
      expect(ids).toEqual(expect.arrayContaining([book.annCompanies[0], book.bobCompanies[0]]));

      // Owning nothing itself, it must name a user as owner…
      const ownerless = await callTool(mcp, 'create_cta', { company_id: book.bobCompanies[0], name: 'Ownerless machine CTA', type: 'Risk' });
      expect(toolError(ownerless)).toMatchObject({
        code: 'OWNER_REQUIRED',
        message: `A machine client (the integration ${basic.client_id}) cannot own a CTA: it acts for the organisation with no user signed in. Give owner_id: the user id of the csmcp user who is to own it`,
      });
      expect(await store.events.count('CtaCreated', 'name', 'Ownerless machine CTA')).toBe(0);

      // …and then writes, as itself.
      const written = await callTool(mcp, 'create_cta', {
        company_id: book.bobCompanies[0],
        name: 'Written by Nightly Sync',
        type: 'Risk',
        owner_id: userIdFor(book.bob.email),
      });
      expect(written.isError).toBeFalsy();
    } finally {
      await mcp.close();
    }
    expect(metadataOf(store, 'CtaCreated', 'name', 'Written by Nightly Sync')).toMatchObject({
      actor: { type: 'client', id: basic.client_id, name: 'Nightly Sync' },
      client: { id: basic.client_id, name: 'Nightly Sync' },
      accessContext: 'shared',
      toolName: 'create_cta',
      sourceIp: '127.0.0.1',
    });
  });

  it('serves a client credentials token sent with the secret in the body', async () => {
    const token = await machineToken(post, oauth.ClientSecretPost(post.client_secret), 'cs:read');
    const { client: mcp } = await connectStreamable(`${server.url}/mcp`, token);
    try {
      const tools = (await mcp.listTools()).tools.map((t) => t.name);
      // The token asked for cs:read only: no write tools.
      expect(tools).toContain('search_companies');
      expect(tools).not.toContain('create_cta');
      const summary = await callTool(mcp, 'get_account_summary', { company_id: book.annCompanies[0] });
      expect(summary.isError).toBeFalsy();
    } finally {
      await mcp.close();
    }
  });

  it('offers a read-only integration no write tool, and refuses a write with insufficient scope', async () => {
    const token = await machineToken(reader, oauth.ClientSecretBasic(reader.client_secret), 'cs:read');
    const { client: mcp } = await connectStreamable(`${server.url}/mcp`, token);
    try {
      expect((await mcp.listTools()).tools.map((t) => t.name)).not.toContain('create_cta');
      const refused = await callTool(mcp, 'create_timeline_activity', { company_id: book.annCompanies[0], type: 'Update', subject: 'x' });
      expect(toolError(refused).code).toBe('INSUFFICIENT_SCOPE');
    } finally {
      await mcp.close();
    }
  });

  it("binds a machine client's session to that client: a user's token cannot use it, nor the client a user's", async () => {
    const token = await machineToken(basic, oauth.ClientSecretBasic(basic.client_secret), 'cs:read');
    const { client: mcp, transport } = await connectStreamable(`${server.url}/mcp`, token);
    try {
      const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
      const asUser = await fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: mcpHeaders(book.admin.token, { 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-06-18' }),
        body: list,
      });
      expect(asUser.status).toBe(403);
      expect(await asUser.json()).toMatchObject({ error: { message: 'Forbidden: this session was opened by another user or client; open your own with initialize' } });

      const { client: userMcp, transport: userTransport } = await connectStreamable(`${server.url}/mcp`, book.admin.token);
      try {
        const asClient = await fetch(`${server.url}/mcp`, {
          method: 'POST',
          headers: mcpHeaders(token, { 'mcp-session-id': userTransport.sessionId!, 'mcp-protocol-version': '2025-06-18' }),
          body: list,
        });
        expect(asClient.status).toBe(403);
      } finally {
        await userMcp.close();
      }
      // Another token of the same client may go on with its session.
      const again = await machineToken(basic, oauth.ClientSecretBasic(basic.client_secret), 'cs:read');
      const same = await fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: mcpHeaders(again, { 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-06-18' }),
        body: list,
      });
      expect(same.status).toBe(200);
    } finally {
      await mcp.close();
    }
  });

  it("refuses a disabled integration's machine token with 401 invalid_token naming it", async () => {
    const token = await machineToken(doomed, oauth.ClientSecretBasic(doomed.client_secret), 'cs:read');
    expect((await fetch(`${server.url}/mcp`, { method: 'POST', headers: mcpHeaders(token), body: initializeBody })).status).toBe(200);
    const lastRead = Date.now();
    await store.cli(['integrations', 'disable', doomed.client_id]);
    // Past what the server may still hold of the integration from before (waiting longer never hides a refusal).
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, lastRead + REGISTRY_CACHE_MS - Date.now())));

    const read = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: mcpHeaders(token),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'search_companies', arguments: {} } }),
    });
    expect(read.status).toBe(401);
    const description = 'The integration Soon Disabled Sync is disabled; an admin can enable it again (csmcp integrations enable)';
    expect(read.headers.get('www-authenticate')).toBe(
      `Bearer error="invalid_token", error_description="${description}", scope="cs:read cs:write", resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(await read.json()).toEqual({ error: 'invalid_token', error_description: description });
  });

  it('ignores X-Forwarded-For without TRUSTED_PROXIES: the allow-list sees the TCP peer', async () => {
    const response = await fetch(as.token_endpoint!, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${remote.client_id}:${remote.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        'x-forwarded-for': '203.0.113.7',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'cs:read', resource }).toString(),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: 'unauthorized_client',
      error_description: 'requests from 127.0.0.1 are not allowed for this client: its IP allow-list does not include this address',
    });
  });
});

describe('behind a trusted reverse proxy (TRUSTED_PROXIES=127.0.0.1)', () => {
  let store: McpStore;
  let server: ServerProcess;
  let as: oauth.AuthorizationServer;
  let resource: string;
  /** Allowed from 203.0.113.0/24 only. */
  let proxied: Registered;
  /** A connector users sign in through (its callback is never called: the test stops at the sign-in page). */
  let connector: Registered;

  beforeAll(async () => {
    store = sqliteStore();
    await store.cli(['seed', 'demo', '--companies', '2', '--seed', '1', '--json']);
    proxied = await addMachine(store, 'Proxied Sync', ['--scopes', 'cs:read cs:write', '--ip-allow', '203.0.113.0/24']);
    connector = JSON.parse(
      await store.cli(['integrations', 'add', '--name', 'Connector', '--preset', 'custom', '--redirect-uri', 'http://127.0.0.1:9/cb', '--json']),
    ) as Registered;
    server = await startServerProcess({ ...store.env, TRUSTED_PROXIES: '127.0.0.1' });
    await untilCaughtUp(server.url);
    ({ as, resource } = await discover(server.url));
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await store?.dispose();
  });

  /** A token request as the proxy forwards it for `forwardedFor`. */
  const tokenRequest = (forwardedFor: string) =>
    oauth.clientCredentialsGrantRequest(
      as,
      { client_id: proxied.client_id },
      oauth.ClientSecretBasic(proxied.client_secret),
      { scope: 'cs:read cs:write', resource },
      { ...insecure, headers: { 'x-forwarded-for': forwardedFor } },
    );

  it('admits a client the proxy forwards from inside the allow-list, at the token endpoint and the MCP endpoint, and records its address', async () => {
    const tokens = await oauth.processClientCredentialsResponse(as, { client_id: proxied.client_id }, await tokenRequest('203.0.113.7'));
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${tokens.access_token}`, 'X-Forwarded-For': '198.51.100.66, 203.0.113.7' } },
    });
    const mcp = new Client(CLIENT_INFO, { capabilities: {} });
    await mcp.connect(transport);
    try {
      const found = await callTool(mcp, 'search_companies', {});
      const [company] = (found.structuredContent as { items: Array<{ company_id: string }> }).items;
      const written = await callTool(mcp, 'create_timeline_activity', { company_id: company.company_id, type: 'Update', subject: 'Through the proxy' });
      expect(written.isError).toBeFalsy();
    } finally {
      await mcp.close();
    }
    // The right-most address the proxy did not write itself; what the client wrote left of it is not believed.
    expect(metadataOf(store, 'TimelineActivityCreated', 'subject', 'Through the proxy')).toMatchObject({
      sourceIp: '203.0.113.7',
      actor: { type: 'client', id: proxied.client_id, name: 'Proxied Sync' },
    });
  });

  it('refuses a client the proxy forwards from outside the allow-list (403), whatever the client itself wrote further left', async () => {
    const refused = await tokenRequest('203.0.113.9, 198.51.100.1');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      error: 'unauthorized_client',
      error_description: 'requests from 198.51.100.1 are not allowed for this client: its IP allow-list does not include this address',
    });

    const tokens = await oauth.processClientCredentialsResponse(as, { client_id: proxied.client_id }, await tokenRequest('203.0.113.7'));
    const outside = await fetch(`${server.url}/mcp`, { method: 'POST', headers: mcpHeaders(tokens.access_token, { 'x-forwarded-for': '198.51.100.1' }), body: initializeBody });
    expect(outside.status).toBe(403);
    expect(await outside.json()).toEqual({
      error: 'access_denied',
      error_description:
        'Requests from 198.51.100.1 are not allowed for the integration Proxied Sync: its IP allow-list does not include this address (an admin changes it with csmcp integrations update --ip-allow)',
    });
    // A header that is no address: the proxy's own address, which the allow-list does not include.
    const garbage = await fetch(`${server.url}/mcp`, { method: 'POST', headers: mcpHeaders(tokens.access_token, { 'x-forwarded-for': 'unknown' }), body: initializeBody });
    expect(garbage.status).toBe(403);
    expect((await garbage.json()) as { error_description: string }).toMatchObject({ error_description: expect.stringContaining('Requests from 127.0.0.1 are not allowed') });
    const inside = await fetch(`${server.url}/mcp`, { method: 'POST', headers: mcpHeaders(tokens.access_token, { 'x-forwarded-for': '203.0.113.7' }), body: initializeBody });
    expect(inside.status).toBe(200);
  });

  it('counts failed sign-ins per forwarded client address', async () => {
    const go = cookieJarFetch();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: connector.client_id,
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1:9/cb',
      scope: 'cs:read',
      state: 'spray',
      resource,
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: 'S256',
    }).toString();
    const start = await go(url.href);
    const form = formOf(await (await go(new URL(start.headers.get('location')!, server.url).href)).text(), /\/login$/);
    const signIn = (forwardedFor: string, email: string) =>
      go(new URL(form.action, server.url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': forwardedFor },
        body: new URLSearchParams({ csrf: form.csrf, email, password: 'Summer2025!' }).toString(),
      });
    for (let i = 0; i < 20; i++) expect((await signIn('203.0.113.30', `sprayed-${i}@example.com`)).status).toBe(401);
    const limited = await signIn('203.0.113.30', 'sprayed-20@example.com');
    expect(limited.status).toBe(429);
    expect(await limited.text()).toContain('Too many failed sign-ins from this network address.');
    // The proxy's other clients are not locked out with it.
    expect((await signIn('203.0.113.31', 'sprayed-21@example.com')).status).toBe(401);
  });

  it('counts dynamic client registrations per forwarded client address', async () => {
    const register = (forwardedFor: string, i: number) =>
      fetch(`${server.url}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
        body: JSON.stringify({ client_name: `DCR ${i}`, redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'none' }),
      });
    for (let i = 0; i < 20; i++) expect((await register('203.0.113.20', i)).status).toBe(201);
    const limited = await register('203.0.113.20', 20);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({ error: 'invalid_request', error_description: 'Too many client registrations from this address; at most 20 an hour' });
    expect((await register('203.0.113.21', 21)).status).toBe(201);
  });
});
