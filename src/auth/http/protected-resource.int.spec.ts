import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/config';
import { startServer, type RunningServer } from '../../server';

/** The discovery documents served by the real server (Nest + express) on an embedded store. */
describe('Protected Resource Metadata (RFC 9728)', () => {
  const dirs: string[] = [];
  const servers: RunningServer[] = [];

  async function serve(env: Record<string, string> = {}): Promise<RunningServer> {
    const dir = mkdtempSync(join(tmpdir(), 'csmcp-prm-'));
    dirs.push(dir);
    const server = await startServer(loadConfig({ DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'silent', ...env }));
    servers.push(server);
    return server;
  }
  afterAll(async () => {
    for (const s of servers) await s.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('describes /mcp at the bare and the path form, and /v1/ds-mcp/mcp at its path form, from the listening address', async () => {
    const { url } = await serve();
    const expected = (resource: string) => ({
      resource: `${url}${resource}`,
      authorization_servers: [url],
      scopes_supported: ['cs:read', 'cs:write', 'admin'],
      bearer_methods_supported: ['header'],
      resource_name: 'csmcp',
    });
    for (const [path, resource] of [
      ['/.well-known/oauth-protected-resource', '/mcp'],
      ['/.well-known/oauth-protected-resource/mcp', '/mcp'],
      ['/.well-known/oauth-protected-resource/v1/ds-mcp/mcp', '/v1/ds-mcp/mcp'],
    ]) {
      const res = await fetch(`${url}${path}`, { headers: { host: 'evil.example' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual(expected(resource));
    }
    expect((await fetch(`${url}/.well-known/oauth-protected-resource/other`)).status).toBe(404);
  });

  it('uses PUBLIC_URL when set, and answers a CORS preflight', async () => {
    const { url } = await serve({ PUBLIC_URL: 'https://cs.example.com' });
    const body = (await (await fetch(`${url}/.well-known/oauth-protected-resource/v1/ds-mcp/mcp`)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ resource: 'https://cs.example.com/v1/ds-mcp/mcp', authorization_servers: ['https://cs.example.com'] });

    const preflight = await fetch(`${url}/.well-known/oauth-protected-resource/mcp`, {
      method: 'OPTIONS',
      headers: { origin: 'https://claude.ai', 'access-control-request-method': 'GET', 'access-control-request-headers': 'mcp-protocol-version' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, OPTIONS');
  });

  it('names the external authorization server when OAUTH_ISSUER is set', async () => {
    const { url } = await serve({ OAUTH_ISSUER: 'https://login.example.com/realms/cs', OAUTH_JWKS_URL: 'https://login.example.com/realms/cs/certs' });
    for (const [path, resource] of [
      ['/.well-known/oauth-protected-resource/mcp', '/mcp'],
      ['/.well-known/oauth-protected-resource/v1/ds-mcp/mcp', '/v1/ds-mcp/mcp'],
    ]) {
      const body = (await (await fetch(`${url}${path}`)).json()) as Record<string, unknown>;
      expect(body).toMatchObject({ resource: `${url}${resource}`, authorization_servers: ['https://login.example.com/realms/cs'] });
    }
  });
});
