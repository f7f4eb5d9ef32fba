import express, { type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { admin, startAdminCommands, type AdminCommandsHarness } from '../../customer-success/companies/commands/testing/admin-commands.harness';
import { RegisterUserCommand } from '../../users/commands/register-user/register-user.command';
import { hasScope, type Principal } from '../principal';
import { AccessTokenService } from '../tokens/access-token.service';
import { AccessTokenVerifier } from '../tokens/access-token.verifier';
import { generatePersonalAccessToken } from '../tokens/personal-access-token';
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
