import { startApp, type AppHarness, type StoreKind } from '../../../test/support/app-harness';
import type { AdminContext } from '../../customer-success/companies/commands/admin-context';
import { generateClientSecret, hashClientSecret } from './client-credentials';
import { IntegrationError } from './integration-error';
import { INTEGRATION_INDEX_STREAM, integrationStream } from './integration.events';
import { INTEGRATION_CACHE_MS, IntegrationService, SECRET_ROTATION_GRACE_MS } from './integration.service';

const admin: AdminContext = { actor: { type: 'user', id: 'u-root', email: 'root@example.com' }, toolName: 'integrations add' };

describe.each<StoreKind>(['sqlite', 'postgres'])('integrations registry (%s)', (kind) => {
  let h: AppHarness;
  let integrations: IntegrationService;
  const secretsShown: string[] = [];

  beforeAll(async () => {
    h = await startApp(kind);
    integrations = h.app.get(IntegrationService);
  });
  afterAll(() => h.close());

  /** Another process on the same store: its own cache, its own clock. */
  function otherProcess(at: number): IntegrationService {
    const other = new IntegrationService(h.store);
    other.now = () => at;
    return other;
  }

  it('registers, verifies the secret, rotates with a grace period, and refuses everything once disabled', async () => {
    const t0 = Date.parse('2026-03-02T09:00:00.000Z');
    const server = otherProcess(t0);
    const { integration, clientSecret } = await integrations.register({ name: 'Claude', preset: 'claude', scopes: 'cs:read cs:write' }, { ...admin, now: new Date(t0) });
    secretsShown.push(clientSecret!);
    expect(clientSecret).toMatch(/^csmcp_sec_[A-Za-z0-9_-]{43}$/);
    expect(integration).toEqual({
      clientId: expect.stringMatching(/^csmcp_int_[A-Za-z0-9_-]{22}$/),
      preset: 'claude',
      name: 'Claude',
      redirectUris: ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback'],
      scopes: ['cs:read', 'cs:write'],
      accessContext: 'personal',
      grantTypes: ['authorization_code', 'refresh_token'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      ipAllowList: [],
      confidential: true,
      enabled: true,
      registeredAt: '2026-03-02T09:00:00.000Z',
      updatedAt: '2026-03-02T09:00:00.000Z',
      secrets: [{ issuedAt: '2026-03-02T09:00:00.000Z', validUntil: null }],
    });
    const { clientId } = integration;
    const [event] = await h.store.readStream(integrationStream(clientId));
    expect(event).toMatchObject({ type: 'IntegrationRegistered', data: { clientId, secretHash: hashClientSecret(clientSecret!), registeredBy: { type: 'user', id: 'u-root' } } });
    expect(event.metadata).toMatchObject({ actor: { type: 'user', id: 'u-root', email: 'root@example.com' }, toolName: 'integrations add' });

    // Another process (the server) sees it at once: it never read this client id before.
    expect(await server.verifyClientSecret(clientId, clientSecret!)).toMatchObject({ clientId, name: 'Claude' });
    expect(await server.verifyClientSecret(clientId, generateClientSecret())).toBeNull();
    expect(await server.checkClientSecret(clientId, 'wrong')).toEqual({ ok: false, reason: 'wrong_secret' });
    expect(await server.checkClientSecret('csmcp_int_AAAAAAAAAAAAAAAAAAAAAA', clientSecret!)).toEqual({ ok: false, reason: 'unknown_client' });

    const t1 = t0 + 3_600_000;
    const rotation = await integrations.rotateSecret(clientId, {}, { ...admin, toolName: 'integrations rotate-secret', now: new Date(t1) });
    secretsShown.push(rotation.clientSecret);
    expect(rotation.clientSecret).not.toBe(clientSecret);
    expect(rotation.previousSecretsValidUntil).toBe(new Date(t1 + SECRET_ROTATION_GRACE_MS).toISOString());
    expect(rotation.previousSecretsValidUntil).toBe('2026-03-03T10:00:00.000Z');

    // The server's cached view runs out within a second; then both secrets work until the grace ends.
    server.now = () => t1 + INTEGRATION_CACHE_MS + 1;
    expect(await server.verifyClientSecret(clientId, rotation.clientSecret)).toMatchObject({ clientId });
    expect(await server.verifyClientSecret(clientId, clientSecret!)).toMatchObject({ clientId });
    expect(await server.get(clientId)).toMatchObject({
      secrets: [
        { issuedAt: '2026-03-02T09:00:00.000Z', validUntil: '2026-03-03T10:00:00.000Z' },
        { issuedAt: '2026-03-02T10:00:00.000Z', validUntil: null },
      ],
    });
    server.now = () => t1 + SECRET_ROTATION_GRACE_MS - 1;
    expect(await server.verifyClientSecret(clientId, clientSecret!)).not.toBeNull();
    server.now = () => t1 + SECRET_ROTATION_GRACE_MS;
    expect(await server.verifyClientSecret(clientId, clientSecret!)).toBeNull();
    expect(await server.verifyClientSecret(clientId, rotation.clientSecret)).not.toBeNull();
    expect((await server.get(clientId))?.secrets).toEqual([{ issuedAt: '2026-03-02T10:00:00.000Z', validUntil: null }]);

    // --now: the secret before stops at once, everywhere as soon as the cache runs out.
    const t2 = t1 + 2 * 3_600_000;
    const leaked = await integrations.rotateSecret(clientId, { immediately: true }, { ...admin, now: new Date(t2) });
    secretsShown.push(leaked.clientSecret);
    expect(leaked.previousSecretsValidUntil).toBe(new Date(t2).toISOString());
    integrations.now = () => t2;
    try {
      expect(await integrations.verifyClientSecret(clientId, rotation.clientSecret)).toBeNull();
      expect(await integrations.verifyClientSecret(clientId, leaked.clientSecret)).not.toBeNull();
    } finally {
      integrations.now = Date.now;
    }

    const { changed } = await integrations.disable(clientId, { ...admin, toolName: 'integrations disable' });
    expect(changed).toBe(true);
    server.now = () => Date.now() + INTEGRATION_CACHE_MS + 1;
    expect(await server.checkClientSecret(clientId, leaked.clientSecret)).toEqual({ ok: false, reason: 'disabled' });
    expect(await server.get(clientId)).toMatchObject({ clientId, enabled: false });
    expect(await integrations.disable(clientId, admin)).toMatchObject({ changed: false });

    await integrations.enable(clientId, admin);
    server.now = () => Date.now() + 2 * (INTEGRATION_CACHE_MS + 1);
    expect(await server.verifyClientSecret(clientId, leaked.clientSecret)).toMatchObject({ clientId, enabled: true });

    expect((await h.store.readStream(integrationStream(clientId))).map((e) => e.type)).toEqual([
      'IntegrationRegistered',
      'IntegrationSecretRotated',
      'IntegrationSecretRotated',
      'IntegrationDisabled',
      'IntegrationEnabled',
    ]);
  });

  it('updates settings as events, refuses a change of access context, and a public client has no secret', async () => {
    const { integration, clientSecret } = await integrations.register({ name: 'ChatGPT', preset: 'chatgpt', accessContext: 'shared' }, admin);
    secretsShown.push(clientSecret!);
    expect(integration.redirectUris).toEqual([]);
    const { clientId } = integration;

    const { integration: updated, changes } = await integrations.update(
      clientId,
      { addRedirectUris: ['https://chatgpt.com/connector_platform_oauth_redirect'], ipAllowList: ['203.0.113.0/24', '2001:db8::/32'], scopes: 'cs:read' },
      { ...admin, toolName: 'integrations update' },
    );
    expect(changes.map((c) => c.field)).toEqual(['redirectUris', 'scopes', 'ipAllowList']);
    expect(updated).toMatchObject({ redirectUris: ['https://chatgpt.com/connector_platform_oauth_redirect'], scopes: ['cs:read'], ipAllowList: ['203.0.113.0/24', '2001:db8::/32'] });
    expect(await integrations.update(clientId, { scopes: ['cs:read'] }, admin)).toMatchObject({ changes: [] });

    await expect(integrations.update(clientId, { accessContext: 'personal' }, admin)).rejects.toMatchObject({ code: 'ACCESS_CONTEXT_FIXED' });
    await expect(integrations.update(clientId, { redirectUris: ['http://app.example.com/cb'] }, admin)).rejects.toThrow(
      'redirect URI "http://app.example.com/cb" uses http on app.example.com; http is allowed only on 127.0.0.1, [::1] or localhost: use https',
    );
    await expect(integrations.update('csmcp_int_nope', { name: 'x' }, admin)).rejects.toThrow(
      new IntegrationError('INTEGRATION_NOT_FOUND', 'no integration has client id csmcp_int_nope; csmcp integrations list shows them'),
    );

    const inspector = await integrations.register({ name: 'MCP Inspector', preset: 'custom', public: true, redirectUris: ['http://localhost:6274/oauth/callback'] }, admin);
    expect(inspector.clientSecret).toBeNull();
    expect(inspector.integration).toMatchObject({ tokenEndpointAuthMethod: 'none', confidential: false, secrets: [] });
    expect(await integrations.checkClientSecret(inspector.integration.clientId, generateClientSecret())).toEqual({ ok: false, reason: 'public_client' });
    await expect(integrations.rotateSecret(inspector.integration.clientId, {}, admin)).rejects.toMatchObject({ code: 'PUBLIC_CLIENT_HAS_NO_SECRET' });
    await expect(integrations.register({ name: 'x', preset: 'custom', public: true, tokenEndpointAuthMethod: 'client_secret_post' }, admin)).rejects.toThrow(
      'a public client authenticates with no secret (auth method none), not client_secret_post',
    );
  });

  it('writes nothing for a refused registration', async () => {
    const before = (await h.store.readAll()).length;
    await expect(integrations.register({ name: 'Custom', preset: 'custom', redirectUris: ['javascript:alert(1)'] }, admin)).rejects.toMatchObject({ code: 'INVALID_REDIRECT_URI' });
    await expect(integrations.register({ name: 'Custom', preset: 'custom' }, admin)).rejects.toMatchObject({ code: 'REDIRECT_URI_REQUIRED' });
    expect((await h.store.readAll()).length).toBe(before);
  });

  it('registers concurrently without losing one, and lists them all without any secret', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => integrations.register({ name: `Machine ${i}`, preset: 'custom', accessContext: 'shared', grantTypes: 'client_credentials' }, admin)),
    );
    for (const r of results) secretsShown.push(r.clientSecret!);
    expect(new Set(results.map((r) => r.integration.clientId)).size).toBe(12);

    const listed = await integrations.list();
    const ids = listed.map((i) => i.clientId);
    for (const r of results) expect(ids).toContain(r.integration.clientId);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await h.store.readStream(INTEGRATION_INDEX_STREAM)).length).toBe(listed.length);
    expect(listed.length).toBeGreaterThanOrEqual(15);

    // Concurrent rotations of one integration: both land (retried on fresh state), and the last secret works.
    const target = results[0].integration.clientId;
    const rotations = await Promise.all([integrations.rotateSecret(target, {}, admin), integrations.rotateSecret(target, {}, admin)]);
    for (const r of rotations) secretsShown.push(r.clientSecret);
    expect((await h.store.readStream(integrationStream(target))).filter((e) => e.type === 'IntegrationSecretRotated')).toHaveLength(2);
    for (const r of rotations) expect(await otherProcess(Date.now()).verifyClientSecret(target, r.clientSecret)).not.toBeNull();

    const text = JSON.stringify(listed);
    for (const secret of secretsShown) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(hashClientSecret(secret));
    }
  });

  it('answers repeated and concurrent lookups of one client from one read for up to a second, and junk ids from none', async () => {
    const { integration, clientSecret } = await integrations.register({ name: 'Cached', preset: 'claude' }, admin);
    secretsShown.push(clientSecret!);
    const t = Date.now();
    const fresh = otherProcess(t);
    const reads = jest.spyOn(h.store, 'readStream');
    try {
      await Promise.all(Array.from({ length: 20 }, () => fresh.verifyClientSecret(integration.clientId, clientSecret!)));
      for (let i = 0; i < 20; i++) await fresh.get(integration.clientId);
      expect(await fresh.get('not-a-client-id')).toBeNull();
      expect(await fresh.verifyClientSecret('csmcp_int_', clientSecret!)).toBeNull();
      expect(reads).toHaveBeenCalledTimes(1);
      fresh.now = () => t + INTEGRATION_CACHE_MS;
      await fresh.get(integration.clientId);
      expect(reads).toHaveBeenCalledTimes(2);
    } finally {
      reads.mockRestore();
    }
  });

  it('keeps every secret out of every event', async () => {
    expect(secretsShown.length).toBeGreaterThan(15);
    const everything = JSON.stringify(await h.store.readAll());
    for (const secret of secretsShown) {
      expect(everything).not.toContain(secret);
      // Nor any recognisable part of it.
      expect(everything).not.toContain(secret.slice('csmcp_sec_'.length, 'csmcp_sec_'.length + 16));
    }
  });
});
