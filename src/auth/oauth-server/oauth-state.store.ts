import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTablesOnce, PostgresReadModelDatabase, SqliteReadModelDatabase, type ReadModelDatabase } from '@csmcp/projections';
import type { AppConfig } from '../../config/config';

/**
 * The built-in authorization server's state, in a SQL database every instance shares: the SQLite file
 * `oauth.db` beside the events (mode 0600), or the PostgreSQL schema of the read models. Holds
 * oidc-provider's models (codes, refresh tokens, grants, DCR clients, sessions, interactions) as JSON
 * by (model, id), the revoked grants the MCP endpoint checks, the signing and cookie keys, and the
 * sign-in failure counters. Codes and refresh tokens are single-use: `consume` is one conditional
 * UPDATE, so of two concurrent redemptions exactly one wins (the database decides, not the process).
 * It is operational state, not business data: each consent is still only here (see the decision record).
 */
export interface StoredModel {
  readonly payload: Record<string, unknown>;
  readonly consumed: boolean;
  /** When it was first consumed (ms), or null. */
  readonly consumedAt: number | null;
}

/** The same tables on SQLite and PostgreSQL. */
const DDL = `
CREATE TABLE IF NOT EXISTS oauth_models (
  model TEXT NOT NULL,
  id TEXT NOT NULL,
  payload TEXT NOT NULL,
  grant_id TEXT,
  uid TEXT,
  expires_at BIGINT,
  consumed_at BIGINT,
  PRIMARY KEY (model, id)
);
CREATE INDEX IF NOT EXISTS oauth_models_grant ON oauth_models (grant_id);
CREATE INDEX IF NOT EXISTS oauth_models_uid ON oauth_models (model, uid);
CREATE TABLE IF NOT EXISTS oauth_revoked_grants (
  grant_id TEXT PRIMARY KEY,
  revoked_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_keys (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_signin_failures (
  account TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  first_failure_at BIGINT NOT NULL,
  locked_until BIGINT
)`;

/** A client registered through Dynamic Client Registration (RFC 7591): its stored metadata (a secret only as a hash). */
export interface DynamicClientRecord {
  readonly clientId: string;
  readonly metadata: Record<string, unknown>;
  /** client_id_issued_at (epoch seconds), or null when the metadata has none. */
  readonly issuedAt: number | null;
}

/** Where a page of dynamic clients starts: after this one (newest first). */
export interface DynamicClientCursor {
  readonly issuedAt: number;
  readonly clientId: string;
}

/** A JSON string field of the payload column, in each dialect's words (the column is TEXT on both). */
function payloadField(db: ReadModelDatabase, field: 'clientId' | 'client_id_issued_at'): string {
  return db.dialect === 'postgres' ? `(payload::jsonb ->> '${field}')` : `json_extract(payload, '$.${field}')`;
}

/**
 * The models a grant issues (oidc-provider's memory adapter calls them grantable): revoking the grant
 * removes these. Other rows may name a grant too without being issued by it: an Interaction started
 * while the browser's session held a grant for the client names that grant, and when another account
 * signs in there (prompt=login) the provider revokes the old grant before resuming that very
 * interaction, so it must survive the revocation.
 */
const ISSUED_BY_GRANT = ['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode'] as const;
const ISSUED_BY_GRANT_SQL = `model IN (${ISSUED_BY_GRANT.map((m) => `'${m}'`).join(', ')})`;

/** What a grant revocation looks like to a resource server check; kept ≤ 1 s per process. */
const REVOKED_CACHE_MS = 1_000;

export class OAuthStateStore {
  private db: ReadModelDatabase | null = null;
  private ready: Promise<void> | null = null;
  private readonly revokedCache = new Map<string, { revoked: boolean; until: number }>();
  /** The clock (ms), replaceable in tests. */
  now: () => number = Date.now;

  /** `open` builds the database on first use, so commands that never touch OAuth never open it. */
  constructor(private readonly open: () => ReadModelDatabase) {}

  static forConfig(config: Pick<AppConfig, 'readModels' | 'dataDir'>): OAuthStateStore {
    return new OAuthStateStore(() => {
      if (config.readModels.kind === 'postgres')
        return new PostgresReadModelDatabase({ connectionString: config.readModels.connectionString, schema: config.readModels.schema, poolSize: 4 });
      if (!existsSync(config.dataDir)) mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      const filename = join(config.dataDir, 'oauth.db');
      const db = new SqliteReadModelDatabase({ filename });
      // Private signing keys live here: readable by csmcp's user only.
      chmodSync(filename, 0o600);
      return db;
    });
  }

