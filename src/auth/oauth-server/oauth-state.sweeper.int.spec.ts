import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATABASE_URL, dropSchema, freshSchemaName } from '../../../libs/projections/test/support/postgres';
import { OAuthStateStore } from './oauth-state.store';
import { OAUTH_SWEEP_INTERVAL_MS, OAuthStateSweeper, type SweepTimers } from './oauth-state.sweeper';

/**
 * The sweep of expired OAuth state, on SQLite and PostgreSQL, with an injected clock (store.now) and
 * injected timers: nothing here waits on wall time.
 */
describe.each(['sqlite', 'postgres'] as const)('OAuth state sweep (%s)', (kind) => {
  const WINDOW = 15 * 60_000;
  let dir: string;
  let schema: string;
  let store: OAuthStateStore;
  let now: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'csmcp-oauth-sweep-'));
    schema = freshSchemaName('oauth_sweep');
    store = OAuthStateStore.forConfig({
      dataDir: join(dir, 'data'),
      readModels:
        kind === 'sqlite'
          ? { kind: 'sqlite' as const, filename: join(dir, 'data', 'read-models.db') }
          : { kind: 'postgres' as const, connectionString: DATABASE_URL, schema },
    });
    now = 50_000_000;
    store.now = () => now;
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    if (kind === 'postgres') await dropSchema(schema);
  });

  it('drops codes, tokens, sessions and interactions past their expiry, and keeps the rest', async () => {
    await store.upsert('AuthorizationCode', 'code-old', { grantId: 'g1' }, 60);
    await store.upsert('Interaction', 'i-old', { uid: 'i-old' }, 600);
    await store.upsert('Session', 's-old', { uid: 's-old' }, 3600);
    await store.upsert('RefreshToken', 'rt-live', { grantId: 'g1' }, 30 * 24 * 3600);
    await store.upsert('Client', 'dcr-1', { client_id: 'dcr-1' }, 0);
    await store.consume('AuthorizationCode', 'code-old');
    now += 3600_000;
    await store.upsert('AuthorizationCode', 'code-new', { grantId: 'g2' }, 60);

    expect(await store.sweep({ failureWindowMs: WINDOW })).toEqual({ models: 3, signinFailures: 0 });
    // Gone from the table, not merely unreadable: set the clock back and they are still not there.
    now -= 3600_000;
    expect(await store.find('AuthorizationCode', 'code-old')).toBeUndefined();
    expect(await store.find('Interaction', 'i-old')).toBeUndefined();
    expect(await store.findByUid('Session', 's-old')).toBeUndefined();
    now += 3600_000;
    expect(await store.find('RefreshToken', 'rt-live')).toBeDefined();
    expect(await store.find('Client', 'dcr-1')).toBeDefined();
    expect(await store.find('AuthorizationCode', 'code-new')).toBeDefined();
    expect(await store.sweep({ failureWindowMs: WINDOW })).toEqual({ models: 0, signinFailures: 0 });
  });

  it('drops sign-in failure counts past their window, but never a lock that still holds', async () => {
    await store.recordFailure('email:stale@example.com', 5, WINDOW, WINDOW);
    for (let i = 0; i < 5; i++) await store.recordFailure('email:locked@example.com', 5, WINDOW, 2 * WINDOW);
    now += WINDOW - 1;
    await store.recordFailure('email:recent@example.com', 5, WINDOW, WINDOW);
    expect(await store.sweep({ failureWindowMs: WINDOW })).toEqual({ models: 0, signinFailures: 0 });

    now += 1;
    expect(await store.sweep({ failureWindowMs: WINDOW })).toEqual({ models: 0, signinFailures: 1 });
    // The lock outlives the window: it stays until it ends, then goes.
    expect(await store.lockedUntil('email:locked@example.com')).not.toBeNull();
    now += WINDOW;
    expect(await store.sweep({ failureWindowMs: WINDOW })).toEqual({ models: 0, signinFailures: 2 });
    expect(await store.lockedUntil('email:locked@example.com')).toBeNull();
    // A count swept away starts again from one: four more failures do not lock.
    for (let i = 0; i < 4; i++) await store.recordFailure('email:stale@example.com', 5, WINDOW, WINDOW);
    expect(await store.lockedUntil('email:stale@example.com')).toBeNull();
  });

  it('sweeps on an unref’d timer while started, and not after stop', async () => {
    let tick: (() => void) | null = null;
    const unref = jest.fn();
    const timers: SweepTimers = {
      setInterval: (run, ms) => {
        expect(ms).toBe(OAUTH_SWEEP_INTERVAL_MS);
        tick = run;
        return { unref };
      },
      clearInterval: () => {
        tick = null;
      },
    };
    const errors: unknown[] = [];
    const sweeper = new OAuthStateSweeper(store, { failureWindowMs: WINDOW, timers, onError: (e) => errors.push(e) });
    sweeper.start();
    expect(unref).toHaveBeenCalledTimes(1);

    await store.upsert('AuthorizationCode', 'c1', {}, 60);
    now += 61_000;
    tick!();
    await sweeper.sweepNow(); // the sweep the tick started
    now -= 61_000;
    expect(await store.find('AuthorizationCode', 'c1')).toBeUndefined();

    await sweeper.stop();
    expect(tick).toBeNull();
    expect(errors).toEqual([]);
  });

  it('reports a failed sweep and carries on', async () => {
    const failing = { sweep: jest.fn().mockRejectedValueOnce(new Error('database down')).mockResolvedValue({ models: 0, signinFailures: 0 }) };
    const errors: unknown[] = [];
    const sweeper = new OAuthStateSweeper(failing, { failureWindowMs: WINDOW, onError: (e) => errors.push(e) });
    await sweeper.sweepNow();
    await sweeper.sweepNow();
    expect(errors).toEqual([new Error('database down')]);
    expect(failing.sweep).toHaveBeenCalledTimes(2);
    expect(failing.sweep).toHaveBeenCalledWith({ failureWindowMs: WINDOW });
  });
});
