import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATABASE_URL, dropSchema, freshSchemaName } from '../../../libs/projections/test/support/postgres';
import { adapterFor, storedModelId } from './adapter';
import { OAuthStateStore } from './oauth-state.store';

/**
 * The built-in authorization server's state on SQLite (the file `oauth.db` csmcp uses without
 * DATABASE_URL) and on PostgreSQL (the read models' schema; a fresh one per test, dropped after).
 */
describe.each(['sqlite', 'postgres'] as const)('OAuthStateStore (%s)', (kind) => {
  let dir: string;
  let schema: string;
  let store: OAuthStateStore;
  const config = () => ({
    dataDir: join(dir, 'data'),
    readModels:
      kind === 'sqlite'
        ? { kind: 'sqlite' as const, filename: join(dir, 'data', 'read-models.db') }
        : { kind: 'postgres' as const, connectionString: DATABASE_URL, schema },
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'csmcp-oauth-state-'));
    schema = freshSchemaName('oauth_state');
    store = OAuthStateStore.forConfig(config());
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    if (kind === 'postgres') await dropSchema(schema);
  });

  it('lets exactly one of many concurrent consumes win', async () => {
    await store.upsert('AuthorizationCode', 'code-1', { grantId: 'g1', kind: 'AuthorizationCode' }, 60);
    const results = await Promise.all(Array.from({ length: 5 }, () => store.consume('AuthorizationCode', 'code-1')));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.find('AuthorizationCode', 'code-1')).toEqual({ payload: { grantId: 'g1', kind: 'AuthorizationCode' }, consumed: true, consumedAt: expect.any(Number) });
  });

  it('lets exactly one consume win across instances (two processes sharing the database)', async () => {
    const other = OAuthStateStore.forConfig(config());
    try {
      for (let i = 0; i < 10; i++) {
        await store.upsert('RefreshToken', `rt-${i}`, { grantId: 'g1' }, 60);
        const results = await Promise.all([store, other, store, other].map((s) => s.consume('RefreshToken', `rt-${i}`)));
        expect(results.filter(Boolean)).toHaveLength(1);
      }
    } finally {
      await other.close();
    }
  });

  it('accepts a refresh token again within the grace window only, measured from its first use (adapter)', async () => {
    let now = 9_000_000;
    store.now = () => now;
    const Adapter = adapterFor(store, () => new Error('invalid_grant'), undefined, { refreshGraceMs: 2_000 });
    const refresh = new Adapter('RefreshToken');
    const code = new Adapter('AuthorizationCode');
    await refresh.upsert('rt-1', { grantId: 'g1' }, 60);
    await code.upsert('code-1', { grantId: 'g1' }, 60);

    await refresh.consume('rt-1');
    now += 1_999;
    expect(await refresh.find('rt-1')).toEqual({ grantId: 'g1' });
    // In parallel too: every use within the window wins.
    await Promise.all([refresh.consume('rt-1'), refresh.consume('rt-1')]);
    // The window runs from the first use: the uses inside it did not extend it.
    now += 1;
    expect(await refresh.find('rt-1')).toEqual({ grantId: 'g1', consumed: true });
    await expect(refresh.consume('rt-1')).rejects.toThrow('invalid_grant');

    // Codes have no grace window.
    await code.consume('code-1');
    expect(await code.find('code-1')).toEqual({ grantId: 'g1', consumed: true });
    await expect(code.consume('code-1')).rejects.toThrow('invalid_grant');
  });

  it('stores tokens and codes under a hash of their value, with no jti, and still finds rows stored before (adapter)', async () => {
    const Adapter = adapterFor(store, () => new Error('invalid_grant'));
    const refresh = new Adapter('RefreshToken');
    const secret = 'refresh-token-value-0123456789abcdef';
    await refresh.upsert(secret, { jti: secret, grantId: 'g1', kind: 'RefreshToken' }, 60);
    expect(await store.find('RefreshToken', secret)).toBeUndefined();
    const stored = await store.find('RefreshToken', storedModelId('RefreshToken', secret));
    expect(stored?.payload).toEqual({ jti: null, grantId: 'g1', kind: 'RefreshToken' });
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(await refresh.find(secret)).toEqual({ jti: secret, grantId: 'g1', kind: 'RefreshToken' });
    await refresh.consume(secret);
    expect(await refresh.find(secret)).toMatchObject({ consumed: true });
    await expect(refresh.consume(secret)).rejects.toThrow('invalid_grant');
    // A row written under the plain value before hashing: found, consumed once, destroyed.
    await store.upsert('RefreshToken', 'old-plain-token', { jti: 'old-plain-token', grantId: 'g1' }, 60);
    expect(await refresh.find('old-plain-token')).toEqual({ jti: 'old-plain-token', grantId: 'g1' });
    await refresh.consume('old-plain-token');
    await expect(refresh.consume('old-plain-token')).rejects.toThrow('invalid_grant');
    await refresh.destroy('old-plain-token');
    expect(await refresh.find('old-plain-token')).toBeUndefined();
    // Other models keep their ids (a grant id is no credential).
    expect(storedModelId('Grant', 'g1')).toBe('g1');
  });

  it('forgets expired entries and everything of a revoked grant', async () => {
    let now = 1_000_000;
    store.now = () => now;
    await store.upsert('RefreshToken', 'rt-1', { grantId: 'g1' }, 60);
    await store.upsert('RefreshToken', 'rt-2', { grantId: 'g2' }, 60);
    await store.upsert('Session', 's-1', { uid: 'u-1' }, 10);
    expect(await store.findByUid('Session', 'u-1')).toBeDefined();
    now += 10_000;
    expect(await store.findByUid('Session', 'u-1')).toBeUndefined();
    expect(await store.grantRevoked('g1')).toBe(false);
    await store.revokeGrant('g1');
    expect(await store.find('RefreshToken', 'rt-1')).toBeUndefined();
    expect(await store.find('RefreshToken', 'rt-2')).toBeDefined();
    expect(await store.grantRevoked('g1')).toBe(true);
    // A token of a revoked grant written afterwards is not found either.
    await store.upsert('RefreshToken', 'rt-3', { grantId: 'g1' }, 60);
    expect(await store.find('RefreshToken', 'rt-3')).toBeUndefined();
  });

  it("revokes what a grant issued but keeps a pending interaction that names it (an account switch's sign-in)", async () => {
    // The browser's session holds g1 (the first user's grant for this client); a new authorization
    // request with prompt=login names g1 in its interaction. Signing in as someone else logs the first
    // user out, which revokes g1: the sign-in must still find its interaction to finish.
    await store.upsert('Grant', 'g1', { accountId: 'ann', clientId: 'c1' }, 600);
    await store.upsert('AuthorizationCode', 'code-1', { grantId: 'g1', clientId: 'c1' }, 60);
    await store.upsert('RefreshToken', 'rt-1', { grantId: 'g1', clientId: 'c1' }, 600);
    await store.upsert('AccessToken', 'at-1', { grantId: 'g1', clientId: 'c1' }, 60);
    await store.upsert('Interaction', 'i-1', { uid: 'i-1', grantId: 'g1', params: { client_id: 'c1', prompt: 'login' } }, 600);
    await store.upsert('Session', 's-1', { uid: 'u-1', accountId: 'ann', authorizations: { c1: { grantId: 'g1' } } }, 600);

    await store.revokeGrant('g1');

    for (const [model, id] of [['AuthorizationCode', 'code-1'], ['RefreshToken', 'rt-1'], ['AccessToken', 'at-1']]) expect(await store.find(model, id)).toBeUndefined();
    expect(await store.grantRevoked('g1')).toBe(true);
    expect(await store.find('Interaction', 'i-1')).toEqual({
      payload: { uid: 'i-1', grantId: 'g1', params: { client_id: 'c1', prompt: 'login' } },
      consumed: false,
      consumedAt: null,
    });
    // The interaction saved again afterwards (oidc-provider drops the old session's uid from it) is found too.
    await store.upsert('Interaction', 'i-1', { uid: 'i-1', grantId: 'g1', params: { client_id: 'c1', prompt: 'login' }, lastSubmission: { login: { accountId: 'bob' } } }, 600);
    expect(await store.find('Interaction', 'i-1')).toMatchObject({ payload: { lastSubmission: { login: { accountId: 'bob' } } } });
    expect(await store.findByUid('Session', 'u-1')).toBeDefined();
    // A code issued under the revoked grant later is still refused.
    await store.upsert('AuthorizationCode', 'code-2', { grantId: 'g1', clientId: 'c1' }, 60);
    expect(await store.find('AuthorizationCode', 'code-2')).toBeUndefined();
  });

  it('shows a revocation made by another instance', async () => {
    const other = OAuthStateStore.forConfig(config());
    try {
      await store.upsert('Grant', 'g9', { accountId: 'u' }, 60);
      expect(await other.grantRevoked('g9', false)).toBe(false);
      await store.revokeGrant('g9');
      expect(await other.grantRevoked('g9', false)).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('lists dynamically registered clients newest first, a page at a time', async () => {
    for (const [id, issued] of [['c-a', 100], ['c-b', 300], ['c-c', 200], ['c-d', 300]] as const)
      await store.upsert('Client', id, { client_id: id, client_name: `Client ${id}`, client_id_issued_at: issued }, undefined);
    await store.upsert('Grant', 'g-x', { clientId: 'c-a' }, 60);
    const first = await store.listClients({ limit: 3 });
    expect(first.map((c) => [c.clientId, c.issuedAt])).toEqual([['c-b', 300], ['c-d', 300], ['c-c', 200]]);
    expect(first[0].metadata).toEqual({ client_id: 'c-b', client_name: 'Client c-b', client_id_issued_at: 300 });
    const last = first[first.length - 1];
    const rest = await store.listClients({ limit: 3, after: { issuedAt: last.issuedAt!, clientId: last.clientId } });
    expect(rest.map((c) => c.clientId)).toEqual(['c-a']);
  });

  it('deletes a dynamically registered client with its grants, tokens and registration access tokens, in every instance', async () => {
    const other = OAuthStateStore.forConfig(config());
    try {
      await store.upsert('Client', 'c-1', { client_id: 'c-1', client_id_issued_at: 1 }, undefined);
      await store.upsert('Client', 'c-2', { client_id: 'c-2', client_id_issued_at: 2 }, undefined);
      await store.upsert('Grant', 'g-1', { clientId: 'c-1', accountId: 'u' }, 600);
      await store.upsert('Grant', 'g-2', { clientId: 'c-2', accountId: 'u' }, 600);
      await store.upsert('RefreshToken', 'rt-1', { clientId: 'c-1', grantId: 'g-1' }, 600);
      // A refresh token whose Grant row is already gone still names its grant: revoked too.
      await store.upsert('RefreshToken', 'rt-orphan', { clientId: 'c-1', grantId: 'g-old' }, 600);
      await store.upsert('RefreshToken', 'rt-2', { clientId: 'c-2', grantId: 'g-2' }, 600);
      await store.upsert('RegistrationAccessToken', 'rat-1', { clientId: 'c-1' }, undefined);
      expect(await other.grantRevoked('g-1')).toBe(false);

      const deleted = await store.deleteClient('c-1');
      expect(deleted).toEqual({ client: { clientId: 'c-1', metadata: { client_id: 'c-1', client_id_issued_at: 1 }, issuedAt: 1 }, revokedGrants: 2 });
      for (const [model, id] of [['Client', 'c-1'], ['Grant', 'g-1'], ['RefreshToken', 'rt-1'], ['RefreshToken', 'rt-orphan'], ['RegistrationAccessToken', 'rat-1']])
        expect(await store.find(model, id)).toBeUndefined();
      expect(await store.grantRevoked('g-1')).toBe(true);
      expect(await store.grantRevoked('g-old')).toBe(true);
      expect(await other.grantRevoked('g-1', false)).toBe(true);
      // The other client is untouched.
      expect(await store.find('RefreshToken', 'rt-2')).toBeDefined();
      expect(await store.grantRevoked('g-2')).toBe(false);
      expect((await store.listClients({ limit: 10 })).map((c) => c.clientId)).toEqual(['c-2']);
      expect(await store.deleteClient('c-1')).toBeNull();
    } finally {
      await other.close();
    }
  });

  it('locks an account after repeated failures, and a success clears the count', async () => {
    let now = 5_000_000;
    store.now = () => now;
    for (let i = 0; i < 4; i++) await store.recordFailure('email:a@example.com', 5, 60_000, 300_000);
    expect(await store.lockedUntil('email:a@example.com')).toBeNull();
    await store.recordFailure('email:a@example.com', 5, 60_000, 300_000);
    expect(await store.lockedUntil('email:a@example.com')).toBe(now + 300_000);
    expect(await store.lockedUntil('email:b@example.com')).toBeNull();
    now += 300_001;
    expect(await store.lockedUntil('email:a@example.com')).toBeNull();
    await store.recordFailure('email:a@example.com', 5, 60_000, 300_000);
    await store.clearFailures('email:a@example.com');
    for (let i = 0; i < 4; i++) await store.recordFailure('email:a@example.com', 5, 60_000, 300_000);
    expect(await store.lockedUntil('email:a@example.com')).toBeNull();
  });

  it('counts every one of parallel failures, and a failure after the lock does not lift it', async () => {
    const now = 7_000_000;
    store.now = () => now;
    const other = OAuthStateStore.forConfig(config());
    other.now = () => now;
    try {
      await Promise.all(Array.from({ length: 5 }, (_, i) => (i % 2 ? other : store).recordFailure('email:p@example.com', 5, 60_000, 300_000)));
      expect(await store.lockedUntil('email:p@example.com')).toBe(now + 300_000);
      // Requests that passed the lock check before the lock was set still fail afterwards.
      await Promise.all(Array.from({ length: 3 }, () => other.recordFailure('email:p@example.com', 5, 60_000, 300_000)));
      expect(await store.lockedUntil('email:p@example.com')).toBe(now + 300_000);
    } finally {
      await other.close();
    }
  });
});
