import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTablesOnce, PostgresReadModelDatabase, SqliteReadModelDatabase, type ReadModelDatabase, type SqlExecutor } from '@csmcp/projections';
import type { AppConfig } from '../../config/config';
import type { TokenCipher } from '../secrets/token-cipher';

/**
 * What csmcp keeps for its outbound connectors, in a SQL database every instance shares: the SQLite
 * file `connectors.db` beside the events (mode 0600), or the PostgreSQL schema of the read models.
 * Operational state, not business data, so not in the event log: the events say who authorised what
 * and when; the credentials themselves are here, every one of them encrypted (TokenCipher).
 *
 * - connector_secrets: per connector, the admin's client secret, the dynamic registration (client id
 *   and secret the authorization server issued) and the discovered OAuth metadata.
 * - connector_grants: per connector and subject ("company" or "user:<id>"), the tokens, their expiry,
 *   the status (authorized, or needs_reauthorization with the problem), and the refresh lease: one
 *   conditional UPDATE takes it, so of several processes exactly one refreshes a grant at a time.
 * - connector_pending: authorizations started and not finished yet, by OAuth state (single use, 10 min).
 */
const DDL = `
CREATE TABLE IF NOT EXISTS connector_secrets (
  connector_id TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (connector_id, name)
);
CREATE TABLE IF NOT EXISTS connector_grants (
  connector_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  user_id TEXT,
  user_email TEXT,
  tokens TEXT,
  expires_at BIGINT,
  status TEXT NOT NULL,
  problem TEXT,
  version INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until BIGINT,
  authorized_at BIGINT,
  refreshed_at BIGINT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (connector_id, subject)
);
CREATE TABLE IF NOT EXISTS connector_pending (
  state TEXT PRIMARY KEY,
  connector_id TEXT NOT NULL,
  connector_name TEXT NOT NULL,
  subject TEXT NOT NULL,
  user_id TEXT,
  user_email TEXT,
  verifier TEXT NOT NULL,
  scope TEXT,
  resource_metadata_url TEXT,
  started_by TEXT NOT NULL,
  expires_at BIGINT NOT NULL
)`;

export type SecretName = 'client_secret' | 'client_information' | 'discovery';
export type GrantStatus = 'pending' | 'authorized' | 'needs_reauthorization';

export interface GrantRecord {
  readonly connectorId: string;
  readonly subject: string;
  readonly userId: string | null;
  readonly userEmail: string | null;
  /** The token response as the SDK saved it (access_token, refresh_token, expires_in, scope, issuer, ...); null when there are none. */
  readonly tokens: Record<string, unknown> | null;
  /** When the access token expires (ms), null when the server did not say. */
  readonly expiresAt: number | null;
  readonly status: GrantStatus;
  readonly problem: string | null;
  /** Grows with every change of the tokens: a process that waited for another's refresh sees it moved. */
  readonly version: number;
  readonly leaseOwner: string | null;
  readonly leaseUntil: number | null;
  readonly authorizedAt: number | null;
  readonly refreshedAt: number | null;
}

export interface PendingAuthorization {
  readonly state: string;
  readonly connectorId: string;
  readonly connectorName: string;
  readonly subject: string;
  readonly userId: string | null;
  readonly userEmail: string | null;
  readonly codeVerifier: string;
  readonly scope: string | null;
  readonly resourceMetadataUrl: string | null;
  /** Who started it (JSON of the actor). */
  readonly startedBy: Record<string, unknown>;
  readonly expiresAt: number;
}

interface GrantRow {
  connector_id: string;
  subject: string;
  user_id: string | null;
  user_email: string | null;
  tokens: string | null;
  expires_at: number | string | null;
  status: GrantStatus;
  problem: string | null;
  version: number | string;
  lease_owner: string | null;
  lease_until: number | string | null;
  authorized_at: number | string | null;
  refreshed_at: number | string | null;
}

const num = (value: number | string | null): number | null => (value === null ? null : Number(value));

export class ConnectorStateStore {
  private db: ReadModelDatabase | null = null;
  private ready: Promise<void> | null = null;
  /** The clock (ms), replaceable in tests. */
  now: () => number = Date.now;

  /** `open` builds the database on first use, so commands that never touch connectors never open it. */
  constructor(
    private readonly open: () => ReadModelDatabase,
    private readonly cipher: TokenCipher,
  ) {}

