import express, { type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { admin, startAdminCommands, type AdminCommandsHarness } from '../../customer-success/companies/commands/testing/admin-commands.harness';
import { RegisterUserCommand } from '../../users/commands/register-user/register-user.command';
import { JwtAccessTokenVerifier, storeUsers } from '../jwt/jwt-access-token.verifier';
import { AuthorizationServerUnavailableError } from '../jwt/jwt-rejected.error';
import { localKeySet } from '../jwt/key-sets';
import { hasScope, type Principal } from '../principal';
import { AccessTokenService } from '../tokens/access-token.service';
import { AccessTokenVerifier } from '../tokens/access-token.verifier';
import { generatePersonalAccessToken } from '../tokens/personal-access-token';
import { AddressNotAllowedError } from './address-not-allowed.error';
import { BearerTokenVerifier } from './bearer-token.verifier';
import { PrincipalRateLimiter } from './principal-rate-limiter';
import { bearerAuthMiddleware, principalOf, sendInsufficientScope, type BearerRequest } from './bearer-auth.middleware';
import { protectedResourceMetadataUrl, publicBaseUrl } from './public-base-url';

/** The middleware in a real express app over real HTTP, with the real verifier on a real (SQLite) store. */
// The harness's admin runs at a fixed date in 2025: tokens issued then would have expired long ago.
const cli = { ...admin, now: undefined };

describe('bearerAuthMiddleware', () => {
  let t: AdminCommandsHarness;
  let tokens: AccessTokenService;
  let server: Server;
  let base: string;
  let metadataUrl: string;
  let readToken: string;
  let writeToken: string;

  beforeAll(async () => {
    t = await startAdminCommands(new SqliteEventStore({ filename: ':memory:' }));
    const verifier = new AccessTokenVerifier(t.store);
    tokens = new AccessTokenService(t.store, verifier);
    await t.bus.execute(new RegisterUserCommand({ email: 'anna@example.com', name: 'Anna Berg', role: 'csm' }, admin));
    readToken = (await tokens.issue({ email: 'anna@example.com', scopes: 'cs:read', ttl: '1h' }, cli)).token;
    writeToken = (await tokens.issue({ email: 'anna@example.com', scopes: 'cs:read cs:write', ttl: '1h' }, cli)).token;

    const app = express();
    const resourceMetadataUrl = (req: Request) => protectedResourceMetadataUrl(publicBaseUrl({ publicUrl: null }, req), '/mcp');
    app.use('/mcp', bearerAuthMiddleware(verifier, { resourceMetadataUrl }));
    app.post('/mcp', (req: Request, res: Response) => {
      const principal = principalOf(req) as Principal;
      if (!hasScope(principal, 'cs:write')) return sendInsufficientScope(res, 'cs:write', resourceMetadataUrl(req));
      res.json({ auth: { ...(req as Request & BearerRequest).auth, extra: undefined }, principal });
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    metadataUrl = `${base}/.well-known/oauth-protected-resource/mcp`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  const call = (authorization?: string) => fetch(`${base}/mcp`, { method: 'POST', headers: authorization === undefined ? {} : { authorization } });

  it('challenges a request without credentials, with no error code (RFC 6750 §3.1)', async () => {
    for (const authorization of [undefined, 'Basic YW5uYTpzZWNyZXQ=']) {
      const res = await call(authorization);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${metadataUrl}"`);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual({ error: 'unauthorized', error_description: 'This endpoint needs an access token: send Authorization: Bearer <token>' });
    }
  });

  it('refuses a bad token with invalid_token and the reason, never echoing the token', async () => {
    const unknown = generatePersonalAccessToken();
    const cases: Array<[string, string]> = [
      [`Bearer ${unknown}`, 'The access token is not known to this server; it may be mistyped or from another server'],
      ['Bearer not"a-token', 'The bearer token is not a csmcp access token'],
      ['Bearer', 'The bearer token is not a csmcp access token'],
      ['Bearer two words', 'The bearer token is not a csmcp access token'],
    ];
    for (const [authorization, description] of cases) {
      const res = await call(authorization);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(`Bearer error="invalid_token", error_description="${description}", resource_metadata="${metadataUrl}"`);
      const body = await res.text();
      expect(JSON.parse(body)).toEqual({ error: 'invalid_token', error_description: description });
      expect(body).not.toContain(unknown);
      expect(res.headers.get('www-authenticate')).not.toContain(unknown);
    }
  });

  it('refuses a revoked token', async () => {
    const issued = await tokens.issue({ email: 'anna@example.com', scopes: 'cs:read cs:write', ttl: '1h' }, cli);
    expect((await call(`Bearer ${issued.token}`)).status).toBe(200);
    await tokens.revoke(issued.tokenId, cli);
    const res = await call(`bearer ${issued.token}`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token", error_description="The access token was revoked; get a new one"');
  });

  it('answers 403 insufficient_scope for a valid token without the scope needed', async () => {
    const res = await call(`Bearer ${readToken}`);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="cs:write", resource_metadata="${metadataUrl}"`);
    expect(await res.json()).toEqual({ error: 'insufficient_scope', error_description: 'This needs the cs:write scope, which the access token does not have' });
  });

  it('sets req.auth to the MCP SDK AuthInfo, with the Principal in extra', async () => {
    const res = await call(`Bearer ${writeToken}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { auth: Record<string, unknown>; principal: Principal };
    expect(body.principal).toMatchObject({ email: 'anna@example.com', role: 'csm', scopes: ['cs:read', 'cs:write'], tokenKind: 'personal_access_token' });
    expect(body.auth).toEqual({
      token: writeToken,
      clientId: `pat:${body.principal.tokenId}`,
      scopes: ['cs:read', 'cs:write'],
      expiresAt: body.principal.expiresAt,
    });
  });
});

/**
 * Both kinds of token through one middleware, as the MCP endpoint has it: personal access tokens and
 * JWTs of the configured authorization server (a local key set here; the remote one is e2e).
 */
describe('bearerAuthMiddleware with personal access tokens and JWTs', () => {
  const ISSUER = 'https://login.example.com';
  let t: AdminCommandsHarness;
  let server: Server;
  let base: string;
  let metadataUrl: string;
  let pat: string;
  let sign: (claims: Record<string, unknown>) => Promise<string>;
  let keysDown = false;
  let now = Date.UTC(2026, 0, 1);

  beforeAll(async () => {
    t = await startAdminCommands(new SqliteEventStore({ filename: ':memory:' }));
    const personal = new AccessTokenVerifier(t.store);
    await t.bus.execute(new RegisterUserCommand({ email: 'anna@example.com', name: 'Anna Berg', role: 'csm' }, admin));
    pat = (await new AccessTokenService(t.store, personal).issue({ email: 'anna@example.com', scopes: 'cs:read', ttl: '1h' }, cli)).token;

    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const keys = localKeySet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] });
    const jwt = new JwtAccessTokenVerifier({
      issuer: ISSUER,
      keys: (header, token) => {
        if (keysDown) throw new AuthorizationServerUnavailableError('The authorization server key set cannot be fetched right now');
        return keys(header, token);
      },
      audience: null,
      users: storeUsers(t.store),
    });
    sign = (claims) =>
      new SignJWT({ iss: ISSUER, email: 'anna@example.com', client_id: 'claude', scope: 'cs:read cs:write', ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);

    const app = express();
    const resourceMetadataUrl = (req: Request) => protectedResourceMetadataUrl(publicBaseUrl({ publicUrl: null }, req), '/mcp');
    const options = {
      resourceMetadataUrl,
      resource: (req: Request) => `${publicBaseUrl({ publicUrl: null }, req)}/mcp`,
      challengeScope: 'cs:read cs:write',
      requireAnyScope: ['cs:read', 'cs:write'] as const,
    };
    app.use('/mcp', bearerAuthMiddleware(new BearerTokenVerifier(personal, jwt), options));
    app.use('/pat-only', bearerAuthMiddleware(new BearerTokenVerifier(personal, null), { resourceMetadataUrl }));
    // A verifier that refuses every request's address, as an integration's IP allow-list does.
    app.use('/ip-checked', bearerAuthMiddleware({ verify: async (_bearer, context) => Promise.reject(new AddressNotAllowedError(context?.sourceIp ?? null, 'Claude')) }, options));
    // Budgets of 2 a minute per user and 3 per integration on a clock the tests move; one door answering as MCP does.
    const limits = { perUser: { count: 2, periodMs: 60_000 }, perIntegration: { count: 3, periodMs: 60_000 } };
    app.use('/limited', bearerAuthMiddleware(new BearerTokenVerifier(personal, jwt, new PrincipalRateLimiter(limits, () => now)), options));
    app.use(
      '/limited-rpc',
      bearerAuthMiddleware(new BearerTokenVerifier(personal, jwt, new PrincipalRateLimiter(limits, () => now)), {
        ...options,
        rateLimitedBody: (message) => ({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }),
      }),
    );
    app.all(['/mcp', '/pat-only', '/limited', '/limited-rpc'], (req: Request, res: Response) => res.json({ clientId: (req as Request & BearerRequest).auth?.clientId, principal: principalOf(req) }));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    metadataUrl = `${base}/.well-known/oauth-protected-resource/mcp`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  const call = (token?: string, path = '/mcp') => fetch(`${base}${path}`, { method: 'POST', headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  it('takes a JWT for this resource and a personal access token alike', async () => {
    const jwtRes = await call(await sign({ aud: `${base}/mcp` }));
    expect(jwtRes.status).toBe(200);
    expect(await jwtRes.json()).toMatchObject({ clientId: 'claude', principal: { email: 'anna@example.com', tokenKind: 'oauth_access_token', scopes: ['cs:read', 'cs:write'] } });
    const patRes = await call(pat);
    expect(patRes.status).toBe(200);
    expect(await patRes.json()).toMatchObject({ clientId: expect.stringMatching(/^pat:pat_/), principal: { tokenKind: 'personal_access_token' } });
  });

  it('refuses a JWT for another audience with invalid_token, asking for the scopes in the challenge', async () => {
    const token = await sign({ aud: 'https://other.example.com/mcp' });
    const res = await call(token);
    expect(res.status).toBe(401);
    const description = `The access token is meant for another resource: its aud does not list ${base}/mcp`;
    expect(res.headers.get('www-authenticate')).toBe(`Bearer error="invalid_token", error_description="${description}", scope="cs:read cs:write", resource_metadata="${metadataUrl}"`);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ error: 'invalid_token', error_description: description });
    expect(body).not.toContain(token);
  });

  it('challenges a request without a token with resource_metadata and scope', async () => {
    const res = await call();
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${metadataUrl}", scope="cs:read cs:write"`);
  });

  it('answers 403 insufficient_scope for a token good for neither reading nor writing', async () => {
    const res = await call(await sign({ aud: `${base}/mcp`, scope: 'openid profile' }));
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="cs:read", resource_metadata="${metadataUrl}"`);
    expect(await res.json()).toEqual({ error: 'insufficient_scope', error_description: 'This needs the cs:read scope, which the access token does not have' });
  });

  it('refuses a token in the query string, even beside a valid header', async () => {
    const token = await sign({ aud: `${base}/mcp` });
    for (const query of [`access_token=${token}`, `x=1&access_token=${token}`, `%61ccess_token=${token}`, 'access_token']) {
      const res = await fetch(`${base}/mcp?${query}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(400);
      const description = 'Access tokens are not accepted in the URL query (they end up in logs); send Authorization: Bearer <token> instead';
      expect(res.headers.get('www-authenticate')).toBe(`Bearer error="invalid_request", error_description="${description}", resource_metadata="${metadataUrl}"`);
      const body = await res.text();
      expect(JSON.parse(body)).toEqual({ error: 'invalid_request', error_description: description });
      expect(body).not.toContain(token);
    }
    expect((await fetch(`${base}/mcp?session=1`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it("answers 403 access_denied without a challenge when the token is fine but the address is not allowed, naming the request's address", async () => {
    const res = await call(await sign({ aud: `${base}/mcp` }), '/ip-checked');
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      error: 'access_denied',
      error_description:
        'Requests from 127.0.0.1 are not allowed for the integration Claude: its IP allow-list does not include this address (an admin changes it with csmcp integrations update --ip-allow)',
    });
  });

  it('says so when JWTs are not accepted at all', async () => {
    const res = await call(await sign({ aud: `${base}/mcp` }), '/pat-only');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: 'invalid_token',
      error_description: 'This server accepts no JWT access tokens (no authorization server is configured); use a csmcp personal access token',
    });
    expect((await call(pat, '/pat-only')).status).toBe(200);
  });

  it('answers 503 when the authorization server keys cannot be had', async () => {
    const token = await sign({ aud: `${base}/mcp`, jti: 'fresh' });
    keysDown = true;
    try {
      const res = await call(token);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'The access token cannot be checked right now; try again in a moment' });
    } finally {
      keysDown = false;
    }
  });

  it('answers 429 with Retry-After once a user has spent their budget, over all their tokens, never 401', async () => {
    const jwt = await sign({ aud: `${base}/mcp`, client_id: 'desk' });
    expect((await call(pat, '/limited')).status).toBe(200);
    expect((await call(jwt, '/limited')).status).toBe(200);
    for (const token of [pat, jwt]) {
      const res = await call(token, '/limited');
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('30');
      expect(res.headers.get('www-authenticate')).toBeNull();
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = await res.text();
      expect(JSON.parse(body)).toEqual({
        error: 'rate_limited',
        error_description: 'Too many requests for anna@example.com: the limit is 2 per minute per user (RATE_LIMIT_PER_USER); retry in 30 s',
      });
      expect(body).not.toContain(token);
    }
    // A bad token is still a 401 while the budget is spent: the limit counts callers, not guesses.
    expect((await call('csmcp_pat_nope', '/limited')).status).toBe(401);
    now += 30_000;
    expect((await call(pat, '/limited')).status).toBe(200);
    expect((await call(pat, '/limited')).status).toBe(429);
  });

  it("answers 429 when the integration's budget is spent, in the body shape the door asks for", async () => {
    now += 3_600_000;
    const users = ['anna@example.com'];
    await t.bus.execute(new RegisterUserCommand({ email: 'ben@example.com', name: 'Ben Ode', role: 'csm' }, admin));
    users.push('ben@example.com');
    const tokens = await Promise.all([...users, ...users].map((email) => sign({ aud: `${base}/mcp`, email, client_id: 'claude' })));
    const statuses = [];
    for (const token of tokens.slice(0, 3)) statuses.push((await call(token, '/limited-rpc')).status);
    expect(statuses).toEqual([200, 200, 200]);
    const res = await call(tokens[3], '/limited-rpc');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: 'Too many requests for the integration claude: the limit is 3 per minute per integration (RATE_LIMIT_PER_INTEGRATION); retry in 20 s' },
      id: null,
    });
    // Ben's own budget was not charged for the refused request: a personal access token of his still passes.
    const benPat = (await new AccessTokenService(t.store, new AccessTokenVerifier(t.store)).issue({ email: 'ben@example.com', scopes: 'cs:read', ttl: '1h' }, cli)).token;
    expect((await call(benPat, '/limited-rpc')).status).toBe(200);
  });
});
