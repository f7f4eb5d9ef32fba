import type { ReadModelDatabase } from './sql';

/**
 * Runs idempotent DDL (CREATE ... IF NOT EXISTS). On PostgreSQL two processes starting at once race
 * in CREATE TABLE IF NOT EXISTS (the loser fails on the catalog's unique index), so there it runs
 * under a transaction-scoped advisory lock named by `lockName`; SQLite has one writer anyway.
 */
export async function createTablesOnce(db: ReadModelDatabase, lockName: string, ddl: string): Promise<void> {
  if (db.dialect === 'sqlite') return db.exec(ddl);
  await db.transaction(async (tx) => {
    await tx.get('SELECT pg_advisory_xact_lock(hashtext(?)) AS locked', [lockName]);
    await tx.exec(ddl);
  });
}