  static forConfig(config: Pick<AppConfig, 'readModels' | 'dataDir'>, cipher: TokenCipher): ConnectorStateStore {
    return new ConnectorStateStore(() => {
      if (config.readModels.kind === 'postgres')
        return new PostgresReadModelDatabase({ connectionString: config.readModels.connectionString, schema: config.readModels.schema, poolSize: 4 });
      if (!existsSync(config.dataDir)) mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      const filename = join(config.dataDir, 'connectors.db');
      const db = new SqliteReadModelDatabase({ filename });
      // Encrypted, but still: readable by csmcp's user only.
      chmodSync(filename, 0o600);
      return db;
    }, cipher);
  }

  private async database(): Promise<ReadModelDatabase> {
    if (!this.ready) {
      this.db ??= this.open();
      const db = this.db;
      this.ready = createTablesOnce(db, 'csmcp_connector_state_ddl', DDL).catch((error: unknown) => {
        this.ready = null;
        throw error;
      });
    }
    await this.ready;
    return this.db!;
  }

  // --- per-connector secrets -------------------------------------------------------------------

  async secret<T>(connectorId: string, name: SecretName): Promise<T | null> {
    const db = await this.database();
    const row = await db.get<{ value: string }>('SELECT value FROM connector_secrets WHERE connector_id = ? AND name = ?', [connectorId, name]);
    return row ? (JSON.parse(this.cipher.decrypt(row.value, secretContext(connectorId, name))) as T) : null;
  }