  private async database(): Promise<ReadModelDatabase> {
    if (!this.ready) {
      this.db ??= this.open();
      const db = this.db;
      this.ready = createTablesOnce(db, 'csmcp_oauth_state_ddl', DDL).catch((error: unknown) => {
        this.ready = null;
        throw error;
      });
    }
    await this.ready;
    return this.db!;
  }

  async upsert(model: string, id: string, payload: Record<string, unknown>, expiresInSeconds: number | undefined): Promise<void> {
    const db = await this.database();
    const expiresAt = expiresInSeconds ? this.now() + expiresInSeconds * 1000 : null;
    const grantId = typeof payload.grantId === 'string' ? payload.grantId : null;
    const uid = typeof payload.uid === 'string' ? payload.uid : null;
    await db.run(
      `INSERT INTO oauth_models (model, id, payload, grant_id, uid, expires_at, consumed_at) VALUES (?, ?, ?, ?, ?, ?, NULL)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid, expires_at = excluded.expires_at`,
      [model, id, JSON.stringify(payload), grantId, uid, expiresAt],
    );
  }

  async find(model: string, id: string): Promise<StoredModel | undefined> {
    return this.findBy(model, 'id', id);
  }

  async findByUid(model: string, uid: string): Promise<StoredModel | undefined> {
    return this.findBy(model, 'uid', uid);
  }

  private async findBy(model: string, column: 'id' | 'uid', value: string): Promise<StoredModel | undefined> {
    const db = await this.database();
    const row = await db.get<{ payload: string; expires_at: number | string | null; consumed_at: number | string | null; grant_id: string | null }>(
      `SELECT payload, expires_at, consumed_at, grant_id FROM oauth_models WHERE model = ? AND ${column} = ?`,
      [model, value],
    );
    if (!row) return undefined;
    if (row.expires_at !== null && Number(row.expires_at) <= this.now()) return undefined;
    // A code or refresh token of a revoked grant is gone, even if its row was written after the revocation.
    if (row.grant_id !== null && (ISSUED_BY_GRANT as readonly string[]).includes(model) && (await this.grantRevoked(row.grant_id, false))) return undefined;
    const consumedAt = row.consumed_at === null ? null : Number(row.consumed_at);
    return { payload: JSON.parse(row.payload) as Record<string, unknown>, consumed: consumedAt !== null, consumedAt };
  }

  /**
   * Marks it used; false when it was used already (another request won). One conditional UPDATE.
   * With `graceMs`, a second use less than `graceMs` after the first also succeeds (the refresh grace
   * window): the time of the first use stays, so the window never extends.
   */
  async consume(model: string, id: string, graceMs = 0): Promise<boolean> {
    const db = await this.database();
    const now = this.now();
    const { changes } =
      graceMs > 0
        ? await db.run(
            'UPDATE oauth_models SET consumed_at = COALESCE(consumed_at, ?) WHERE model = ? AND id = ? AND (consumed_at IS NULL OR consumed_at > ?)',
            [now, model, id, now - graceMs],
          )
        : await db.run('UPDATE oauth_models SET consumed_at = ? WHERE model = ? AND id = ? AND consumed_at IS NULL', [now, model, id]);
    return changes === 1;
  }

  async destroy(model: string, id: string): Promise<void> {
    const db = await this.database();
    await db.run('DELETE FROM oauth_models WHERE model = ? AND id = ?', [model, id]);
  }

