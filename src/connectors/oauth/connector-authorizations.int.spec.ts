import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '@csmcp/event-store';
import { SqliteEventStore } from '../../../libs/event-store/src/sqlite/sqlite-event-store';
import type { AdminContext } from '../../customer-success/companies/commands/admin-context';
import { startTestServer, type SeenRequest, type TestServer } from '../../net/testing/test-server';
import { createConnectors, type Connectors } from '../connectors';
import { ConnectorError } from '../registry/connector-error';

const admin: AdminContext = { actor: { type: 'user', id: 'u-root', email: 'root@example.com' }, toolName: 'connectors authorize' };

/**
 * Starting an authorization against a hand-made MCP server and authorization server: what csmcp
 * sends at the wire (the registration it asks for, the authorization URL) and what it refuses before
 * sending anything (no S256 PKCE, an authorization server on a private address).
 */
describe('ConnectorAuthorizations.begin', () => {
  let server: TestServer;
  let dir: string;
  let store: EventStore;
  let connectors: Connectors;
  /** What the protected resource metadata names as the authorization server, and what that server's metadata says. */
  let authorizationServer: string;
  let asMetadata: Record<string, unknown>;

  const paths = (): string[] => server.requests.map((r: SeenRequest) => `${r.method} ${r.url.split('?')[0]}`);

  beforeAll(async () => {
    server = await startTestServer((req, res, seen) => {
      const origin = `http://127.0.0.1:${server.port}`;
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'POST' && path === '/mcp') {
        res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp", scope="tickets:read"` }).end();
      } else if (path === '/.well-known/oauth-protected-resource/mcp') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ resource: `${origin}/mcp`, authorization_servers: [authorizationServer] }));
      } else if (path === '/.well-known/oauth-authorization-server') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: `${origin}/`, ...asMetadata }));
      } else if (req.method === 'POST' && path === '/register') {
        const asked = JSON.parse(seen.body) as Record<string, unknown>;
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ ...asked, client_id: 'registered-1', client_secret: 'issued-secret' }));
      } else {
        res.writeHead(404).end();
      }
    });
    dir = mkdtempSync(join(tmpdir(), 'csmcp-connector-auth-'));
    store = new SqliteEventStore({ filename: join(dir, 'events.db') });
    const config = {
      dataDir: dir,
      readModels: { kind: 'sqlite' as const, filename: join(dir, 'read-models.db') },
      publicUrl: 'http://127.0.0.1:3000',
      host: '127.0.0.1',
      port: 3000,
      connectorTokenKeys: { current: randomBytes(32), previous: [] },
    };
    connectors = createConnectors({ config, store });
    await connectors.registry.register({ name: 'desk', url: `http://127.0.0.1:${server.port}/mcp`, auth: 'oauth_dynamic', allowedHosts: [`127.0.0.1:${server.port}`] }, admin);
  });
  afterAll(async () => {
    await connectors.state.close();
    await store.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    server.requests.length = 0;
  });

  const metadata = (origin: string) => ({
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/token`,
    registration_endpoint: `${origin}/register`,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'none'],
  });

  it('registers asking for client_secret_basic first and returns an S256 authorization URL with the resource and the scope the server asked for', async () => {
    const origin = `http://127.0.0.1:${server.port}`;
    authorizationServer = `${origin}/`;
    asMetadata = metadata(origin);
    const begun = await connectors.authorizations.begin('desk', { kind: 'company' }, admin);
    expect(begun.kind).toBe('redirect');
    const registration = JSON.parse(server.requests.find((r) => r.url === '/register')!.body);
    expect(registration).toEqual({
      client_name: 'csmcp',
      redirect_uris: ['http://127.0.0.1:3000/connectors/oauth/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'tickets:read',
    });
    const url = new URL(begun.kind === 'redirect' ? begun.url : '');
    expect(`${url.origin}${url.pathname}`).toBe(`${origin}/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'registered-1',
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge_method: 'S256',
      redirect_uri: 'http://127.0.0.1:3000/connectors/oauth/callback',
      state: expect.stringMatching(/^[\w-]{43}$/),
      scope: 'tickets:read',
      resource: `${origin}/mcp`,
    });
    const desk = await connectors.registry.require('desk');
    expect((await connectors.authorizations.describe(desk, { kind: 'company' })).client).toBe(
      'dynamic client registration: client registered-1, token endpoint auth method client_secret_basic',
    );
  });

  it('refuses an authorization server that does not offer S256 PKCE, before registering or redirecting anyone', async () => {
    const origin = `http://127.0.0.1:${server.port}`;
    authorizationServer = `${origin}/`;
    const { code_challenge_methods_supported: _omitted, ...withoutPkce } = metadata(origin);
    asMetadata = withoutPkce;
    let error: unknown;
    try {
      await connectors.authorizations.begin('desk', { kind: 'company' }, admin);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({
      code: 'PKCE_NOT_SUPPORTED',
      message: `the authorization server ${origin}/ of connector desk does not advertise S256 PKCE (code_challenge_methods_supported: null); csmcp does not authorise without it`,
    });
    expect(paths()).not.toContain('POST /register');
  });

  it('refuses an authorization server on a private address the admin did not allow, naming it, without contacting it', async () => {
    authorizationServer = 'https://10.20.30.40/';
    let error: unknown;
    try {
      await connectors.authorizations.begin('desk', { kind: 'company' }, admin);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({
      code: 'FETCH_REFUSED',
      message: expect.stringContaining('Refused to fetch https://10.20.30.40/.well-known/oauth-authorization-server: 10.20.30.40 is private (10.0.0.0/8, RFC 1918), not a public address'),
    });
  });
});