  async saveSecret(connectorId: string, name: SecretName, value: unknown): Promise<void> {
    const db = await this.database();
    const encrypted = this.cipher.encrypt(JSON.stringify(value), secretContext(connectorId, name));
    await db.run(
      `INSERT INTO connector_secrets (connector_id, name, value, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (connector_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [connectorId, name, encrypted, this.now()],
    );
  }

  async deleteSecret(connectorId: string, name: SecretName): Promise<void> {
    const db = await this.database();
    await db.run('DELETE FROM connector_secrets WHERE connector_id = ? AND name = ?', [connectorId, name]);
  }

  // --- grants ----------------------------------------------------------------------------------

  async grant(connectorId: string, subject: string): Promise<GrantRecord | null> {
    const db = await this.database();
    const row = await db.get<GrantRow>('SELECT * FROM connector_grants WHERE connector_id = ? AND subject = ?', [connectorId, subject]);
    return row ? this.grantOf(row) : null;
  }

  /** Every grant of a connector, without decrypting tokens (for status listings). */
  async grants(connectorId: string): Promise<Array<Omit<GrantRecord, 'tokens'> & { hasTokens: boolean }>> {
    const db = await this.database();
    const rows = await db.all<GrantRow>('SELECT * FROM connector_grants WHERE connector_id = ? ORDER BY subject', [connectorId]);
    return rows.map((row) => {
      const { tokens: _tokens, ...rest } = this.grantOf({ ...row, tokens: null });
      return { ...rest, hasTokens: row.tokens !== null };
    });
  }

  /** The row a lease needs, created empty (status pending) if there is none. */
  async ensureGrant(connectorId: string, subject: string, user: { userId: string; email: string } | null): Promise<void> {
    const db = await this.database();
    await db.run(
      `INSERT INTO connector_grants (connector_id, subject, user_id, user_email, tokens, expires_at, status, problem, version, updated_at)
       VALUES (?, ?, ?, ?, NULL, NULL, 'pending', NULL, 0, ?) ON CONFLICT (connector_id, subject) DO NOTHING`,
      [connectorId, subject, user?.userId ?? null, user?.email ?? null, this.now()],
    );
  }

  /** A finished authorization: new tokens, status authorized, whatever was there before. */
  async saveAuthorizedTokens(
    connectorId: string,
    subject: string,
    user: { userId: string; email: string } | null,
    tokens: Record<string, unknown>,
    expiresAt: number | null,
  ): Promise<void> {
    const db = await this.database();
    const now = this.now();
    const encrypted = this.cipher.encrypt(JSON.stringify(tokens), grantContext(connectorId, subject));
    await db.run(
      `INSERT INTO connector_grants (connector_id, subject, user_id, user_email, tokens, expires_at, status, problem, version, lease_owner, lease_until, authorized_at, refreshed_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'authorized', NULL, 1, NULL, NULL, ?, NULL, ?)
       ON CONFLICT (connector_id, subject) DO UPDATE SET user_id = excluded.user_id, user_email = excluded.user_email, tokens = excluded.tokens,
         expires_at = excluded.expires_at, status = 'authorized', problem = NULL, version = connector_grants.version + 1,
         authorized_at = excluded.authorized_at, refreshed_at = NULL, updated_at = excluded.updated_at`,
      [connectorId, subject, user?.userId ?? null, user?.email ?? null, encrypted, expiresAt, now, now],
    );
  }

  /** Refreshed tokens, written only while `leaseOwner` still holds the lease; false when it lost it. */
  async saveRefreshedTokens(connectorId: string, subject: string, leaseOwner: string, tokens: Record<string, unknown>, expiresAt: number | null): Promise<boolean> {
    const db = await this.database();
    const now = this.now();
    const encrypted = this.cipher.encrypt(JSON.stringify(tokens), grantContext(connectorId, subject));
    const { changes } = await db.run(
      `UPDATE connector_grants SET tokens = ?, expires_at = ?, status = 'authorized', problem = NULL, version = version + 1, refreshed_at = ?,
         authorized_at = COALESCE(authorized_at, ?), updated_at = ?
       WHERE connector_id = ? AND subject = ? AND lease_owner = ?`,
      [encrypted, expiresAt, now, now, now, connectorId, subject, leaseOwner],
    );
    return changes === 1;
  }

  /** The grant no longer works (revoked, expired, refused): its tokens go and the admin or user is asked to authorise again. */
  async markNeedsReauthorization(connectorId: string, subject: string, problem: string): Promise<void> {
    const db = await this.database();
    await db.run(
      `UPDATE connector_grants SET tokens = NULL, expires_at = NULL, status = 'needs_reauthorization', problem = ?, version = version + 1, updated_at = ?
       WHERE connector_id = ? AND subject = ?`,
      [problem, this.now(), connectorId, subject],
    );
  }

  /**
   * Takes the grant's refresh lease for `ttlMs` unless another process holds a live one. One
   * conditional UPDATE: the database decides who wins, whatever the number of processes.
   */
  async acquireLease(connectorId: string, subject: string, owner: string, ttlMs: number): Promise<boolean> {
    const db = await this.database();
    const now = this.now();
    const { changes } = await db.run(
      'UPDATE connector_grants SET lease_owner = ?, lease_until = ? WHERE connector_id = ? AND subject = ? AND (lease_owner IS NULL OR lease_until <= ?)',
      [owner, now + ttlMs, connectorId, subject, now],
    );
    return changes === 1;
  }

  async releaseLease(connectorId: string, subject: string, owner: string): Promise<void> {
    const db = await this.database();
    await db.run('UPDATE connector_grants SET lease_owner = NULL, lease_until = NULL WHERE connector_id = ? AND subject = ? AND lease_owner = ?', [
      connectorId,
      subject,
      owner,
    ]);
  }

  async deleteGrants(connectorId: string): Promise<void> {
    const db = await this.database();
    await db.transaction(async (tx) => {
      await tx.run('DELETE FROM connector_grants WHERE connector_id = ?', [connectorId]);
      await tx.run('DELETE FROM connector_pending WHERE connector_id = ?', [connectorId]);
    });
  }

  /** Everything kept for a connector (it was removed). */
  async deleteConnector(connectorId: string): Promise<void> {
    const db = await this.database();
    await db.transaction(async (tx) => {
      await tx.run('DELETE FROM connector_grants WHERE connector_id = ?', [connectorId]);
      await tx.run('DELETE FROM connector_pending WHERE connector_id = ?', [connectorId]);
      await tx.run('DELETE FROM connector_secrets WHERE connector_id = ?', [connectorId]);
    });
  }

  // --- pending authorizations ------------------------------------------------------------------

  async savePending(pending: PendingAuthorization): Promise<void> {
    const db = await this.database();
    await db.run(
      `INSERT INTO connector_pending (state, connector_id, connector_name, subject, user_id, user_email, verifier, scope, resource_metadata_url, started_by, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        pending.state,
        pending.connectorId,
        pending.connectorName,
        pending.subject,
        pending.userId,
        pending.userEmail,
        this.cipher.encrypt(pending.codeVerifier, pendingContext(pending.state)),
        pending.scope,
        pending.resourceMetadataUrl,
        JSON.stringify(pending.startedBy),
        pending.expiresAt,
      ],
    );
  }

