import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as oauth from 'oauth4webapi';
import { runCli } from '../support/cli';
import { callTool, connectStreamable } from '../support/mcp-clients';
import { seedBook, sqliteStore, untilCaughtUp, type McpBook, type McpStore } from '../support/mcp-stack';
import { cookieJarFetch, formOf } from '../support/oauth-forms';
import { startLegacySseServer, startOAuthMcpServer, type LegacySseServer, type OAuthMcpServer } from '../support/external-mcp-servers';
import { freePort } from '../support/free-port';

/**
 * Secrets never logged, never returned twice, never stored in the clear (issue 9). One `csmcp serve`
 * at LOG_LEVEL=debug with its stdout and stderr in a file, and the CLI's output collected too, while
 * every kind of secret passes through: integration client secrets (CLI, admin API, rotation), personal
 * access tokens, OAuth access and refresh tokens (authorization code, refresh, client credentials),
 * a connector's client secret and the tokens an external authorization server issues to csmcp. Then
 * the log is searched for each value and its base64, base64url and URL-encoded forms, and every
 * table of every database csmcp keeps is searched for the values themselves.
 */
const ROOT = join(__dirname, '..', '..');
const insecure = { [oauth.allowInsecureRequests]: true } as const;
const PASSWORD = 'a password nobody logs';
const SARA = 'sara.secrets@example.com';
jest.setTimeout(180_000);


