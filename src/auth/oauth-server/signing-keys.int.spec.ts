import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import type { EventStore } from '@csmcp/event-store';
import { PostgresEventStore } from '@csmcp/event-store/postgres/postgres-event-store';
import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { DATABASE_URL, dropSchema, freshSchemaName } from '../../../libs/projections/test/support/postgres';
import { CLI_ACTOR, type AdminContext } from '../../customer-success/companies/commands/admin-context';
import { OAuthStateStore } from './oauth-state.store';
import { SIGNING_KEYS_STREAM, signingKeyName } from './signing-key.events';
import { KEY_LIFECYCLE_ACTOR, KEY_SET_MAX_AGE_MS, MIN_PREVIOUS_KEY_MS, SigningKeys, UNKNOWN_KID_REFRESH_MS } from './signing-keys';

/**
 * The signing key ring on SQLite (events.db + oauth.db, as csmcp runs embedded) and on PostgreSQL
 * (events and OAuth state in one fresh schema per test): two "instances" are two rings, each with its
 * own event store and state store connection on the same databases, and a clock of the test's.
 */
describe.each(['sqlite', 'postgres'] as const)('SigningKeys (%s)', (kind) => {
  let dir: string;
  let schema: string;
  let now: number;
  const opened: Array<{ events: EventStore; state: OAuthStateStore }> = [];
  const admin: AdminContext = { actor: { type: 'user', id: 'u-admin', email: 'ada@example.com' }, toolName: 'oauth keys rotate' };

  function instance(retireAfterMs: number | null = null): { keys: SigningKeys; events: EventStore; state: OAuthStateStore } {
    const events: EventStore =
      kind === 'sqlite' ? new SqliteEventStore({ filename: join(dir, 'data', 'events.db') }) : new PostgresEventStore({ connectionString: DATABASE_URL, schema });
    const state = OAuthStateStore.forConfig({
      dataDir: join(dir, 'data'),
      readModels: kind === 'sqlite' ? { kind: 'sqlite', filename: join(dir, 'data', 'read-models.db') } : { kind: 'postgres', connectionString: DATABASE_URL, schema },
    });
    opened.push({ events, state });
    return { keys: new SigningKeys(events, state, { retireAfterMs, now: () => now }), events, state };
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'csmcp-signing-keys-'));
    schema = freshSchemaName('signing_keys');
    now = Date.parse('2026-03-01T09:00:00.000Z');
    // The SQLite event store wants its directory.
    mkdirSync(join(dir, 'data'), { mode: 0o700 });
  });
  afterEach(async () => {
    for (const { events, state } of opened.splice(0)) {
      await state.close();
      await events.close();
    }
    rmSync(dir, { recursive: true, force: true });
    if (kind === 'postgres') await dropSchema(schema);
  });

  const typesOf = async (events: EventStore) => (await events.readStream(SIGNING_KEYS_STREAM)).map((e) => e.type);

  it('creates one key on first use, however many instances ask at once, and keeps only its public half outside the state database', async () => {
    const a = instance();
    const b = instance();
    const [ka, kb] = await Promise.all([a.keys.current(), b.keys.current()]);
    expect(ka.signingKid).toBe(kb.signingKid);
    expect(ka.privateJwks).toEqual(kb.privateJwks);
    expect(ka.cookieKeys).toEqual(kb.cookieKeys);
    expect(ka.privateJwks.keys).toHaveLength(1);
    expect(ka.privateJwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: ka.signingKid, d: expect.any(String) });
    expect(ka.publicJwks.keys).toEqual([{ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: ka.signingKid, alg: 'ES256', use: 'sig' }]);

    const recorded = await a.events.readStream(SIGNING_KEYS_STREAM);
    expect(recorded.map((e) => e.type)).toEqual(['SigningKeyCreated']);
    expect(recorded[0].data).toEqual({
      kid: ka.signingKid,
      alg: 'ES256',
      origin: 'generated',
      createdAt: '2026-03-01T09:00:00.000Z',
      createdBy: { type: 'system', id: KEY_LIFECYCLE_ACTOR.id, email: null },
    });
    expect(recorded[0].metadata.actor).toEqual(KEY_LIFECYCLE_ACTOR);
    // The private half is in the event log nowhere.
    expect(JSON.stringify(recorded)).not.toContain(ka.privateJwks.keys[0].d);
    // A key the losing instance generated for nothing is not left behind.
    const stored = await a.state.keyValues([signingKeyName(ka.signingKid)]);
    expect(stored.size).toBe(1);
    if (kind === 'sqlite') expect(statSync(join(dir, 'data', 'oauth.db')).mode & 0o777).toBe(0o600);
  });

  it('takes over the key csmcp signed with before keys rotated, so its tokens stay valid, and forgets the old entry', async () => {
    const a = instance();
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const legacy = { ...(await exportJWK(privateKey)), kid: 'es256-legacy0000000001', alg: 'ES256', use: 'sig' };
    await a.state.keyValue('signing-jwks', async () => JSON.stringify({ keys: [legacy] }));

    const keys = await a.keys.current();
    expect(keys.signingKid).toBe('es256-legacy0000000001');
    expect(keys.privateJwks.keys).toEqual([legacy]);
    expect((await a.events.readStream(SIGNING_KEYS_STREAM))[0].data).toMatchObject({ kid: legacy.kid, origin: 'imported' });
    expect((await a.state.keyValues(['signing-jwks'])).size).toBe(0);
    expect(await instance().keys.list()).toEqual([expect.objectContaining({ kid: legacy.kid, status: 'active', origin: 'imported' })]);
  });

  it('rotates: the new key signs, the old one stays published, another instance sees it within the cache age or at once for an unknown kid', async () => {
    const server = instance();
    const cli = instance();
    const first = await server.keys.current();

    const { active, previous } = await cli.keys.rotate(admin);
    expect(previous).toMatchObject({ kid: first.signingKid, status: 'previous', rotatedOutAt: '2026-03-01T09:00:00.000Z' });
    expect(active).toMatchObject({ status: 'active', origin: 'rotation', createdBy: { type: 'user', id: 'u-admin', email: 'ada@example.com' } });
    expect(active.kid).not.toBe(first.signingKid);
    const rotated = (await cli.events.readStream(SIGNING_KEYS_STREAM))[1];
    expect(rotated).toMatchObject({ type: 'SigningKeyRotated', data: { kid: active.kid, previousKid: first.signingKid, reason: 'rotation' } });
    expect(rotated.metadata).toMatchObject({ actor: admin.actor, toolName: 'oauth keys rotate' });

    // The server still has the old set…
    expect((await server.keys.current()).signingKid).toBe(first.signingKid);
    // …but a token naming the new kid makes it read again (once a second at most)…
    now += UNKNOWN_KID_REFRESH_MS;
    const jwks = await server.keys.publicJwks(active.kid);
    expect(jwks.keys.map((k) => k.kid)).toEqual([active.kid, first.signingKid]);
    // …and from then on it signs with the new key, the active one first.
    const after = await server.keys.current();
    expect(after.signingKid).toBe(active.kid);
    expect(after.privateJwks.keys.map((k) => k.kid)).toEqual([active.kid, first.signingKid]);
    expect(after.version).toBeGreaterThan(first.version);

    // Another instance that saw no token picks it up after KEY_SET_MAX_AGE_MS.
    const other = instance();
    await other.keys.current();
    await cli.keys.rotate(admin);
    expect((await other.keys.current()).privateJwks.keys).toHaveLength(2);
    now += KEY_SET_MAX_AGE_MS;
    expect((await other.keys.current()).privateJwks.keys).toHaveLength(3);
  });

  it('retire-old waits until the previous key’s tokens have expired, --now does not; a retired key is gone from the JWKS and the state database', async () => {
    const server = instance();
    const first = await server.keys.current();
    const { active } = await server.keys.rotate(admin);

    now += MIN_PREVIOUS_KEY_MS - 1;
    const early = await server.keys.retireOld(admin);
    expect(early.retired).toEqual([]);
    expect(early.waiting).toEqual([
      expect.objectContaining({ kid: first.signingKid, status: 'previous', retirableAt: new Date(Date.parse('2026-03-01T09:00:00.000Z') + MIN_PREVIOUS_KEY_MS).toISOString() }),
    ]);
    expect(await typesOf(server.events)).toEqual(['SigningKeyCreated', 'SigningKeyRotated']);

    now += 1;
    const done = await server.keys.retireOld(admin);
    expect(done.retired).toEqual([expect.objectContaining({ kid: first.signingKid, status: 'retired', retireReason: 'retire_old', retiredBy: { type: 'user', id: 'u-admin', email: 'ada@example.com' } })]);
    expect(done.waiting).toEqual([]);
    expect((await server.keys.current()).publicJwks.keys.map((k) => k.kid)).toEqual([active.kid]);
    expect((await server.state.keyValues([signingKeyName(first.signingKid)])).size).toBe(0);

    // --now: a key rotated out a moment ago goes at once.
    await server.keys.rotate(admin);
    const immediate = await server.keys.retireOld(admin, { immediately: true });
    expect(immediate.retired).toEqual([expect.objectContaining({ kid: active.kid, retireReason: 'immediate' })]);
    expect((await server.keys.retireOld(admin)).retired).toEqual([]);
    expect(await typesOf(server.events)).toEqual(['SigningKeyCreated', 'SigningKeyRotated', 'SigningKeyRetired', 'SigningKeyRotated', 'SigningKeyRetired']);
  });

  it('retires a previous key automatically once OAUTH_SIGNING_KEY_RETIRE_AFTER has passed, recorded once whichever instance sees it first', async () => {
    const retireAfterMs = 31 * 60_000;
    const a = instance(retireAfterMs);
    const b = instance(retireAfterMs);
    const first = await a.keys.current();
    await a.keys.rotate(admin);
    expect((await b.keys.list()).map((k) => [k.status, k.retiresAt])).toEqual([
      ['previous', new Date(now + retireAfterMs).toISOString()],
      ['active', null],
    ]);

    now += retireAfterMs;
    const [ka, kb] = await Promise.all([a.keys.current(), b.keys.current()]);
    expect(ka.publicJwks.keys.map((k) => k.kid)).not.toContain(first.signingKid);
    expect(kb.publicJwks.keys.map((k) => k.kid)).not.toContain(first.signingKid);
    const retired = (await a.events.readStream(SIGNING_KEYS_STREAM)).filter((e) => e.type === 'SigningKeyRetired');
    expect(retired).toHaveLength(1);
    expect(retired[0].data).toMatchObject({ kid: first.signingKid, reason: 'automatic', retiredBy: { type: 'system', id: KEY_LIFECYCLE_ACTOR.id } });
  });

  it('replaces an active key whose private half is gone, and records why', async () => {
    const a = instance();
    const lost = await a.keys.current();
    await a.state.deleteKeyValues([signingKeyName(lost.signingKid)]);
    const b = instance();
    const replaced = await b.keys.current();
    expect(replaced.signingKid).not.toBe(lost.signingKid);
    expect(replaced.publicJwks.keys.map((k) => k.kid)).toEqual([replaced.signingKid]);
    const recorded = await b.events.readStream(SIGNING_KEYS_STREAM);
    expect(recorded.slice(1).map((e) => [e.type, e.data.kid, e.data.reason])).toEqual([
      ['SigningKeyRotated', replaced.signingKid, 'active_key_missing'],
      ['SigningKeyRetired', lost.signingKid, 'key_missing'],
    ]);
  });

  it('lists every key with its status and never private material', async () => {
    const a = instance(24 * 3_600_000);
    await a.keys.current();
    await a.keys.rotate({ actor: CLI_ACTOR, toolName: 'oauth keys rotate' });
    const listed = await a.keys.list();
    expect(listed.map((k) => k.status)).toEqual(['previous', 'active']);
    expect(listed[1].createdBy).toEqual({ type: 'system', id: 'csmcp-cli', email: null });
    const text = JSON.stringify(listed);
    for (const jwk of (await a.keys.current()).privateJwks.keys) expect(text).not.toContain(jwk.d);
    expect(text).not.toMatch(/"d"|"x"|"y"/);
  });
});
