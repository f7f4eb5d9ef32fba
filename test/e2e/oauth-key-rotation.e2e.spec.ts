import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader } from 'jose';
import * as oauth from 'oauth4webapi';
import { runCli, startServerProcess, type ServerProcess } from '../support/cli';
import { postgresStore, sqliteStore, type McpStore } from '../support/mcp-stack';
import { cookieJarFetch, formOf } from '../support/oauth-forms';

/**
 * Signing-key rotation without downtime (issue 5), against a real `csmcp serve` and the CLI beside it:
 * a user's access token A (authorization code flow, oauth4webapi), `csmcp oauth keys rotate`, then
 * token B from a refresh carries the new kid while A keeps working; the JWKS lists both; after
 * `retire-old --now`, A is refused (invalid_token) and B still works. The server is never restarted:
 * it picks the change up by itself (it re-reads the key set every few seconds), which the test waits
 * for by polling, never by sleeping a fixed time.
 */
const PASSWORD = 'correct horse battery staple';
const EMAIL = 'rita.rotation@example.com';
const insecure = { [oauth.allowInsecureRequests]: true } as const;
/** How long the test waits for the running server to see a change made by the CLI. */
const PICK_UP_TIMEOUT_MS = 30_000;

describe('signing key rotation (csmcp serve + csmcp oauth keys)', () => {
  let store: McpStore;
  let server: ServerProcess;
  let callback: Server;
  let redirectUri: string;
  let as: oauth.AuthorizationServer;
  let client: oauth.Client;
  let clientAuth: oauth.ClientAuth;
  let resource: string;

  beforeAll(async () => {
    store = sqliteStore();
    await store.cli(['users', 'add', '--email', EMAIL, '--name', 'Rita Rotation', '--role', 'admin', '--password-stdin'], `${PASSWORD}\n`);
    callback = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/cb`;
    const added = JSON.parse(await store.cli(['integrations', 'add', '--name', 'Rotation Connector', '--preset', 'custom', '--redirect-uri', redirectUri, '--json'])) as {
      client_id: string;
      client_secret: string;
    };
    client = { client_id: added.client_id };
    clientAuth = oauth.ClientSecretBasic(added.client_secret);
    server = await startServerProcess(store.env, 90_000);
    const mcpUrl = new URL(`${server.url}/mcp`);
    const prm = await oauth.processResourceDiscoveryResponse(mcpUrl, await oauth.resourceDiscoveryRequest(mcpUrl, insecure));
    resource = prm.resource;
    const issuer = new URL(prm.authorization_servers![0]);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await new Promise((resolve) => callback?.close(resolve));
    await store?.dispose();
  }, 60_000);

  /** Authorization request → sign-in → consent → code → tokens. */
  async function signIn(): Promise<oauth.TokenEndpointResponse> {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    const params = {
      client_id: client.client_id,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'cs:read cs:write',
      state,
      resource,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const go = cookieJarFetch();
    let res = await go(url.href);
    for (let step = 0; step < 10; step++) {
      if (res.status === 302 || res.status === 303) {
        const location = new URL(res.headers.get('location')!, server.url);
        if (location.href.startsWith(redirectUri)) {
          const code = oauth.validateAuthResponse(as, client, location, state);
          return oauth.processAuthorizationCodeResponse(
            as,
            client,
            await oauth.authorizationCodeGrantRequest(as, client, clientAuth, code, redirectUri, verifier, { additionalParameters: { resource }, ...insecure }),
          );
        }
        res = await go(location.href);
        continue;
      }
      expect(res.status).toBe(200);
      const html = await res.text();
      const password = html.includes('type="password"');
      const form = formOf(html, password ? /\/login$/ : /\/confirm$/);
      const body: Record<string, string> = password ? { csrf: form.csrf, email: EMAIL, password: PASSWORD } : { csrf: form.csrf };
      res = await go(new URL(form.action, server.url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body).toString(),
      });
    }
    throw new Error(`the sign-in did not end at the client: ${res.status}`);
  }

  /** What /mcp answers an initialize with this token: 200, or 401 and its WWW-Authenticate. */
  async function atMcp(token: string): Promise<{ status: number; challenge: string | null }> {
    const res = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'rotation', version: '1' } } }),
    });
    await res.body?.cancel();
    return { status: res.status, challenge: res.headers.get('www-authenticate') };
  }

  const jwksKids = async (): Promise<string[]> => ((await (await fetch(as.jwks_uri!)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
  const kidOf = (token: string) => decodeProtectedHeader(token).kid;

  /** Polls until `check` holds (the server re-reads the key set by itself); fails with the last value after PICK_UP_TIMEOUT_MS. */
  async function until<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + PICK_UP_TIMEOUT_MS;
    for (;;) {
      const value = await read();
      if (check(value)) return value;
      if (Date.now() > deadline) throw new Error(`the server did not pick the change up within ${PICK_UP_TIMEOUT_MS} ms; last: ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it('keeps old tokens working across a rotation, signs new ones with the new key, and refuses the old ones once the old key is retired', async () => {
    const first = await signIn();
    const tokenA = first.access_token;
    const kidA = kidOf(tokenA)!;
    expect(await jwksKids()).toEqual([kidA]);
    expect((await atMcp(tokenA)).status).toBe(200);

    const rotation = JSON.parse(await store.cli(['oauth', 'keys', 'rotate', '--as', EMAIL, '--json'])) as { active: { kid: string }; previous: { kid: string; status: string } };
    expect(rotation.previous).toMatchObject({ kid: kidA, status: 'previous' });
    const kidB = rotation.active.kid;
    expect(kidB).not.toBe(kidA);

    // The running server publishes both, the new one first, without a restart…
    expect(await until(jwksKids, (kids) => kids.includes(kidB))).toEqual([kidB, kidA]);
    // …signs new tokens (here: a refresh, as a connector does) with the new key…
    const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, first.refresh_token!, insecure));
    const tokenB = refreshed.access_token;
    expect(kidOf(tokenB)).toBe(kidB);
    // …and accepts both.
    expect((await atMcp(tokenA)).status).toBe(200);
    expect((await atMcp(tokenB)).status).toBe(200);
    expect(await store.events.count('SigningKeyRotated', 'kid', kidB)).toBe(1);

    // retire-old waits until A's key can no longer have live tokens…
    const early = await runCli(['oauth', 'keys', 'retire-old'], store.env);
    expect(early.code).toBe(2);
    expect(early.stderr).toContain(`csmcp: no previous key can be retired yet:\n${kidA} was rotated out at `);
    expect((await atMcp(tokenA)).status).toBe(200);
    // …unless told to retire it now (a leaked key).
    expect((await store.cli(['oauth', 'keys', 'retire-old', '--now'])).trim()).toBe(kidA);

    const refused = await until(
      () => atMcp(tokenA),
      (r) => r.status === 401,
    );
    expect(refused.challenge).toContain('error="invalid_token"');
    expect((await atMcp(tokenB)).status).toBe(200);
    expect(await jwksKids()).toEqual([kidB]);

    const listed = JSON.parse(await store.cli(['oauth', 'keys', 'list', '--json'])) as Array<Record<string, unknown>>;
    expect(listed).toEqual([
      expect.objectContaining({ kid: kidA, status: 'retired', retire_reason: 'immediate', retired_by: { type: 'system', id: 'csmcp-cli', email: null } }),
      expect.objectContaining({ kid: kidB, status: 'active', origin: 'rotation', created_by: expect.objectContaining({ type: 'user', email: EMAIL }) }),
    ]);
    expect(JSON.stringify(listed)).not.toMatch(/"d"\s*:/);
    expect(await store.events.count('SigningKeyRetired', 'kid', kidA)).toBe(1);
  }, 180_000);
});

