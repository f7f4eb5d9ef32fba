import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { JwtAccessTokenVerifier } from './jwt-access-token.verifier';
import { AuthorizationServerUnavailableError, JwtRejectedError } from './jwt-rejected.error';
import { discoveredKeySet, discoverJwksUri, metadataUrls, remoteKeySet } from './key-sets';

/** Key sets and metadata fetched from a real local HTTP server (node:http). */
describe('remote key sets and metadata discovery', () => {
  let server: Server;
  let origin: string;
  /** path -> [status, body]; what the server answers, changed by each test. */
  const routes = new Map<string, [number, unknown]>();
  const requested: string[] = [];
  let jwk: JWK;
  let sign: (iss: string) => Promise<string>;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    sign = (iss) =>
      new SignJWT({ email: 'anna@example.com', scope: 'cs:read' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
        .setIssuer(iss)
        .setAudience('https://csmcp.example.com/mcp')
        .setExpirationTime('5m')
        .sign(privateKey);
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      requested.push(req.url!);
      const [status, body] = routes.get(req.url!) ?? [404, { error: 'not_found' }];
      res.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    routes.clear();
    requested.length = 0;
  });

  const verifierWith = (issuer: string, keys: ReturnType<typeof remoteKeySet>) =>
    new JwtAccessTokenVerifier({
      issuer,
      keys,
      audience: 'https://csmcp.example.com/mcp',
      users: {
        byEmail: async (email) => ({ userId: 'u1', email, name: 'Anna', role: 'csm', team: null }),
        byId: async () => null,
        teamMemberIds: async (user) => [user.userId],
      },
    });

  it('lists the metadata locations MCP clients try, for issuers with and without a path', () => {
    expect(metadataUrls('https://as.example.com')).toEqual(['https://as.example.com/.well-known/oauth-authorization-server', 'https://as.example.com/.well-known/openid-configuration']);
    expect(metadataUrls('https://tenant.auth0.com/')).toEqual(['https://tenant.auth0.com/.well-known/oauth-authorization-server', 'https://tenant.auth0.com/.well-known/openid-configuration']);
    expect(metadataUrls('https://as.example.com/realms/cs')).toEqual([
      'https://as.example.com/.well-known/oauth-authorization-server/realms/cs',
      'https://as.example.com/.well-known/openid-configuration/realms/cs',
      'https://as.example.com/realms/cs/.well-known/openid-configuration',
    ]);
  });

  it('verifies with keys fetched from a JWKS URL', async () => {
    routes.set('/jwks', [200, { keys: [jwk] }]);
    const v = verifierWith(origin, remoteKeySet(`${origin}/jwks`));
    await expect(v.verify(await sign(origin))).resolves.toMatchObject({ email: 'anna@example.com', scopes: ['cs:read'] });
    expect(requested).toEqual(['/jwks']);
  });

  it('discovers jwks_uri from RFC 8414 metadata, else from OpenID configuration', async () => {
    routes.set('/.well-known/oauth-authorization-server', [200, { issuer: origin, jwks_uri: `${origin}/keys` }]);
    expect(await discoverJwksUri(origin)).toBe(`${origin}/keys`);
    routes.clear();
    routes.set('/realms/cs/.well-known/openid-configuration', [200, { issuer: `${origin}/realms/cs`, jwks_uri: `${origin}/realms/cs/certs` }]);
    routes.set('/realms/cs/certs', [200, { keys: [jwk] }]);
    requested.length = 0;
    const v = verifierWith(`${origin}/realms/cs`, discoveredKeySet(`${origin}/realms/cs`));
    await expect(v.verify(await sign(`${origin}/realms/cs`))).resolves.toMatchObject({ email: 'anna@example.com' });
    expect(requested).toEqual([
      '/.well-known/oauth-authorization-server/realms/cs',
      '/.well-known/openid-configuration/realms/cs',
      '/realms/cs/.well-known/openid-configuration',
      '/realms/cs/certs',
    ]);
  });

  it('refuses metadata that names another issuer or no usable jwks_uri', async () => {
    routes.set('/.well-known/oauth-authorization-server', [200, { issuer: 'https://evil.example.com', jwks_uri: 'https://evil.example.com/keys' }]);
    await expect(discoverJwksUri(origin)).rejects.toThrow(`names issuer "https://evil.example.com", not OAUTH_ISSUER ${origin}`);
    routes.set('/.well-known/oauth-authorization-server', [200, { issuer: origin, jwks_uri: 'http://keys.example.com/jwks' }]);
    await expect(discoverJwksUri(origin)).rejects.toThrow('has no usable jwks_uri');
    routes.clear();
    await expect(discoverJwksUri(origin)).rejects.toThrow(
      `No authorization server metadata found for ${origin}: ${origin}/.well-known/oauth-authorization-server (HTTP 404), ${origin}/.well-known/openid-configuration (HTTP 404); set OAUTH_JWKS_URL`,
    );
  });

  it('answers AuthorizationServerUnavailableError when keys cannot be fetched, and invalid_token for an unknown kid', async () => {
    const v = verifierWith(origin, remoteKeySet(`${origin}/jwks`));
    routes.set('/jwks', [500, 'down']);
    await expect(v.verify(await sign(origin))).rejects.toBeInstanceOf(AuthorizationServerUnavailableError);
    routes.set('/jwks', [200, 'not json']);
    await expect(v.verify(await sign(origin))).rejects.toBeInstanceOf(AuthorizationServerUnavailableError);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(verifierWith(origin, remoteKeySet(`http://127.0.0.1:${port}/jwks`)).verify(await sign(origin))).rejects.toBeInstanceOf(AuthorizationServerUnavailableError);

    routes.set('/jwks', [200, { keys: [{ ...jwk, kid: 'other' }] }]);
    const unknownKid = verifierWith(origin, remoteKeySet(`${origin}/jwks`));
    const error = await unknownKid.verify(await sign(origin)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JwtRejectedError);
    expect((error as JwtRejectedError).rejection).toBe('unknown_key');
  });
});
