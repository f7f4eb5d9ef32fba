/**
 * csmcp trusting an external authorization server: a local one (node:http) publishes its JWKS, a
 * real `csmcp serve` process is started with OAUTH_ISSUER / OAUTH_JWKS_URL pointing at it, and the
 * MCP SDK's client connects with the JWTs it "issues" (signed here with jose) as bearer tokens.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { startServerProcess, type ServerProcess } from '../support/cli';
import { connectStreamable, initializeMessage, rawPost, type ConnectedClient } from '../support/mcp-clients';
import { seedBook, sqliteStore, untilCaughtUp, type McpBook } from '../support/mcp-stack';

describe('MCP with JWT access tokens of an external authorization server (csmcp serve, embedded SQLite)', () => {
  const store = sqliteStore();
  let authorizationServer: Server;
  let issuer: string;
  let jwksRequests = 0;
  let signingKey: CryptoKey;
  let strangerKey: CryptoKey;
  let server: ServerProcess;
  let book: McpBook;
  const clients: ConnectedClient[] = [];

  beforeAll(async () => {
    const keys = await generateKeyPair('ES256');
    signingKey = keys.privateKey;
    strangerKey = (await generateKeyPair('ES256')).privateKey;
    const jwk: JWK = { ...(await exportJWK(keys.publicKey)), kid: 'as-key-1', alg: 'ES256', use: 'sig' };
    authorizationServer = createServer((req, res) => {
      if (req.url === '/jwks') jwksRequests++;
      if (req.url === '/jwks') return void res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: [jwk] }));
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => authorizationServer.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(authorizationServer.address() as AddressInfo).port}`;

    book = await seedBook(store);
    server = await startServerProcess({ ...store.env, OAUTH_ISSUER: issuer, OAUTH_JWKS_URL: `${issuer}/jwks` });
    await untilCaughtUp(server.url);
  }, 180_000);

  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await server?.stop();
    await new Promise((resolve) => authorizationServer.close(resolve));
    await store.dispose();
  });

  /** A JWT access token as the authorization server issues it, for ann and /mcp unless told otherwise. */
  function token(claims: Record<string, unknown> = {}, key: CryptoKey = signingKey): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: issuer,
      aud: `${server.url}/mcp`,
      sub: 'idp|ann',
      email: book.ann.email,
      client_id: 'claude-connector',
      scope: 'openid cs:read cs:write',
      iat: now,
      exp: now + 600,
      jti: `jti-${Math.random().toString(36).slice(2)}`,
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'as-key-1', typ: 'at+jwt' })
      .sign(key);
  }
  const initialize = (path: string, bearer: string | null, query = '') => rawPost(`${server.url}${path}${query}`, bearer, initializeMessage('2025-11-25'));
  async function connect(path: string, bearer: string): Promise<ConnectedClient> {
    const connected = await connectStreamable(`${server.url}${path}`, bearer);
    clients.push(connected);
    return connected;
  }

  it('lets the SDK client list tools and call a read tool with a JWT, seeing what ann may see', async () => {
    const { client } = await connect('/mcp', await token());
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(expect.arrayContaining(['search_companies', 'get_company', 'create_cta']));
    const result = (await client.callTool({ name: 'search_companies', arguments: { limit: 100 } })) as CallToolResult;
    expect(result.isError).not.toBe(true);
    const ids = (result.structuredContent as { items: Array<{ company_id: string }> }).items.map((c) => c.company_id);
    expect(ids.sort()).toEqual([...book.annCompanies].sort());
    expect(jwksRequests).toBeGreaterThanOrEqual(1);
  });

  it('offers only read tools to a cs:read token', async () => {
    const { client } = await connect('/mcp', await token({ scope: 'cs:read' }));
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('get_company');
    expect(tools).not.toContain('create_cta');
  });

  it('refuses a token for another audience, or for the other MCP path, with 401 invalid_token', async () => {
    const metadata = `${server.url}/.well-known/oauth-protected-resource/mcp`;
    for (const aud of ['https://other-api.example.com', `${server.url}/v1/ds-mcp/mcp`]) {
      const bearer = await token({ aud });
      const res = await initialize('/mcp', bearer);
      expect(res.status).toBe(401);
      const description = `The access token is meant for another resource: its aud does not list ${server.url}/mcp`;
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer error="invalid_token", error_description="${description}", scope="cs:read cs:write", resource_metadata="${metadata}"`,
      );
      const body = await res.text();
      expect(body).toContain('invalid_token');
      expect(body).not.toContain(bearer);
    }
    // A token whose aud lists both paths works at both.
    const both = await token({ aud: [`${server.url}/mcp`, `${server.url}/v1/ds-mcp/mcp`] });
    expect((await initialize('/v1/ds-mcp/mcp', both)).status).toBe(200);
    expect((await initialize('/mcp', both)).status).toBe(200);
  });

  it('refuses tampered, foreign-key, expired and unknown-user tokens', async () => {
    const cases: Array<[Promise<string>, string]> = [
      [token({ iss: 'https://elsewhere.example.com' }), 'The access token was issued by another authorization server than the one this server trusts'],
      [token({}, strangerKey), 'The access token signature does not verify'],
      [token({ exp: Math.floor(Date.now() / 1000) - 3600 }), 'The access token has expired; get a new one'],
      [token({ email: 'nobody@example.com' }), "There is no csmcp user for this token's email; an admin adds users with csmcp users add"],
    ];
    for (const [bearer, description] of cases) {
      const res = await initialize('/mcp', await bearer);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain(`error="invalid_token", error_description="${description}"`);
    }
    const [header, , signature] = (await token()).split('.');
    const forged = Buffer.from(JSON.stringify({ iss: issuer, aud: `${server.url}/mcp`, email: book.admin.email, scope: 'cs:read cs:write admin', exp: 9999999999 })).toString('base64url');
    const res = await initialize('/mcp', `${header}.${forged}.${signature}`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error_description="The access token signature does not verify"');
  });

  it('answers 403 insufficient_scope to a token good for neither reading nor writing', async () => {
    const res = await initialize('/mcp', await token({ scope: 'openid profile' }));
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", scope="cs:read", resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp"`,
    );
  });

  it('refuses a token in the query string', async () => {
    const bearer = await token();
    for (const [query, header] of [
      [`?access_token=${bearer}`, null],
      [`?access_token=${bearer}`, bearer],
    ] as const) {
      const res = await initialize('/mcp', header, query);
      expect(res.status).toBe(400);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toEqual({
        error: 'invalid_request',
        error_description: 'Access tokens are not accepted in the URL query (they end up in logs); send Authorization: Bearer <token> instead',
      });
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_request"');
    }
    // The refused request is still logged: without the token.
    for (let i = 0; i < 200 && !server.logs().includes('?access_token=[redacted]'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(server.logs()).toContain('?access_token=[redacted]');
    expect(server.logs()).not.toContain(bearer);
  });

  it('challenges a request without a token with the metadata URL and the scopes to ask for', async () => {
    const res = await initialize('/v1/ds-mcp/mcp', null);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${server.url}/.well-known/oauth-protected-resource/v1/ds-mcp/mcp", scope="cs:read cs:write"`,
    );
  });

  it('lists the external issuer in the protected resource metadata', async () => {
    for (const [path, resource] of [
      ['/.well-known/oauth-protected-resource/mcp', '/mcp'],
      ['/.well-known/oauth-protected-resource/v1/ds-mcp/mcp', '/v1/ds-mcp/mcp'],
    ]) {
      const body = (await (await fetch(`${server.url}${path}`)).json()) as Record<string, unknown>;
      expect(body).toMatchObject({ resource: `${server.url}${resource}`, authorization_servers: [issuer], scopes_supported: ['cs:read', 'cs:write', 'admin'] });
    }
  });

  it('still takes personal access tokens', async () => {
    const { client } = await connect('/mcp', book.ann.token);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  });
});