  /**
   * Every code and refresh token the grant issued goes, and its JWT access tokens are refused from now
   * on. A pending interaction that names the grant stays (see ISSUED_BY_GRANT); the Grant row itself
   * goes through the provider's destroy.
   */
  async revokeGrant(grantId: string): Promise<void> {
    const db = await this.database();
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO oauth_revoked_grants (grant_id, revoked_at) VALUES (?, ?) ON CONFLICT (grant_id) DO NOTHING', [grantId, this.now()]);
      await tx.run(`DELETE FROM oauth_models WHERE grant_id = ? AND ${ISSUED_BY_GRANT_SQL}`, [grantId]);
    });
    this.revokedCache.set(grantId, { revoked: true, until: Number.MAX_SAFE_INTEGER });
  }

  /** Whether the grant was revoked (cached ≤ 1 s; a revocation made in another instance shows within that). */
  async grantRevoked(grantId: string, cached = true): Promise<boolean> {
    const hit = this.revokedCache.get(grantId);
    if (cached && hit && hit.until > this.now()) return hit.revoked;
    const db = await this.database();
    const revoked = (await db.get('SELECT 1 AS x FROM oauth_revoked_grants WHERE grant_id = ?', [grantId])) !== undefined;
    if (this.revokedCache.size >= 10_000) this.revokedCache.delete(this.revokedCache.keys().next().value as string);
    this.revokedCache.set(grantId, { revoked, until: revoked ? Number.MAX_SAFE_INTEGER : this.now() + REVOKED_CACHE_MS });
    return revoked;
  }

  /** Dynamically registered clients (oidc-provider's Client rows), newest first, `limit` of them after `after`. */
  async listClients(options: { readonly limit: number; readonly after?: DynamicClientCursor }): Promise<DynamicClientRecord[]> {
    const db = await this.database();
    const issued = db.dialect === 'postgres' ? `COALESCE(${payloadField(db, 'client_id_issued_at')}::bigint, 0)` : `COALESCE(CAST(${payloadField(db, 'client_id_issued_at')} AS INTEGER), 0)`;
    const after = options.after ? `AND (${issued} < ? OR (${issued} = ? AND id > ?))` : '';
    const params = options.after ? [options.after.issuedAt, options.after.issuedAt, options.after.clientId] : [];
    const rows = await db.all<{ id: string; payload: string }>(
      `SELECT id, payload FROM oauth_models WHERE model = 'Client' ${after} ORDER BY ${issued} DESC, id ASC LIMIT ?`,
      [...params, options.limit],
    );
    return rows.map((row) => {
      const metadata = JSON.parse(row.payload) as Record<string, unknown>;
      const issuedAt = typeof metadata.client_id_issued_at === 'number' ? metadata.client_id_issued_at : null;
      return { clientId: row.id, metadata, issuedAt };
    });
  }

  /**
   * Removes a dynamically registered client and everything issued to it: each of its grants is revoked
   * (its codes and refresh tokens go, and the MCP endpoint refuses its access tokens by `gid`), its
   * registration access tokens go, then the client. One transaction. Null when there is no such client.
   */
  async deleteClient(clientId: string): Promise<{ client: DynamicClientRecord; revokedGrants: number } | null> {
    const db = await this.database();
    const now = this.now();
    const result = await db.transaction(async (tx) => {
      const row = await tx.get<{ payload: string }>("SELECT payload FROM oauth_models WHERE model = 'Client' AND id = ?", [clientId]);
      if (!row) return null;
      const ofClient = `${payloadField(db, 'clientId')} = ?`;
      const grants = await tx.all<{ grant_id: string }>(
        `SELECT id AS grant_id FROM oauth_models WHERE model = 'Grant' AND ${ofClient}
         UNION SELECT grant_id FROM oauth_models WHERE grant_id IS NOT NULL AND ${ofClient}`,
        [clientId, clientId],
      );
      for (const { grant_id: grantId } of grants) {
        await tx.run('INSERT INTO oauth_revoked_grants (grant_id, revoked_at) VALUES (?, ?) ON CONFLICT (grant_id) DO NOTHING', [grantId, now]);
        await tx.run("DELETE FROM oauth_models WHERE grant_id = ? OR (model = 'Grant' AND id = ?)", [grantId, grantId]);
      }
      // Registration access tokens and anything else issued to it.
      await tx.run(`DELETE FROM oauth_models WHERE ${ofClient}`, [clientId]);
      await tx.run("DELETE FROM oauth_models WHERE model = 'Client' AND id = ?", [clientId]);
      const metadata = JSON.parse(row.payload) as Record<string, unknown>;
      const issuedAt = typeof metadata.client_id_issued_at === 'number' ? metadata.client_id_issued_at : null;
      return { client: { clientId, metadata, issuedAt }, grantIds: grants.map((g) => g.grant_id) };
    });
    if (!result) return null;
    for (const grantId of result.grantIds) this.revokedCache.set(grantId, { revoked: true, until: Number.MAX_SAFE_INTEGER });
    return { client: result.client, revokedGrants: result.grantIds.length };
  }

  /** The value stored under `name`, creating it with `create()` if there is none; every instance gets the first one written. */
  async keyValue(name: string, create: () => Promise<string>): Promise<string> {
    const db = await this.database();
    const existing = await db.get<{ value: string }>('SELECT value FROM oauth_keys WHERE name = ?', [name]);
    if (existing) return existing.value;
    const value = await create();
    await db.run('INSERT INTO oauth_keys (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING', [name, value, this.now()]);
    const row = await db.get<{ value: string }>('SELECT value FROM oauth_keys WHERE name = ?', [name]);
    return row!.value;
  }

  /** The values stored under these names, for the names that have one. */
  async keyValues(names: readonly string[]): Promise<Map<string, string>> {
    if (names.length === 0) return new Map();
    const db = await this.database();
    const rows = await db.all<{ name: string; value: string }>(`SELECT name, value FROM oauth_keys WHERE name IN (${names.map(() => '?').join(', ')})`, [...names]);
    return new Map(rows.map((row) => [row.name, row.value]));
  }

  /** Removes what is stored under these names (e.g. a retired signing key's private half); how many there were. */
  async deleteKeyValues(names: readonly string[]): Promise<number> {
    if (names.length === 0) return 0;
    const db = await this.database();
    return (await db.run(`DELETE FROM oauth_keys WHERE name IN (${names.map(() => '?').join(', ')})`, [...names])).changes;
  }

  /** Sign-in lockout: when the account is locked until (ms), or null. */
  async lockedUntil(account: string): Promise<number | null> {
    const db = await this.database();
    const row = await db.get<{ locked_until: number | string | null }>('SELECT locked_until FROM oauth_signin_failures WHERE account = ?', [account]);
    const until = row?.locked_until == null ? null : Number(row.locked_until);
    return until !== null && until > this.now() ? until : null;
  }

  /** Counts a failed sign-in; after `max` within `windowMs` the account is locked for `lockMs`. */
  async recordFailure(account: string, max: number, windowMs: number, lockMs: number): Promise<void> {
    const db = await this.database();
    const now = this.now();
    await db.transaction(async (tx) => {
      // PostgreSQL (READ COMMITTED) would let parallel failures of one account read the same count and
      // lose all but one; SQLite transactions already take turns (BEGIN IMMEDIATE).
      if (tx.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(hashtext(?)) AS locked', [`csmcp_oauth_signin:${account}`]);
      const row = await tx.get<{ failures: number; first_failure_at: number | string; locked_until: number | string | null }>(
        'SELECT failures, first_failure_at, locked_until FROM oauth_signin_failures WHERE account = ?',
        [account],
      );
      const fresh = !row || Number(row.first_failure_at) + windowMs <= now;
      const failures = fresh ? 1 : Number(row.failures) + 1;
      const first = fresh ? now : Number(row.first_failure_at);
      // A failure that passed the lock check just before another one set the lock must not lift it.
      const stillLocked = row?.locked_until != null && Number(row.locked_until) > now ? Number(row.locked_until) : null;
      const lockedUntil = failures >= max ? now + lockMs : stillLocked;
      await tx.run(
        `INSERT INTO oauth_signin_failures (account, failures, first_failure_at, locked_until) VALUES (?, ?, ?, ?)
         ON CONFLICT (account) DO UPDATE SET failures = excluded.failures, first_failure_at = excluded.first_failure_at, locked_until = excluded.locked_until`,
        [account, failures >= max ? 0 : failures, failures >= max ? now : first, lockedUntil],
      );
    });
  }

  async clearFailures(account: string): Promise<void> {
    const db = await this.database();
    await db.run('DELETE FROM oauth_signin_failures WHERE account = ?', [account]);
  }

  /**
   * Drops what can no longer be used: codes, tokens, grants, sessions and interactions past their
   * expiry, and sign-in failure counts whose window (`failureWindowMs`, the longest one counted) has
   * passed and whose lock, if any, has ended. DCR clients (no expiry) and revoked grants stay.
   */
  async sweep(options: { readonly failureWindowMs: number }): Promise<{ models: number; signinFailures: number }> {
    const db = await this.database();
    const now = this.now();
    const models = await db.run('DELETE FROM oauth_models WHERE expires_at IS NOT NULL AND expires_at <= ?', [now]);
    const failures = await db.run('DELETE FROM oauth_signin_failures WHERE first_failure_at <= ? AND (locked_until IS NULL OR locked_until <= ?)', [
      now - options.failureWindowMs,
      now,
    ]);
    return { models: models.changes, signinFailures: failures.changes };
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  async close(): Promise<void> {
    if (!this.db) return;
    await this.ready?.catch(() => undefined);
    await this.db.close();
    this.db = null;
    this.ready = null;
  }
}
