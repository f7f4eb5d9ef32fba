import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type AppHarness, type StoreKind } from '../../../test/support/app-harness';
import type { AdminContext } from '../../customer-success/companies/commands/admin-context';
import { createConnectors, type Connectors } from '../connectors';
import { ConnectorError } from './connector-error';
import { CONNECTOR_INDEX_STREAM, connectorStream } from './connector.events';

const admin: AdminContext = { actor: { type: 'user', id: 'u-root', email: 'root@example.com' }, toolName: 'connectors add' };

async function refusal(promise: Promise<unknown>): Promise<ConnectorError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConnectorError) return error;
    throw error;
  }
  throw new Error('expected a ConnectorError');
}

describe.each<StoreKind>(['sqlite', 'postgres'])('connectors registry (%s events)', (kind) => {
  let h: AppHarness;
  let dir: string;
  let connectors: Connectors;

  beforeAll(async () => {
    h = await startApp(kind);
    dir = mkdtempSync(join(tmpdir(), 'csmcp-connector-registry-'));
    const config = {
      dataDir: dir,
      readModels: { kind: 'sqlite' as const, filename: join(dir, 'read-models.db') },
      publicUrl: 'https://csmcp.example.com',
      host: '127.0.0.1',
      port: 3000,
      connectorTokenKeys: { current: randomBytes(32), previous: [] },
    };
    connectors = createConnectors({ config, store: h.store });
  });
  afterAll(async () => {
    await connectors.state.close();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers with the client secret kept encrypted outside the events, updates, lists and removes', async () => {
    const { registry, state } = connectors;
    const added = await registry.register(
      { name: 'helpdesk', url: 'https://mcp.helpdesk.example/mcp', auth: 'oauth_client', clientId: 'csmcp-at-helpdesk', clientSecret: 'very-secret-1', scopes: 'tickets:read tickets:write' },
      admin,
    );
    expect(added).toMatchObject({ name: 'helpdesk', authKind: 'oauth_client', grant: 'authorization_code', hasClientSecret: true, scopes: ['tickets:read', 'tickets:write'] });
    expect(await registry.clientSecret(added)).toBe('very-secret-1');
    const events = await h.store.readStream(connectorStream('helpdesk'));
    expect(events.map((e) => e.type)).toEqual(['ConnectorRegistered']);
    expect(JSON.stringify(events)).not.toContain('very-secret');
    expect(events[0].metadata).toMatchObject({ actor: admin.actor, toolName: 'connectors add' });

    await state.saveAuthorizedTokens(added.id, 'company', null, { access_token: 'at' }, null);
    const { connector, changes, authorizationsReset } = await registry.update('helpdesk', { clientSecret: 'very-secret-2', transport: 'sse' }, { ...admin, toolName: 'connectors update' });
    expect(changes).toEqual([
      { field: 'transport', from: 'auto', to: 'sse' },
      { field: 'clientSecret', from: '(set)', to: '(replaced)' },
    ]);
    expect(authorizationsReset).toBe(true);
    expect(await registry.clientSecret(connector)).toBe('very-secret-2');
    expect(await state.grant(added.id, 'company')).toBeNull();

    await registry.register({ name: 'legacy', url: 'https://legacy.example/sse', auth: 'none' }, admin);
    expect((await registry.list()).map((c) => c.name)).toEqual(['helpdesk', 'legacy']);

    await registry.remove('helpdesk', { ...admin, toolName: 'connectors remove' });
    expect(await registry.get('helpdesk')).toBeNull();
    expect(await state.secret(added.id, 'client_secret')).toBeNull();
    expect((await registry.list()).map((c) => c.name)).toEqual(['legacy']);
    // The name can be used again: a new connector, which inherits nothing.
    const again = await registry.register({ name: 'helpdesk', url: 'https://mcp.helpdesk.example/mcp', auth: 'oauth_dynamic' }, admin);
    expect(again.id).not.toBe(added.id);
    expect((await h.store.readStream(CONNECTOR_INDEX_STREAM)).filter((e) => e.data.name === 'helpdesk')).toHaveLength(2);
  });

  it('lets exactly one of two admins registering the same name at once win', async () => {
    const results = await Promise.allSettled([
      connectors.registry.register({ name: 'crm', url: 'https://a.example/mcp', auth: 'none' }, admin),
      connectors.registry.register({ name: 'crm', url: 'https://b.example/mcp', auth: 'none' }, admin),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(ConnectorError);
    expect(lost.reason.code).toBe('ALREADY_EXISTS');
  });

  it('refuses what it cannot do with a message saying what is allowed', async () => {
    const unknown = await refusal(connectors.registry.update('nope', { transport: 'sse' }, admin));
    expect(unknown).toMatchObject({ code: 'CONNECTOR_NOT_FOUND', message: 'no connector is named nope; csmcp connectors list shows them' });
    const empty = await refusal(connectors.registry.register({ name: 'x', url: 'https://x.example/mcp', auth: 'oauth_client', clientId: 'c', clientSecret: '  ' }, admin));
    expect(empty).toMatchObject({ code: 'VALIDATION', message: 'the client secret is empty: give the secret the provider issued' });
  });
});