/**
 * Two instances on one PostgreSQL database (PUBLIC_URL the same for both, so a token of one is valid at
 * the other): they create the first key together without a conflict, and a rotation and a retirement
 * made by the CLI reach both without a restart. Tokens are a machine client's (client credentials),
 * asked for at the first instance and used at both.
 */
describe('signing key rotation across two instances (PostgreSQL)', () => {
  const PUBLIC_URL = 'https://csmcp.test';
  let store: McpStore;
  let one: ServerProcess;
  let two: ServerProcess;
  let machine: { client_id: string; client_secret: string };

  beforeAll(async () => {
    store = postgresStore('key_rotation');
    machine = JSON.parse(
      await store.cli(['integrations', 'add', '--name', 'Rotation Sync', '--preset', 'custom', '--access', 'shared', '--grant-types', 'client_credentials', '--scopes', 'cs:read', '--json']),
    ) as { client_id: string; client_secret: string };
    [one, two] = await Promise.all([startServerProcess({ ...store.env, PUBLIC_URL }, 90_000), startServerProcess({ ...store.env, PUBLIC_URL }, 90_000)]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    await store?.dispose();
  }, 60_000);

  const jwksKids = async (server: ServerProcess): Promise<string[]> =>
    ((await (await fetch(`${server.url}/oauth/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);

  async function machineToken(): Promise<string> {
    const res = await fetch(`${one.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${machine.client_id}:${machine.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'cs:read', resource: `${PUBLIC_URL}/mcp` }).toString(),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  async function statusAt(server: ServerProcess, token: string): Promise<number> {
    const res = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    await res.body?.cancel();
    return res.status;
  }

  async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + PICK_UP_TIMEOUT_MS;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not within ${PICK_UP_TIMEOUT_MS} ms: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it('shares one first key, and follows a rotation and a retirement made by the CLI at both instances', async () => {
    // The first requests reach both at once: one key, created once.
    const [firstAtOne, firstAtTwo] = await Promise.all([jwksKids(one), jwksKids(two)]);
    expect(firstAtOne).toEqual(firstAtTwo);
    expect(firstAtOne).toHaveLength(1);
    expect(await store.events.count('SigningKeyCreated', 'alg', 'ES256')).toBe(1);

    const tokenA = await machineToken();
    expect(decodeProtectedHeader(tokenA).kid).toBe(firstAtOne[0]);
    expect([await statusAt(one, tokenA), await statusAt(two, tokenA)]).toEqual([200, 200]);

    const kidB = (JSON.parse(await store.cli(['oauth', 'keys', 'rotate', '--json'])) as { active: { kid: string } }).active.kid;
    await until(async () => (await jwksKids(one))[0] === kidB, 'instance one publishes the new key first');
    const tokenB = await machineToken();
    expect(decodeProtectedHeader(tokenB).kid).toBe(kidB);
    // Instance two accepts it whether or not it has re-read its keys by itself yet (an unknown kid makes it).
    expect([await statusAt(one, tokenB), await statusAt(two, tokenB), await statusAt(one, tokenA), await statusAt(two, tokenA)]).toEqual([200, 200, 200, 200]);
    await until(async () => (await jwksKids(two)).join() === [kidB, firstAtOne[0]].join(), 'instance two publishes both keys');

    await store.cli(['oauth', 'keys', 'retire-old', '--now']);
    await until(async () => (await statusAt(one, tokenA)) === 401 && (await statusAt(two, tokenA)) === 401, 'both instances refuse the retired key');
    expect([await statusAt(one, tokenB), await statusAt(two, tokenB)]).toEqual([200, 200]);
    expect([await jwksKids(one), await jwksKids(two)]).toEqual([[kidB], [kidB]]);
  }, 180_000);
});
