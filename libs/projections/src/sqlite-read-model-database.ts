import type BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreUnavailableError } from '@csmcp/event-store';
import { sqliteUnavailable } from '@csmcp/event-store/sqlite/sqlite-errors';
import { AsyncMutex } from './async-mutex';
import type { ReadModelDatabase, SqlParam, TransactionExecutor } from './sql';

export interface SqliteReadModelDatabaseOptions {
  /** Database file, created with its folder if missing. ':memory:' for a throwaway database. */
  readonly filename: string;
  /** How long a transaction waits for another process's write lock before giving up. Default 5 s. */
  readonly busyTimeoutMs?: number;
  /** Prepared statements kept per connection. Default 500. */
  readonly statementCacheSize?: number;
  /**
   * FULL (default) syncs every commit; NORMAL (safe in WAL mode against corruption) may lose the last
   * commits on power loss: for state that can be lost, such as MCP stream replay buffers.
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
}

type Statement = BetterSqlite3.Statement<unknown[], unknown>;

const NO_PARAMS: readonly unknown[] = [];

/**
 * Read models in one SQLite file (WAL, synchronous=FULL unless asked otherwise). better-sqlite3 is synchronous but a
 * transaction's work is async, so transactions take turns on the connection through a mutex, and a
 * statement outside a transaction waits for the running one: nothing interleaves with a transaction.
 * BEGIN IMMEDIATE takes the write lock at once, which makes the transaction exclusive across
 * processes too; while another process holds that lock, the wait happens off the event loop.
 */
export class SqliteReadModelDatabase implements ReadModelDatabase {
  readonly dialect = 'sqlite' as const;
  private readonly db: BetterSqlite3.Database;
  private readonly mutex = new AsyncMutex();
  private readonly statements = new Map<string, Statement>();
  private readonly busyTimeoutMs: number;
  private readonly cacheSize: number;
  private closed = false;

  constructor(private readonly options: SqliteReadModelDatabaseOptions) {
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
    this.cacheSize = options.statementCacheSize ?? 500;
    // Loaded here so a PostgreSQL-only deployment never needs the native SQLite driver.
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    try {
      if (options.filename !== ':memory:') mkdirSync(dirname(options.filename), { recursive: true });
      this.db = new Database(options.filename, { timeout: this.busyTimeoutMs });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
      this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
    } catch (error) {
      throw toReadModelError(error, `cannot open read-model database ${options.filename}`, options.filename, true);
    }
  }

  run(sql: string, params?: readonly SqlParam[]): Promise<{ changes: number }> {
    return this.outsideTransaction(() => this.runNow(sql, params));
  }

  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    return this.outsideTransaction(() => this.allNow<T>(sql, params));
  }

