import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { loadConfig } from '../../config/config';
import { IntegrationService } from '../integrations/integration.service';
import { PasswordService } from '../passwords/password.service';
import { OAuthServer } from './oauth-server';
import { OAuthStateStore } from './oauth-state.store';

/**
 * OAUTH_DYNAMIC_REGISTRATION and OAUTH_CLIENT_ID_METADATA_DOCUMENTS: the built-in authorization server
 * (oidc-provider, the real configuration) served in-process over real HTTP on an embedded store, once
 * per setting. Off means: not advertised in the metadata, and refused with a description that says so.
 */
describe('OAuthServer registration switches', () => {
  let dir: string;
  let http: Server;
  let base: string;
  let close: () => Promise<void>;

  async function start(env: Record<string, string>): Promise<void> {
    dir = mkdtempSync(join(tmpdir(), 'csmcp-oauth-switches-'));
    const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', ...env });
    const store = new SqliteEventStore({ filename: join(dir, 'events.db') });
    const state = OAuthStateStore.forConfig(config);
    const server = new OAuthServer({ config, store, state, integrations: new IntegrationService(store), passwords: new PasswordService(store) });
    http = createServer((req, res) => {
      server.handle(req, res).then(
        (handled) => {
          if (!handled) res.writeHead(404).end();
        },
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    close = async () => {
      await new Promise((resolve) => http.close(resolve));
      await state.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  afterEach(async () => close());

  const metadata = async (path = '/.well-known/oauth-authorization-server') => (await (await fetch(`${base}${path}`)).json()) as Record<string, unknown>;
  const register = () =>
    fetch(`${base}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Loopback App', redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'none' }),
    });
  /** An authorization request naming a client ID metadata document. */
  const authorizeWithDocument = () => {
    const url = new URL(`${base}/oauth/authorize`);
    const params = {
      client_id: 'https://app.example.com/oauth/client.json',
      response_type: 'code',
      redirect_uri: 'https://app.example.com/cb',
      scope: 'cs:read',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return fetch(url, { redirect: 'manual' });
  };

  it('by default advertises and serves both: the registration endpoint registers a client', async () => {
    await start({});
    const advertised = await metadata();
    expect(advertised).toMatchObject({ registration_endpoint: `${base}/oauth/register`, client_id_metadata_document_supported: true });
    expect(await metadata('/.well-known/openid-configuration')).toMatchObject({ registration_endpoint: `${base}/oauth/register` });
    const res = await register();
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ client_id: expect.any(String), client_name: 'Loopback App' });
  });

  it('OAUTH_DYNAMIC_REGISTRATION=off: no registration_endpoint in either metadata document, and the endpoint answers 403 saying why', async () => {
    await start({ OAUTH_DYNAMIC_REGISTRATION: 'off' });
    const advertised = await metadata();
    expect(advertised).not.toHaveProperty('registration_endpoint');
    expect(await metadata('/.well-known/openid-configuration')).not.toHaveProperty('registration_endpoint');
    // Client ID metadata documents are a switch of their own.
    expect(advertised).toMatchObject({ client_id_metadata_document_supported: true });

    const refused = {
      error: 'access_denied',
      error_description: 'Dynamic client registration is turned off on this server (OAUTH_DYNAMIC_REGISTRATION=off); ask an admin to register the client as an integration',
    };
    const res = await register();
    expect(res.status).toBe(403);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual(refused);
    // Reading or changing a registration (RFC 7592) is the same endpoint.
    const read = await fetch(`${base}/oauth/register/some-client`, { headers: { authorization: 'Bearer x' } });
    expect(read.status).toBe(403);
    expect(await read.json()).toEqual(refused);
  });

  it('OAUTH_CLIENT_ID_METADATA_DOCUMENTS=off: not advertised, and an https client_id is refused as invalid_client saying why', async () => {
    await start({ OAUTH_CLIENT_ID_METADATA_DOCUMENTS: 'off' });
    const advertised = await metadata();
    expect(advertised).not.toHaveProperty('client_id_metadata_document_supported');
    expect(advertised).toMatchObject({ registration_endpoint: `${base}/oauth/register` });

    const res = await authorizeWithDocument();
    // Never a redirect to a URL the client named: an error page.
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('<code>invalid_client</code>');
    expect(page).toContain(
      '<p>this server does not accept client ID metadata documents (OAUTH_CLIENT_ID_METADATA_DOCUMENTS=off); use a client registered by an admin</p>',
    );
  });
});
