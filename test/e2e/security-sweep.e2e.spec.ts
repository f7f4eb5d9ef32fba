import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWK } from 'jose';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import * as oauth from 'oauth4webapi';
import { REFRESH_REUSE_GRACE_MS } from '../../src/auth/oauth-server/provider-configuration';
import { signingKeyName } from '../../src/auth/oauth-server/signing-key.events';
import { startServerProcess, type ServerProcess } from '../support/cli';
import { callTool, connectStreamable, rawPost, type ConnectedClient } from '../support/mcp-clients';
import { seedBook, sqliteStore, untilCaughtUp, type McpBook, type McpStore } from '../support/mcp-stack';
import { cookieJarFetch, formOf } from '../support/oauth-forms';

/**
 * The security sweep of issue 9, from the outside: one `csmcp serve` (embedded store, rate limits
 * on), real HTTP, the MCP SDK client, oauth4webapi. A compact run of the sign-in issue's refusal list
 * (each in depth in test/e2e/oauth-*.e2e.spec.ts), then access: ann (a CSM, personal access) against
 * every tool, resource, prompt, completion, audit query and pagination cursor with bob's companies;
 * a viewer against every write tool; no admin scope, no /admin/api; IP allow-lists; rate limits.
 */
/** The ids of bob's records the sweep points tools and resources at. */
const RECORD_IDS = ['cta_id', 'success_plan_id', 'activity_id', 'task_id'];
const insecure = { [oauth.allowInsecureRequests]: true } as const;
const PASSWORD = 'sweep the floor twice';
const SARA = 'sara.sweep@example.com';
type Registered = { client_id: string; client_secret: string };
type Json = Record<string, unknown>;