  get<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
    return this.outsideTransaction(() => this.getNow<T>(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.outsideTransaction(() => this.execNow(sql));
  }

  async transaction<T>(work: (tx: TransactionExecutor) => Promise<T>): Promise<T> {
    const release = await this.mutex.acquire();
    try {
      this.assertOpen();
      await this.begin();
      const tx = new SqliteTransaction(this);
      let result: T;
      try {
        result = await work(tx);
      } catch (error) {
        tx.finish();
        this.rollbackQuietly();
        throw error;
      }
      tx.finish();
      try {
        this.statement('COMMIT').run();
      } catch (error) {
        this.rollbackQuietly();
        throw toReadModelError(error, 'commit failed', this.options.filename);
      }
      return result;
    } finally {
      release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // A running transaction finishes first.
    await this.mutex.runExclusive(() => {
      if (this.closed) return;
      this.closed = true;
      this.statements.clear();
      this.db.close();
    });
  }

  /** @internal used by the transaction executor, which already holds the connection. */
  runNow(sql: string, params?: readonly SqlParam[]): { changes: number } {
    const statement = this.statement(sql);
    try {
      return { changes: statement.run(...bind(params)).changes };
    } catch (error) {
      throw toReadModelError(error, 'statement failed', this.options.filename);
    }
  }

  /** @internal */
  allNow<T>(sql: string, params?: readonly SqlParam[]): T[] {
    const statement = this.statement(sql);
    try {
      if (!statement.reader) {
        statement.run(...bind(params));
        return [];
      }
      return statement.all(...bind(params)) as T[];
    } catch (error) {
      throw toReadModelError(error, 'query failed', this.options.filename);
    }
  }

  /** @internal */
  getNow<T>(sql: string, params?: readonly SqlParam[]): T | undefined {
    const statement = this.statement(sql);
    try {
      if (!statement.reader) {
        statement.run(...bind(params));
        return undefined;
      }
      return statement.get(...bind(params)) as T | undefined;
    } catch (error) {
      throw toReadModelError(error, 'query failed', this.options.filename);
    }
  }

  /** @internal */
  execNow(sql: string): void {
    this.assertOpen();
    try {
      this.db.exec(sql);
    } catch (error) {
      throw toReadModelError(error, 'statements failed', this.options.filename);
    }
  }

  private outsideTransaction<T>(work: () => T): Promise<T> {
    if (this.mutex.isLocked) return this.mutex.runExclusive(work);
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * BEGIN IMMEDIATE without SQLite's own busy wait (which would block the event loop, and with it the
   * transaction of another connection in this same process that holds the lock): retried on a timer.
   */
  private async begin(): Promise<void> {
    const deadline = Date.now() + this.busyTimeoutMs;
    let delay = 1;
    this.statement('PRAGMA busy_timeout = 0').run();
    try {
      for (;;) {
        try {
          this.statement('BEGIN IMMEDIATE').run();
          return;
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw toReadModelError(error, 'cannot start a transaction', this.options.filename);
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 4);
        this.assertOpen();
      }
    } finally {
      if (!this.closed) this.statement(`PRAGMA busy_timeout = ${this.busyTimeoutMs}`).run();
    }
  }

  private rollbackQuietly(): void {
    try {
      if (this.db.inTransaction) this.statement('ROLLBACK').run();
    } catch {
      // SQLite already rolled back (some errors end the transaction by themselves).
    }
  }

  private statement(sql: string): Statement {
    this.assertOpen();
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      try {
        statement = this.db.prepare(sql);
      } catch (error) {
        throw toReadModelError(error, 'cannot prepare statement', this.options.filename);
      }
      if (this.statements.size >= this.cacheSize) this.statements.delete(this.statements.keys().next().value as string);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError(`the read-model database ${this.options.filename} is closed`);
  }
}

/** The executor handed to a transaction's work: runs directly on the connection the transaction holds. */
class SqliteTransaction implements TransactionExecutor {
  readonly dialect = 'sqlite' as const;
  private active = true;

  constructor(private readonly database: SqliteReadModelDatabase) {}

  finish(): void {
    this.active = false;
  }

  run(sql: string, params?: readonly SqlParam[]): Promise<{ changes: number }> {
    return this.now(() => this.database.runNow(sql, params));
  }

  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    return this.now(() => this.database.allNow<T>(sql, params));
  }

  get<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
    return this.now(() => this.database.getNow<T>(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.now(() => this.database.execNow(sql));
  }

  /** SQLite has no round trip to save: the statement runs now, and a failure is thrown here. */
  queue(sql: string, params?: readonly SqlParam[]): void {
    if (!this.active) throw new Error('This transaction has already finished: use its executor only inside the transaction');
    this.database.runNow(sql, params);
  }

  private now<T>(work: () => T): Promise<T> {
    if (!this.active) return Promise.reject(new Error('This transaction has already finished: use its executor only inside the transaction'));
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/** better-sqlite3 binds no booleans: they become 1 and 0, as SQLite stores them anyway. */
function bind(params: readonly SqlParam[] | undefined): readonly unknown[] {
  if (params === undefined || params.length === 0) return NO_PARAMS;
  let converted: unknown[] | null = null;
  for (let i = 0; i < params.length; i++) {
    const value = params[i];
    if (typeof value === 'boolean') {
      converted ??= params.slice();
      converted[i] = value ? 1 : 0;
    }
  }
  return converted ?? params;
}

/** A lock held too long by another process, a full disk, a read-only or broken file: retry later. */
function toReadModelError(error: unknown, what: string, filename: string, opening = false): Error {
  if (error instanceof StoreUnavailableError) return error;
  return sqliteUnavailable(error, `read models: ${what}`, filename, opening);
}