  /** The pending authorization with this state, removed as it is read (single use); null when unknown or expired. */
  async takePending(state: string): Promise<PendingAuthorization | null> {
    const db = await this.database();
    const now = this.now();
    const row = await db.transaction(async (tx: SqlExecutor) => {
      const found = await tx.get<Record<string, string | number | null>>('SELECT * FROM connector_pending WHERE state = ?', [state]);
      if (!found) return null;
      const { changes } = await tx.run('DELETE FROM connector_pending WHERE state = ?', [state]);
      return changes === 1 ? found : null;
    });
    if (!row || Number(row.expires_at) <= now) return null;
    return {
      state,
      connectorId: String(row.connector_id),
      connectorName: String(row.connector_name),
      subject: String(row.subject),
      userId: row.user_id === null ? null : String(row.user_id),
      userEmail: row.user_email === null ? null : String(row.user_email),
      codeVerifier: this.cipher.decrypt(String(row.verifier), pendingContext(state)),
      scope: row.scope === null ? null : String(row.scope),
      resourceMetadataUrl: row.resource_metadata_url === null ? null : String(row.resource_metadata_url),
      startedBy: JSON.parse(String(row.started_by)) as Record<string, unknown>,
      expiresAt: Number(row.expires_at),
    };
  }

  /** Drops authorizations nobody finished in time. */
  async sweepPending(): Promise<number> {
    const db = await this.database();
    return (await db.run('DELETE FROM connector_pending WHERE expires_at <= ?', [this.now()])).changes;
  }

  /**
   * Re-encrypts every value written under an old key with the current one (after a rotation), so the
   * old key can leave CONNECTOR_TOKEN_OLD_KEYS. Returns how many values it rewrote.
   */
  async rekey(): Promise<number> {
    const db = await this.database();
    let rewritten = 0;
    await db.transaction(async (tx) => {
      for (const row of await tx.all<{ connector_id: string; name: SecretName; value: string }>('SELECT connector_id, name, value FROM connector_secrets')) {
        if (!this.cipher.isStale(row.value)) continue;
        const context = secretContext(row.connector_id, row.name);
        await tx.run('UPDATE connector_secrets SET value = ? WHERE connector_id = ? AND name = ?', [this.cipher.encrypt(this.cipher.decrypt(row.value, context), context), row.connector_id, row.name]);
        rewritten++;
      }
      for (const row of await tx.all<{ connector_id: string; subject: string; tokens: string }>('SELECT connector_id, subject, tokens FROM connector_grants WHERE tokens IS NOT NULL')) {
        if (!this.cipher.isStale(row.tokens)) continue;
        const context = grantContext(row.connector_id, row.subject);
        await tx.run('UPDATE connector_grants SET tokens = ? WHERE connector_id = ? AND subject = ?', [this.cipher.encrypt(this.cipher.decrypt(row.tokens, context), context), row.connector_id, row.subject]);
        rewritten++;
      }
      for (const row of await tx.all<{ state: string; verifier: string }>('SELECT state, verifier FROM connector_pending')) {
        if (!this.cipher.isStale(row.verifier)) continue;
        const context = pendingContext(row.state);
        await tx.run('UPDATE connector_pending SET verifier = ? WHERE state = ?', [this.cipher.encrypt(this.cipher.decrypt(row.verifier, context), context), row.state]);
        rewritten++;
      }
    });
    return rewritten;
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

  private grantOf(row: GrantRow): GrantRecord {
    return {
      connectorId: row.connector_id,
      subject: row.subject,
      userId: row.user_id,
      userEmail: row.user_email,
      tokens: row.tokens === null ? null : (JSON.parse(this.cipher.decrypt(row.tokens, grantContext(row.connector_id, row.subject))) as Record<string, unknown>),
      expiresAt: num(row.expires_at),
      status: row.status,
      problem: row.problem,
      version: Number(row.version),
      leaseOwner: row.lease_owner,
      leaseUntil: num(row.lease_until),
      authorizedAt: num(row.authorized_at),
      refreshedAt: num(row.refreshed_at),
    };
  }
}

const secretContext = (connectorId: string, name: SecretName) => `connector:${connectorId}|secret:${name}`;
const grantContext = (connectorId: string, subject: string) => `connector:${connectorId}|grant:${subject}`;
const pendingContext = (state: string) => `pending:${state}`;
