import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { AppConfig } from '../../config/config';
import { TokenCipher } from '../secrets/token-cipher';
import { ConnectorStateStore } from './connector-state.store';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const key = randomBytes(32);

interface Setup {
  /** Two stores on one database: two processes as far as the database can tell. */
  readonly a: ConnectorStateStore;
  readonly b: ConnectorStateStore;
  readonly config: Pick<AppConfig, 'readModels' | 'dataDir'>;
  dispose(): Promise<void>;
}

function sqlite(): Setup {
  const dir = mkdtempSync(join(tmpdir(), 'csmcp-connector-state-'));
  const config = { dataDir: join(dir, 'data'), readModels: { kind: 'sqlite' as const, filename: join(dir, 'data', 'read-models.db') } };
  const cipher = new TokenCipher({ current: key, previous: [] });
  const a = ConnectorStateStore.forConfig(config, cipher);
  const b = ConnectorStateStore.forConfig(config, cipher);
  return { a, b, config, dispose: async () => (await Promise.all([a.close(), b.close()]), rmSync(dir, { recursive: true, force: true })) };
}

function postgres(): Setup {
  const schema = `connectors_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const config = { dataDir: '/nonexistent', readModels: { kind: 'postgres' as const, connectionString: DATABASE_URL, schema } };
  const cipher = new TokenCipher({ current: key, previous: [] });
  const a = ConnectorStateStore.forConfig(config, cipher);
  const b = ConnectorStateStore.forConfig(config, cipher);
  return {
    a,
    b,
    config,
    dispose: async () => {
      await Promise.all([a.close(), b.close()]);
      const client = new Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}

describe.each([
  ['SQLite', sqlite],
  ['PostgreSQL', postgres],
])('ConnectorStateStore on %s', (_name, make) => {
  let setup: Setup;
  beforeEach(() => {
    setup = make();
  });
  afterEach(async () => {
    await setup.dispose();
  });

  it('gives the refresh lease to exactly one of many processes asking at once, and again once released or lapsed', async () => {
    const { a, b } = setup;
    await a.saveAuthorizedTokens('con_1', 'company', null, { access_token: 'at-1', refresh_token: 'rt-1' }, 1_000);
    const owners = Array.from({ length: 8 }, (_, i) => `owner-${i}`);
    const won = await Promise.all(owners.map((owner, i) => (i % 2 ? a : b).acquireLease('con_1', 'company', owner, 30_000)));
    expect(won.filter(Boolean)).toHaveLength(1);
    const winner = owners[won.indexOf(true)];

    // A loser cannot write; the winner can, and the version moves for whoever waited.
    const before = (await a.grant('con_1', 'company'))!.version;
    expect(await a.saveRefreshedTokens('con_1', 'company', 'someone-else', { access_token: 'stolen' }, 2_000)).toBe(false);
    expect(await b.saveRefreshedTokens('con_1', 'company', winner, { access_token: 'at-2', refresh_token: 'rt-2' }, 2_000)).toBe(true);
    const after = (await a.grant('con_1', 'company'))!;
    expect(after).toMatchObject({ tokens: { access_token: 'at-2', refresh_token: 'rt-2' }, expiresAt: 2_000, status: 'authorized', version: before + 1 });
    expect(after.refreshedAt).not.toBeNull();

    expect(await a.acquireLease('con_1', 'company', 'next', 30_000)).toBe(false);
    await b.releaseLease('con_1', 'company', winner);
    expect(await a.acquireLease('con_1', 'company', 'next', 30_000)).toBe(true);

    // A lease whose holder died lapses.
    a.now = () => Date.now() + 31_000;
    expect(await a.acquireLease('con_1', 'company', 'after-a-crash', 30_000)).toBe(true);
  });

  it('keeps tokens encrypted at rest and marks a dead grant as needing re-authorisation', async () => {
    const { a } = setup;
    await a.saveAuthorizedTokens('con_1', 'user:u-ann', { userId: 'u-ann', email: 'ann@example.com' }, { access_token: 'plain-access-token' }, null);
    await a.markNeedsReauthorization('con_1', 'user:u-ann', 'the authorization server refused the refresh token (invalid_grant)');
    expect(await a.grant('con_1', 'user:u-ann')).toMatchObject({
      tokens: null,
      status: 'needs_reauthorization',
      problem: 'the authorization server refused the refresh token (invalid_grant)',
      userEmail: 'ann@example.com',
    });
    await a.saveAuthorizedTokens('con_1', 'user:u-ann', { userId: 'u-ann', email: 'ann@example.com' }, { access_token: 'plain-access-token' }, null);
    expect(await a.grant('con_1', 'user:u-ann')).toMatchObject({ status: 'authorized', problem: null, tokens: { access_token: 'plain-access-token' } });
    expect(await a.grants('con_1')).toEqual([expect.objectContaining({ subject: 'user:u-ann', hasTokens: true, status: 'authorized' })]);
    if (setup.config.readModels.kind === 'sqlite') {
      expect(statSync(join(setup.config.dataDir, 'connectors.db')).mode & 0o777).toBe(0o600);
      const Database = require('better-sqlite3');
      const raw = new Database(join(setup.config.dataDir, 'connectors.db'), { readonly: true });
      const row = raw.prepare('SELECT tokens FROM connector_grants').get() as { tokens: string };
      raw.close();
      expect(row.tokens).toMatch(/^v1\./);
      expect(row.tokens).not.toContain('plain-access-token');
    }
  });

  it('hands a pending authorization out once, and not after it expired', async () => {
    const { a, b } = setup;
    const pending = {
      state: 'st-1',
      connectorId: 'con_1',
      connectorName: 'zendesk',
      subject: 'company',
      userId: null,
      userEmail: null,
      codeVerifier: 'verifier-1',
      scope: 'tickets:read',
      resourceMetadataUrl: null,
      startedBy: { type: 'system', id: 'csmcp-cli' },
      expiresAt: Date.now() + 600_000,
    };
    await a.savePending(pending);
    const taken = await Promise.all([a.takePending('st-1'), b.takePending('st-1')]);
    expect(taken.filter((t) => t !== null)).toEqual([pending]);

    await a.savePending({ ...pending, state: 'st-2', expiresAt: Date.now() - 1 });
    expect(await b.takePending('st-2')).toBeNull();
  });

  it('re-encrypts values of an old key with the new one (rekey), after which the old key can go', async () => {
    const oldKey = key;
    const newKey = randomBytes(32);
    await setup.a.saveSecret('con_1', 'client_secret', 's3cret');
    await setup.a.saveAuthorizedTokens('con_1', 'company', null, { access_token: 'at' }, null);
    const rotated = ConnectorStateStore.forConfig(setup.config, new TokenCipher({ current: newKey, previous: [oldKey] }));
    const onlyNew = ConnectorStateStore.forConfig(setup.config, new TokenCipher({ current: newKey, previous: [] }));
    try {
      expect(await rotated.secret('con_1', 'client_secret')).toBe('s3cret');
      await expect(onlyNew.secret('con_1', 'client_secret')).rejects.toThrow(/no longer has/);
      expect(await rotated.rekey()).toBe(2);
      expect(await rotated.rekey()).toBe(0);
      expect(await onlyNew.secret('con_1', 'client_secret')).toBe('s3cret');
      expect((await onlyNew.grant('con_1', 'company'))!.tokens).toEqual({ access_token: 'at' });
    } finally {
      await rotated.close();
      await onlyNew.close();
    }
  });
});