describe('security sweep (csmcp serve, from the outside)', () => {
  let store: McpStore;
  let server: ServerProcess;
  let book: McpBook;
  let callback: Server;
  let redirectUri: string;
  let connector: Registered;
  let machine: Registered;
  let office: Registered;
  let local: Registered;
  let throttled: Registered;
  let as: oauth.AuthorizationServer;
  let resource: string;

  beforeAll(async () => {
    store = sqliteStore();
    book = await seedBook(store, 8);
    callback = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/cb`;
    const add = async (name: string, extra: string[]) =>
      JSON.parse(await store.cli(['integrations', 'add', '--name', name, '--preset', 'custom', ...extra, '--json'])) as Registered;
    const machineArgs = ['--access', 'shared', '--grant-types', 'client_credentials', '--scopes', 'cs:read cs:write'];
    // Independent streams: the CLI runs them side by side (the machine is slow under load).
    [connector, machine, office, local, throttled] = await Promise.all([
      add('Sweep Connector', ['--redirect-uri', redirectUri]),
      add('Sweep Machine', machineArgs),
      add('Office Machine', [...machineArgs, '--ip-allow', '203.0.113.0/24']),
      add('Local Machine', [...machineArgs, '--ip-allow', '127.0.0.1']),
      add('Throttled Machine', machineArgs),
      store.cli(['users', 'add', '--email', SARA, '--name', 'Sara Sweep', '--role', 'csm', '--password-stdin'], `${PASSWORD}\n`),
      store.cli(['users', 'add', '--email', 'rita.rate@example.com', '--name', 'Rita Rate', '--role', 'csm']),
    ]);
    server = await startServerProcess({ ...store.env, RATE_LIMIT_PER_USER: '300/h', RATE_LIMIT_PER_INTEGRATION: '300/h' }, 180_000);
    await untilCaughtUp(server.url);
    const mcpUrl = new URL(`${server.url}/mcp`);
    const prm = await oauth.processResourceDiscoveryResponse(mcpUrl, await oauth.resourceDiscoveryRequest(mcpUrl, insecure));
    resource = prm.resource;
    const issuer = new URL(prm.authorization_servers![0]);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
    await new Promise((resolve) => callback?.close(resolve));
    await store?.dispose();
  }, 60_000);

  const mcp = () => `${server.url}/mcp`;
  const client = () => ({ client_id: connector.client_id });
  const clientAuth = () => oauth.ClientSecretBasic(connector.client_secret);

  /** Events outside the audit log: what a write leaves behind. */
  function writtenEvents(): number {
    const db = new Database(join(store.env.DATA_DIR!, 'events.db'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare(`SELECT COUNT(*) AS n FROM events WHERE stream_name <> 'audit-log'`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  }

  async function oauthError(attempt: Promise<unknown>): Promise<Json> {
    try {
      await attempt;
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError) return { error: error.error, error_description: error.error_description };
      throw error;
    }
    throw new Error('expected an OAuth error response');
  }

  /** Sara signs in through the connector (PKCE S256): the callback URL with the code. */
  async function authorize(extra: Record<string, string> = {}) {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: connector.client_id,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'cs:read cs:write',
      state,
      resource,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...extra,
    }).toString();
    const go = cookieJarFetch();
    let res = await go(url.href);
    for (let step = 0; step < 10; step++) {
      if (res.status === 302 || res.status === 303) {
        const location = new URL(res.headers.get('location')!, server.url);
        if (location.href.startsWith(redirectUri)) return { verifier, params: oauth.validateAuthResponse(as, client(), location, state) };
        res = await go(location.href);
        continue;
      }
      const html = await res.text();
      if (res.status !== 200) throw new Error(`sign-in stopped with ${res.status}: ${html}`);
      const password = html.includes('type="password"');
      const form = formOf(html, password ? /\/login$/ : /\/confirm$/);
      res = await go(new URL(form.action, server.url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(password ? { csrf: form.csrf, email: SARA, password: PASSWORD } : { csrf: form.csrf }).toString(),
      });
    }
    throw new Error('the sign-in did not reach the redirect URI');
  }

  const redeem = async (params: URLSearchParams, verifier: string) =>
    oauth.processAuthorizationCodeResponse(
      as,
      client(),
      await oauth.authorizationCodeGrantRequest(as, client(), clientAuth(), params, redirectUri, verifier, { additionalParameters: { resource }, ...insecure }),
    );
  const refresh = async (token: string) =>
    oauth.processRefreshTokenResponse(as, client(), await oauth.refreshTokenGrantRequest(as, client(), clientAuth(), token, insecure));

  async function machineToken(registered: Registered, scope = 'cs:read cs:write'): Promise<string> {
    const c = { client_id: registered.client_id };
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      c,
      await oauth.clientCredentialsGrantRequest(as, c, oauth.ClientSecretBasic(registered.client_secret), { scope, resource }, insecure),
    );
    return tokens.access_token;
  }

  /** A POST to /mcp that needs a valid token to get past the door (initialize). */
  const knock = (token: string, headers: Record<string, string> = {}) =>
    rawPost(mcp(), token, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'sweep', version: '1' } } }, headers);

  describe('the sign-in refusal list', () => {
    it('refuses plain PKCE, no PKCE and an unregistered redirect URI at the authorization endpoint', async () => {
      const ask = async (extra: Record<string, string | null>) => {
        const url = new URL(as.authorization_endpoint!);
        const base: Record<string, string> = { client_id: connector.client_id, response_type: 'code', redirect_uri: redirectUri, scope: 'cs:read', state: 's', resource, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' };
        for (const [k, v] of Object.entries({ ...base, ...extra })) if (v !== null) url.searchParams.set(k, v);
        return fetch(url, { redirect: 'manual' });
      };
      const errorAt = (res: Response) => {
        expect(res.status).toBe(303);
        const location = new URL(res.headers.get('location')!);
        expect(location.href.startsWith(redirectUri)).toBe(true);
        return location.searchParams.get('error_description');
      };
      expect(errorAt(await ask({ code_challenge_method: 'plain' }))).toBe('not supported value of code_challenge_method');
      expect(errorAt(await ask({ code_challenge: null, code_challenge_method: null }))).toBe('Authorization Server policy requires PKCE to be used for this request');
      const foreign = await ask({ redirect_uri: 'https://evil.example/cb' });
      expect(foreign.status).toBe(400);
      expect(foreign.headers.get('location')).toBeNull();
      expect(await foreign.text()).toContain('invalid_redirect_uri');
    }, 60_000);

    it('refuses a wrong or missing verifier, and a replayed code (revoking what it issued)', async () => {
      const wrong = await authorize();
      expect(await oauthError(redeem(wrong.params, oauth.generateRandomCodeVerifier()))).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
      const missing = await authorize();
      const res = await fetch(as.token_endpoint!, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${connector.client_id}:${connector.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: missing.params.get('code')!, redirect_uri: redirectUri, resource }).toString(),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });

      const { params, verifier } = await authorize();
      const tokens = await redeem(params, verifier);
      expect(await oauthError(redeem(params, verifier))).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
      expect(await oauthError(refresh(tokens.refresh_token!))).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
      expect((await knock(tokens.access_token)).status).toBe(401);
    }, 90_000);

    it('refuses a reused refresh token after the grace window, and revokes the grant', async () => {
      const { params, verifier } = await authorize();
      const first = await redeem(params, verifier);
      const rotated = await refresh(first.refresh_token!);
      await new Promise((resolve) => setTimeout(resolve, REFRESH_REUSE_GRACE_MS + 250));
      expect(await oauthError(refresh(first.refresh_token!))).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
      expect(await oauthError(refresh(rotated.refresh_token!))).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
      const refused = await knock(rotated.access_token);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('The access token was revoked');
    }, 90_000);

    it('refuses tampered, expired and foreign-audience tokens (401 invalid_token), and a token in the query string (400)', async () => {
      const good = await machineToken(machine);
      expect((await knock(good)).status).toBe(200);
      const [h, p, s] = good.split('.');
      const tampered = `${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(good), scope: 'cs:read cs:write admin' })).toString('base64url')}.${s}`;
      const flipped = `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
      // The server's own signing key (read from its state, as an attacker who had it could), for tokens
      // that are genuinely signed but expired or meant for another resource.
      const { kid, alg } = decodeProtectedHeader(good);
      const db = new Database(join(store.env.DATA_DIR!, 'oauth.db'), { readonly: true, fileMustExist: true });
      const jwk = JSON.parse((db.prepare('SELECT value FROM oauth_keys WHERE name = ?').get(signingKeyName(kid!)) as { value: string }).value) as JWK;
      db.close();
      const key = await importJWK(jwk, alg);
      const resign = (claims: Json) => new SignJWT({ ...decodeJwt(good), ...claims }).setProtectedHeader({ alg: alg!, kid, typ: 'at+jwt' }).sign(key);
      const now = Math.floor(Date.now() / 1000);
      const cases: Array<[string, string]> = [
        [tampered, 'signature'],
        [flipped, 'signature'],
        [await resign({ iat: now - 7200, exp: now - 3600 }), 'The access token has expired; get a new one'],
        [await resign({ aud: 'https://other.example.com/mcp' }), `The access token is meant for another resource: its aud does not list ${server.url}/mcp`],
      ];
      for (const [token, reason] of cases) {
        const res = await knock(token);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
        expect(res.headers.get('www-authenticate')).toContain(reason);
      }
      const inQuery = await rawPost(`${mcp()}?access_token=${good}`, good, {});
      expect(inQuery.status).toBe(400);
      expect(await inQuery.json()).toMatchObject({ error: 'invalid_request' });
    }, 60_000);

    it('answers 403 insufficient_scope without cs:read or cs:write, and refuses a write tool to a cs:read token', async () => {
      const adminOnly = JSON.parse(await store.cli(['tokens', 'issue', '--user', book.admin.email, '--scopes', 'admin', '--ttl', '1h', '--json'])) as { token: string };
      const res = await knock(adminOnly.token);
      expect(res.status).toBe(403);
      expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
      const reader = await connectStreamable(mcp(), book.ann.readToken);
      try {
        const refused = await callTool(reader.client, 'create_cta', { company_id: book.annCompanies[0], name: 'Read-only write', type: 'Risk' });
        expect(refused.isError).toBe(true);
        expect(JSON.stringify(refused)).toContain('INSUFFICIENT_SCOPE');
      } finally {
        await reader.close();
      }
    }, 60_000);

    it('locks an account after repeated wrong passwords (429), without locking others', async () => {
      const go = cookieJarFetch();
      const url = new URL(as.authorization_endpoint!);
      url.search = new URLSearchParams({ client_id: connector.client_id, response_type: 'code', redirect_uri: redirectUri, scope: 'cs:read', state: 's', resource, code_challenge: 'z'.repeat(43), code_challenge_method: 'S256' }).toString();
      const start = await go(url.href);
      const page = await go(new URL(start.headers.get('location')!, server.url).href);
      const form = formOf(await page.text(), /\/login$/);
      const post = (email: string, password: string) =>
        go(new URL(form.action, server.url).href, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf: form.csrf, email, password }).toString() });
      for (let i = 0; i < 5; i++) expect((await post(book.bob.email, `guess ${i}`)).status).toBe(401);
      const locked = await post(book.bob.email, 'guess 6');
      expect(locked.status).toBe(429);
      expect(await locked.text()).toContain('Too many failed sign-ins for this account.');
      expect((await post(SARA, PASSWORD)).status).toBe(303);
    }, 60_000);
  });

  describe("a personal-context user and another owner's companies", () => {
    let admin: ConnectedClient;
    let ann: ConnectedClient;
    let tools: Tool[];
    /** bob's companies as the admin sees them, and the ids of their CTAs, plans and activities. */
    const foreign = { companyIds: [] as string[], names: [] as string[], ids: new Map<string, string>() };
    let annNames: string[];

    const items = (result: CallToolResult) => ((result.structuredContent ?? {}) as { items?: Json[] }).items ?? [];
    /** Every `<x>_id` value in a result, by key. */
    const collectIds = (value: unknown, into: Map<string, string>) => {
      if (Array.isArray(value)) value.forEach((v) => collectIds(v, into));
      else if (value && typeof value === 'object')
        for (const [k, v] of Object.entries(value)) {
          if (RECORD_IDS.includes(k) && typeof v === 'string' && !into.has(k)) into.set(k, v);
          collectIds(v, into);
        }
    };
    /** Nothing of bob's companies in this text: no name (ids may be echoed back from the request). */
    const expectNoForeignData = (text: string, context: string) => {
      for (const name of foreign.names) if (text.includes(name)) throw new Error(`${context} shows bob's company ${name}: ${text.slice(0, 2000)}`);
    };

    beforeAll(async () => {
      admin = await connectStreamable(mcp(), book.admin.token);
      ann = await connectStreamable(mcp(), book.ann.token);
      tools = (await admin.client.listTools()).tools;
      const all = items(await callTool(admin.client, 'search_companies', { limit: 100 }));
      const bobs = all.filter((c) => book.bobCompanies.includes(c.company_id as string));
      expect(bobs.length).toBeGreaterThan(0);
      foreign.companyIds.push(...bobs.map((c) => c.company_id as string));
      annNames = all.filter((c) => !book.bobCompanies.includes(c.company_id as string)).map((c) => c.name as string);
      // A name that is also one of ann's companies' proves nothing: only bob's own names count.
      foreign.names.push(...bobs.map((c) => c.name as string).filter((n) => !annNames.some((a) => a.includes(n) || n.includes(a))));
      expect(foreign.names.length).toBeGreaterThan(0);
      for (const company_id of foreign.companyIds)
        for (const tool of ['list_ctas', 'list_success_plans', 'list_timeline_activities'])
          collectIds((await callTool(admin.client, tool, { company_id })).structuredContent, foreign.ids);
      expect([...foreign.ids.keys()]).toEqual(expect.arrayContaining(['cta_id', 'activity_id']));
    }, 300_000);

    afterAll(async () => {
      await admin?.close();
      await ann?.close();
    });

    /** Arguments for `tool` that point at bob's records, the rest filled in to pass validation. */
    function foreignArgs(tool: Tool): { args: Json; pointsAtForeign: boolean } {
      const schema = tool.inputSchema as { properties?: Record<string, Json>; required?: string[] };
      const args: Json = {};
      let pointsAtForeign = false;
      for (const [name, prop] of Object.entries(schema.properties ?? {})) {
        const required = schema.required?.includes(name) ?? false;
        if (name === 'company_id') {
          args[name] = foreign.companyIds[0];
          pointsAtForeign = true;
        } else if (foreign.ids.has(name)) {
          args[name] = foreign.ids.get(name);
          pointsAtForeign = true;
        } else if (/^company(_name)?$/.test(name)) {
          args[name] = foreign.names[0];
          pointsAtForeign = true;
        } else if (required) args[name] = sample(prop);
      }
      return { args, pointsAtForeign };
    }

    it("cannot read or write bob's companies through any tool (tools/list iterated)", async () => {
      const before = writtenEvents();
      const annTools = new Set((await ann.client.listTools()).tools.map((t) => t.name));
      const report: string[] = [];
      for (const tool of tools) {
        const { args, pointsAtForeign } = foreignArgs(tool);
        let text: string;
        let isError: boolean;
        try {
          const result = await callTool(ann.client, tool.name, args);
          text = JSON.stringify(result);
          isError = result.isError === true;
        } catch (error) {
          text = String((error as Error).message);
          isError = true;
        }
        expectNoForeignData(text, `${tool.name}(${JSON.stringify(args)})`);
        // A tool given bob's record must refuse it (or, for a list filtered by it, find nothing).
        if (pointsAtForeign && !isError) {
          const structured = JSON.parse(text).structuredContent as { items?: unknown[] } | undefined;
          expect({ tool: tool.name, items: structured?.items ?? 'no items' }).toEqual({ tool: tool.name, items: [] });
        }
        report.push(`${tool.name}${annTools.has(tool.name) ? '' : ' (not listed for ann)'}: ${isError ? 'refused' : 'empty'}`);
      }
      expect(report.length).toBe(tools.length);
      expect(writtenEvents()).toBe(before);
    }, 180_000);

    it("cannot list bob's companies: search, analysis and an owner filter show only ann's", async () => {
      for (const args of [{ limit: 100 }, { owner_id: `user-${book.bob.email}` }, { query: foreign.names[0] }]) {
        const result = await callTool(ann.client, 'search_companies', args);
        expectNoForeignData(JSON.stringify(result), `search_companies(${JSON.stringify(args)})`);
        for (const c of items(result)) expect(book.bobCompanies).not.toContain(c.company_id);
      }
    }, 60_000);

    it("cannot read bob's records as resources", async () => {
      const templates = (await admin.client.listResourceTemplates()).resourceTemplates;
      expect(templates.length).toBeGreaterThan(0);
      const values: Record<string, string> = { company_id: foreign.companyIds[0], ...Object.fromEntries(foreign.ids) };
      for (const template of templates) {
        const variables = [...template.uriTemplate.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]);
        // bob has no record of this kind (e.g. no success plan in the seed): nothing to try.
        if (variables.some((v) => values[v] === undefined)) continue;
        const uri = template.uriTemplate.replace(/\{([a-z_]+)\}/g, (_, name: string) => encodeURIComponent(values[name]));
        // The admin reads it: the URI is real.
        if (variables.length > 0) await admin.client.readResource({ uri });
        let text: string;
        try {
          text = JSON.stringify(await ann.client.readResource({ uri }));
          if (variables.length > 0) throw new Error(`ann read ${uri}: ${text.slice(0, 500)}`);
        } catch (error) {
          text = (error as Error).message;
          expect(text).not.toMatch(/^ann read/);
        }
        expectNoForeignData(text, `resources/read ${uri}`);
      }
      const listed = JSON.stringify(await ann.client.listResources());
      expectNoForeignData(listed, 'resources/list');
      for (const id of foreign.companyIds) expect(listed).not.toContain(id);
    }, 60_000);

    it("cannot get a prompt about bob's companies, nor complete to them", async () => {
      const prompts = (await ann.client.listPrompts()).prompts;
      expect(prompts.length).toBeGreaterThan(0);
      for (const prompt of prompts) {
        const args = Object.fromEntries((prompt.arguments ?? []).map((a) => [a.name, a.name === 'company' ? foreign.names[0] : a.name === 'owner' ? book.bob.email : a.name === 'within_days' ? '90' : 'x']));
        let text: string;
        try {
          text = JSON.stringify(await ann.client.getPrompt({ name: prompt.name, arguments: args }));
        } catch (error) {
          text = (error as Error).message;
        }
        // The name ann typed may be echoed; nothing else of bob's companies (their ids) may appear.
        for (const id of foreign.companyIds) expect({ prompt: prompt.name, leaked: text.includes(id) }).toEqual({ prompt: prompt.name, leaked: false });
        expectNoForeignData(text.split(foreign.names[0]).join(''), `prompts/get ${prompt.name}`);
        for (const argument of prompt.arguments ?? []) {
          for (const value of ['', foreign.names[0].slice(0, 3)]) {
            const completed = await ann.client.complete({ ref: { type: 'ref/prompt', name: prompt.name }, argument: { name: argument.name, value } });
            expectNoForeignData(JSON.stringify(completed), `completion of ${prompt.name}.${argument.name}`);
            for (const id of foreign.companyIds) expect(completed.completion.values).not.toContain(id);
          }
        }
      }
      for (const template of (await ann.client.listResourceTemplates()).resourceTemplates) {
        for (const variable of template.uriTemplate.match(/\{([a-z_]+)\}/g) ?? []) {
          const name = variable.slice(1, -1);
          for (const value of ['', foreign.companyIds[0].slice(0, 4)]) {
            const completed = await ann.client.complete({ ref: { type: 'ref/resource', uri: template.uriTemplate }, argument: { name, value } });
            for (const id of [...foreign.companyIds, ...foreign.ids.values()]) expect(completed.completion.values).not.toContain(id);
            expectNoForeignData(JSON.stringify(completed), `completion of ${template.uriTemplate} ${name}`);
          }
        }
      }
    }, 120_000);

    it('cannot query the audit log or credit usage without being an admin (MCP tools and /admin/api)', async () => {
      for (const name of ['query_audit_log', 'get_credit_usage']) {
        let refused: boolean;
        let text: string;
        try {
          const result = await callTool(ann.client, name, {});
          refused = result.isError === true;
          text = JSON.stringify(result);
        } catch (error) {
          refused = true;
          text = (error as Error).message;
        }
        expect({ name, refused }).toEqual({ name, refused: true });
        expectNoForeignData(text, name);
        expect(text).not.toContain(book.bob.email);
      }
      for (const path of ['/admin/api/audit', '/admin/api/usage', '/admin/api/integrations', '/admin/api/users']) {
        const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${book.ann.token}` } });
        expect({ path, status: res.status }).toEqual({ path, status: 403 });
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
      }
      // An admin's token without the admin scope reaches neither.
      const res = await fetch(`${server.url}/admin/api/audit`, { headers: { authorization: `Bearer ${book.admin.token}` } });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('insufficient_scope');
      const adminNoScope = await callTool(admin.client, 'query_audit_log', {});
      expect(adminNoScope.isError).toBe(true);
    }, 60_000);

    it("replays an admin's and bob's cursors as ann: no foreign rows; a tampered cursor is a clear error", async () => {
      const bob = await connectStreamable(mcp(), book.bob.token);
      try {
        const cursors: string[] = [];
        for (const who of [admin, bob]) {
          const page = await callTool(who.client, 'search_companies', { limit: 1 });
          const next = (page.structuredContent as { next_cursor: string | null }).next_cursor;
          expect(next).toEqual(expect.any(String));
          cursors.push(next!);
        }
        for (const cursor of cursors) {
          let text: string;
          try {
            const result = await callTool(ann.client, 'search_companies', { limit: 1, cursor });
            text = JSON.stringify(result);
            for (const c of items(result)) expect(book.bobCompanies).not.toContain(c.company_id);
          } catch (error) {
            text = (error as Error).message;
          }
          expectNoForeignData(text, `search_companies with a replayed cursor`);
        }
        const tampered = `${cursors[0].slice(0, -3)}${cursors[0].endsWith('AAA') ? 'BBB' : 'AAA'}`;
        for (const cursor of [tampered, 'not a cursor', `${cursors[0]}x`]) {
          const result = await callTool(ann.client, 'search_companies', { cursor });
          expect(result.isError).toBe(true);
          expect(JSON.stringify(result.content)).toMatch(/cursor/i);
        }
      } finally {
        await bob.close();
      }
    }, 60_000);

    it('a viewer cannot write: every write tool refused, nothing written', async () => {
      const viewer = await connectStreamable(mcp(), book.viewer.token);
      try {
        const before = writtenEvents();
        // The data's write tools (authorize_connector writes only the caller's own connector grant).
        const writes = tools.filter((t) => t.annotations?.readOnlyHint === false && t.name !== 'authorize_connector');
        expect(writes.length).toBeGreaterThanOrEqual(7);
        // Pointed at the viewer's… nothing: at companies they may see (admin-shared ids), to be refused for the role, not only for visibility.
        for (const tool of writes) {
          const { args } = foreignArgs(tool);
          let refused: boolean;
          try {
            refused = (await callTool(viewer.client, tool.name, args)).isError === true;
          } catch {
            refused = true;
          }
          expect({ tool: tool.name, refused }).toEqual({ tool: tool.name, refused: true });
        }
        expect(writtenEvents()).toBe(before);
      } finally {
        await viewer.close();
      }
    }, 120_000);
  });

  it('holds IP allow-lists at the MCP endpoint and the token endpoint', async () => {
    // Allowed from 127.0.0.1 only: its token works from there, and from 127.0.0.2 (another address of this machine) is refused.
    const token = await machineToken(local, 'cs:read');
    expect((await knock(token)).status).toBe(200);
    const outside = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'sweep', version: '1' } } });
      const req = httpRequest(
        mcp(),
        {
          method: 'POST',
          localAddress: '127.0.0.2',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(outside.status).toBe(403);
    expect(outside.body).toContain('Requests from 127.0.0.2 are not allowed for the integration Local Machine');
    // This server trusts no proxy: a forged X-Forwarded-For from an allowed range changes nothing at the token endpoint.
    const c = { client_id: office.client_id };
    const denied = await oauthError(
      oauth
        .clientCredentialsGrantRequest(as, c, oauth.ClientSecretBasic(office.client_secret), { scope: 'cs:read', resource }, { ...insecure, headers: { 'x-forwarded-for': '203.0.113.9' } })
        .then((res) => oauth.processClientCredentialsResponse(as, c, res)),
    );
    expect(denied).toEqual({ error: 'unauthorized_client', error_description: 'requests from 127.0.0.1 are not allowed for this client: its IP allow-list does not include this address' });
  }, 60_000);

  it('answers 429 with Retry-After (never 401) past the per-user and per-integration budgets, at /mcp and /admin/api', async () => {
    const rita = (JSON.parse(await store.cli(['tokens', 'issue', '--user', 'rita.rate@example.com', '--scopes', 'cs:read', '--ttl', '1h', '--json'])) as { token: string }).token;
    const untilLimited = async (send: () => Promise<Response>) => {
      for (let i = 0; i < 1000; i++) {
        const res = await send();
        if (res.status === 429) return { res, after: i };
        expect(res.status).not.toBe(401);
        await res.arrayBuffer();
      }
      throw new Error('never limited');
    };
    const user = await untilLimited(() => knock(rita));
    expect(user.after).toBeGreaterThanOrEqual(300);
    expect(Number(user.res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(user.res.headers.get('www-authenticate')).toBeNull();
    expect(await user.res.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: expect.stringMatching(/^Too many requests for rita\.rate@example\.com: the limit is 300 per hour per user \(RATE_LIMIT_PER_USER\); retry in \d+ s$/) },
      id: null,
    });
    // Her token is fine: other users go on.
    expect((await knock(book.ann.token)).status).toBe(200);

    const token = await machineToken(throttled, 'cs:read');
    const integration = await untilLimited(() => knock(token));
    expect(integration.after).toBeGreaterThanOrEqual(300);
    expect(Number(integration.res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await integration.res.json()) as { error: { message: string } }).error.message).toContain('the integration Throttled Machine: the limit is 300 per hour per integration');

    // The admin API shares the budgets and answers in its own error shape.
    const adminToken = (JSON.parse(await store.cli(['tokens', 'issue', '--user', book.admin.email, '--scopes', 'admin', '--ttl', '1h', '--json'])) as { token: string }).token;
    const limited = await untilLimited(() => fetch(`${server.url}/admin/api/me`, { headers: { authorization: `Bearer ${adminToken}` } }));
    expect(Number(limited.res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.res.json()).toEqual({ error: { code: 'rate_limited', message: expect.stringContaining('per user (RATE_LIMIT_PER_USER)') } });
  }, 240_000);
});

/** A value a JSON Schema property accepts (enough to get past validation to the access check). */
function sample(schema: Json): unknown {
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (schema.format === 'date') return '2030-01-15';
  if (schema.format === 'date-time') return '2030-01-15T10:00:00Z';
  switch (type) {
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return {};
    default:
      return 'Sweep value';
  }
}