describe('secrets in logs and at rest (csmcp serve at LOG_LEVEL=debug)', () => {
  let store: McpStore;
  let book: McpBook;
  let child: ChildProcess;
  let logFile: string;
  let base: string;
  let env: NodeJS.ProcessEnv;
  let external: OAuthMcpServer;
  let legacy: LegacySseServer;
  let callback: Server;
  /** Every secret value seen, with what it is. */
  const secrets = new Map<string, string>();
  /** Everything the CLI printed (stdout and stderr), for the same search. */
  let cliOutput = '';
  const remember = (what: string, value: string | undefined) => {
    expect(value).toEqual(expect.any(String));
    expect(value!.length).toBeGreaterThanOrEqual(16);
    secrets.set(value!, what);
  };
  const cli = async (args: string[], input?: string) => {
    const result = await runCli(args, env, input);
    if (result.code !== 0) throw new Error(`csmcp ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
    cliOutput += result.stderr;
    return result.stdout;
  };

  beforeAll(async () => {
    store = sqliteStore();
    book = await seedBook(store, 4);
    const port = await freePort();
    env = { ...store.env, CONNECTOR_TOKEN_KEY: randomBytes(32).toString('base64'), PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'debug' };
    for (const person of [book.ann, book.bob, book.viewer, book.admin]) remember(`personal access token of ${person.email}`, person.token);
    remember('personal access token (read)', book.ann.readToken);
    await cli(['users', 'add', '--email', SARA, '--name', 'Sara Secrets', '--role', 'admin', '--password-stdin'], `${PASSWORD}\n`);
    [external, legacy] = await Promise.all([startOAuthMcpServer(), startLegacySseServer()]);
    callback = createHttpServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));

    logFile = join(store.env.DATA_DIR!, '..', 'serve.log');
    const log = createWriteStream(logFile);
    child = spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT, 'test', 'support', 'csmcp-from-source.ts'), 'serve', '--port', String(port)], {
      cwd: ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/healthz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null || i > 600) throw new Error(`csmcp serve did not start:\n${readFileSync(logFile, 'utf8')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await untilCaughtUp(base);
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await external?.close();
    await legacy?.close();
    await new Promise((resolve) => callback?.close(resolve));
    await store?.dispose();
  });

  it('passes every kind of secret through the server', async () => {
    const redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/cb`;
    // Integration secrets: created with the CLI, rotated and created through the admin API.
    const added = JSON.parse(await cli(['integrations', 'add', '--name', 'Secret Connector', '--preset', 'custom', '--redirect-uri', redirectUri, '--json'])) as { client_id: string; client_secret: string };
    remember('integration secret (CLI)', added.client_secret);
    const machine = JSON.parse(
      await cli(['integrations', 'add', '--name', 'Secret Machine', '--preset', 'custom', '--access', 'shared', '--grant-types', 'client_credentials', '--scopes', 'cs:read', '--json']),
    ) as { client_id: string; client_secret: string };
    remember('machine client secret', machine.client_secret);
    const adminToken = (JSON.parse(await cli(['tokens', 'issue', '--user', book.admin.email, '--scopes', 'admin cs:read', '--ttl', '1h', '--json'])) as { token: string }).token;
    remember('admin personal access token', adminToken);
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${base}/admin/api${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const created = await api('POST', '/integrations', { name: 'API Connector', preset: 'custom', redirect_uris: [redirectUri] });
    expect(created.status).toBe(201);
    const createdBody = (await created.json()) as { client_id: string; client_secret: string };
    remember('integration secret (admin API)', createdBody.client_secret);
    const rotated = await api('POST', `/integrations/${createdBody.client_id}/rotate-secret`, {});
    expect(rotated.status).toBeLessThan(300);
    remember('rotated integration secret', ((await rotated.json()) as { client_secret: string }).client_secret);

    // Never returned twice: not in any later read of the integrations.
    for (const path of ['/integrations', `/integrations/${createdBody.client_id}`, `/integrations/${added.client_id}`]) {
      const text = await (await api('GET', path)).text();
      for (const [value, what] of secrets) expect({ path, what, shown: text.includes(value) }).toEqual({ path, what, shown: false });
    }
    for (const args of [['integrations', 'list', '--json'], ['integrations', 'show', added.client_id, '--json'], ['tokens', 'list', '--json']]) {
      const text = await cli(args);
      for (const [value, what] of secrets) expect({ args, what, shown: text.includes(value) }).toEqual({ args, what, shown: false });
    }

    // OAuth: Sara signs in through the connector (PKCE), refreshes; the machine client's token.
    const mcpUrl = new URL(`${base}/mcp`);
    const prm = await oauth.processResourceDiscoveryResponse(mcpUrl, await oauth.resourceDiscoveryRequest(mcpUrl, insecure));
    const issuer = new URL(prm.authorization_servers![0]);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    const client = { client_id: added.client_id };
    const verifier = oauth.generateRandomCodeVerifier();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: added.client_id,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'cs:read cs:write',
      state: 'st',
      resource: prm.resource,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const go = cookieJarFetch();
    let res = await go(url.href);
    let location: URL | null = null;
    for (let step = 0; step < 10 && !location; step++) {
      if (res.status === 302 || res.status === 303) {
        const next = new URL(res.headers.get('location')!, base);
        if (next.href.startsWith(redirectUri)) location = next;
        else res = await go(next.href);
        continue;
      }
      const html = await res.text();
      const password = html.includes('type="password"');
      const form = formOf(html, password ? /\/login$/ : /\/confirm$/);
      res = await go(new URL(form.action, base).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(password ? { csrf: form.csrf, email: SARA, password: PASSWORD } : { csrf: form.csrf }).toString(),
      });
    }
    const params = oauth.validateAuthResponse(as, client, location!, 'st');
    remember('authorization code', params.get('code')!);
    remember('PKCE verifier', verifier);
    const auth = oauth.ClientSecretBasic(added.client_secret);
    // The Authorization header carries base64(id:secret): that form of the secret too.
    remember('HTTP Basic credentials of the integration', Buffer.from(`${encodeURIComponent(added.client_id)}:${encodeURIComponent(added.client_secret)}`).toString('base64'));
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, verifier, { additionalParameters: { resource: prm.resource }, ...insecure }),
    );
    remember('OAuth access token', tokens.access_token);
    remember('OAuth refresh token', tokens.refresh_token);
    const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, insecure));
    remember('refreshed access token', refreshed.access_token);
    remember('rotated refresh token', refreshed.refresh_token);
    const m = { client_id: machine.client_id };
    const machineTokens = await oauth.processClientCredentialsResponse(
      as,
      m,
      await oauth.clientCredentialsGrantRequest(as, m, oauth.ClientSecretBasic(machine.client_secret), { scope: 'cs:read', resource: prm.resource }, insecure),
    );
    remember('client credentials access token', machineTokens.access_token);

    // Each token used at /mcp, a bad one refused, a write and a read.
    for (const token of [refreshed.access_token, machineTokens.access_token, book.ann.token]) {
      const session = await connectStreamable(`${base}/mcp`, token);
      try {
        expect((await callTool(session.client, 'search_companies', { limit: 2 })).isError).toBeFalsy();
      } finally {
        await session.close();
      }
    }
    const wrong = `${book.ann.token.slice(0, -4)}zzzz`;
    remember('a mistyped personal access token', wrong);
    expect((await fetch(`${base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${wrong}` } })).status).toBe(401);
    remember('the password', PASSWORD);

    // Connectors: a client secret given to the CLI, and an external server's tokens through csmcp's callback.
    const connectorSecret = `cs-${randomBytes(16).toString('hex')}`;
    remember('connector client secret', connectorSecret);
    await cli(['connectors', 'add', 'vault', '--url', legacy.url, '--auth', 'oauth_client', '--client-id', 'vault-client', '--client-secret-stdin', '--allow-host', `127.0.0.1:${legacy.port}`], `${connectorSecret}\n`);
    await cli(['connectors', 'add', 'desk', '--url', external.url, '--auth', 'oauth_dynamic', '--allow-host', `127.0.0.1:${external.port}`, '--as', book.admin.email]);
    const started = JSON.parse(await cli(['connectors', 'authorize', 'desk', '--as', book.admin.email, '--json'])) as { authorization_url: string };
    external.signInAs('desk-admin');
    const atProvider = await fetch(started.authorization_url, { redirect: 'manual' });
    const back = await fetch(atProvider.headers.get('location')!);
    expect(back.status).toBe(200);
    // Refresh once through the server's side (an expired access token), so refresh tokens pass through too.
    external.expireAccessTokens();
    const tested = await runCli(['connectors', 'test', 'desk', '--json'], env);
    cliOutput += tested.stdout + tested.stderr;
    expect(tested.code).toBe(0);
  });

  it('logs none of them, in any encoding', async () => {
    // Let the log reach the file.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const log = readFileSync(logFile, 'utf8');
    // Every request logged, with its URL and headers (the place a token would show).
    expect(log.match(/"msg":"request completed"/g)?.length ?? 0).toBeGreaterThan(20);
    expect(log).toContain('/connectors/oauth/callback');
    expect(secrets.size).toBeGreaterThanOrEqual(18);
    const leaks: string[] = [];
    for (const [value, what] of secrets)
      for (const form of encodings(value)) {
        if (log.includes(form)) leaks.push(`${what} in the server log`);
        if (cliOutput.includes(form)) leaks.push(`${what} in the CLI's stderr`);
      }
    // The external server's tokens (at-…, rt-…) and codes, whatever their values were.
    for (const match of log.match(/\b(at|rt|code)-[0-9a-f]{24}\b/g) ?? []) leaks.push(`${match.slice(0, 3)}… (the external server's) in the server log`);
    expect(leaks).toEqual([]);
  });

  it('stores none of them in the clear: every table of every database', async () => {
    const dataDir = store.env.DATA_DIR!;
    const files = readdirSync(dataDir).filter((f) => f.endsWith('.db'));
    expect(files).toEqual(expect.arrayContaining(['events.db', 'read-models.db', 'oauth.db', 'connectors.db']));
    const found: string[] = [];
    for (const file of files) {
      const db = new Database(join(dataDir, file), { readonly: true, fileMustExist: true });
      try {
        const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>;
        for (const { name } of tables) {
          const rows = db.prepare(`SELECT * FROM "${name}"`).all() as Array<Record<string, unknown>>;
          const text = rows.map((r) => Object.values(r).map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : String(v))).join('\u0000')).join('\n');
          for (const [value, what] of secrets) if (text.includes(value)) found.push(`${what} in ${file} ${name}`);
          for (const match of text.match(/\b(at|rt)-[0-9a-f]{24}\b/g) ?? []) found.push(`an external token ${match.slice(0, 3)}… in ${file} ${name}`);
        }
      } finally {
        db.close();
      }
    }
    expect(found).toEqual([]);
    // Not vacuous: the refresh tokens and codes are there, under hashes of their values.
    const oauthDb = new Database(join(dataDir, 'oauth.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = oauthDb.prepare(`SELECT model, id FROM oauth_models WHERE model IN ('RefreshToken', 'AuthorizationCode')`).all() as Array<{ model: string; id: string }>;
      expect(new Set(rows.map((r) => r.model))).toEqual(new Set(['RefreshToken', 'AuthorizationCode']));
      for (const row of rows) expect(row.id).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
    } finally {
      oauthDb.close();
    }
  });
});

/** The forms a value may take in a log line: as is, base64, base64url, URL-encoded, JSON-escaped. */
function encodings(value: string): string[] {
  const forms = new Set([value, Buffer.from(value).toString('base64').replace(/=+$/, ''), Buffer.from(value).toString('base64url'), encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
  return [...forms].filter((f) => f.length >= 12);
}
