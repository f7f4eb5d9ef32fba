import type * as Pg from 'pg';
import { StoreUnavailableError } from '@csmcp/event-store';
import { toPostgresPlaceholders, type ReadModelDatabase, type SqlParam, type TransactionExecutor } from './sql';

export interface PostgresReadModelDatabaseOptions {
  readonly connectionString: string;
  /** Schema holding the read models, created if missing. Default `public`. */
  readonly schema?: string;
  /** Connections in the pool. Default 10. */
  readonly poolSize?: number;
  /** How long to wait for a connection before failing with StoreUnavailableError. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /**
   * How long a statement may wait for its answer before failing with StoreUnavailableError (the
   * connection is then dropped). Default 15 s. Without it, a database that vanished without closing
   * the connection (a network partition) hangs every caller for good.
   */
  readonly queryTimeoutMs?: number;
}

const INT8_OID = 20;
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Read models in PostgreSQL: a pool whose every connection works in the configured schema
 * (search_path). A transaction is BEGIN/COMMIT on one pooled client. 64-bit integers (COUNT(*),
 * BIGINT columns) come back as numbers while they fit in 2^53, as bigints beyond.
 */
export class PostgresReadModelDatabase implements ReadModelDatabase {
  readonly dialect = 'postgres' as const;
  readonly schema: string;
  private readonly pool: Pg.Pool;
  private readonly searchPath: string;
  /** Clients whose session is set up (search path, error listener). */
  private readonly prepared = new WeakSet<Pg.PoolClient>();
  private ready: Promise<void> | null = null;
  private closed = false;

  constructor(options: PostgresReadModelDatabaseOptions) {
    this.schema = options.schema ?? 'public';
    if (!SCHEMA_NAME.test(this.schema))
      throw new RangeError(`schema "${this.schema}" is not a plain identifier (letters, digits, _; at most 63 characters)`);
    // Loaded here so an embedded deployment never needs the PostgreSQL driver.
    const pg = require('pg') as typeof Pg;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      query_timeout: options.queryTimeoutMs ?? 15_000,
      // Probes from 10 s of silence on: a connection to a database that vanished is found dead in a minute, not 2 hours.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      // Queries written one after another go out without waiting for each answer: what makes a
      // transaction's queued statements (TransactionExecutor.queue) cost one round trip, not one each.
      pipeline: true,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
      },
    });
    this.searchPath = `SET search_path TO ${quoteIdentifier(this.schema)}`;
    // An idle client losing its connection: the pool drops it; the next query reports the outage.
    this.pool.on('error', () => undefined);
  }

  async run(sql: string, params?: readonly SqlParam[]): Promise<{ changes: number }> {
    const result = await this.onAnyClient(sql, params);
    return { changes: result.rowCount ?? 0 };
  }

  async all<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    return (await this.onAnyClient(sql, params)).rows as T[];
  }

  async get<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
    return (await this.onAnyClient(sql, params)).rows[0] as T | undefined;
  }

  async exec(sql: string): Promise<void> {
    await this.onAnyClient(sql, undefined);
  }

  async transaction<T>(work: (tx: TransactionExecutor) => Promise<T>): Promise<T> {
    await this.init();
    const client = await this.acquire();
    let broken = false;
    try {
      const tx = new PostgresTransaction(client);
      let result: T;
      try {
        // Pipelined ahead of the work's first statement: no round trip of its own.
        tx.queue('BEGIN');
        result = await work(tx);
        // Queued statements still on their way: their failure is the transaction's.
        await tx.settle();
      } catch (error) {
        tx.finish();
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw isConnectionFailure(error) ? toReadModelError(error, 'transaction failed') : error;
      }
      tx.finish();
      const commit = await query(client, 'COMMIT', undefined);
      // COMMIT of a transaction an earlier (caught) error aborted answers ROLLBACK instead of failing.
      if (commit.command === 'ROLLBACK')
        throw new Error('The transaction was rolled back: a statement inside it failed and its error was caught');
      return result;
    } catch (error) {
      if (isConnectionFailure(error)) broken = true;
      throw error;
    } finally {
      // A client whose connection failed is destroyed rather than handed out again.
      client.release(broken ? true : undefined);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async onAnyClient(sql: string, params: readonly SqlParam[] | undefined): Promise<Pg.QueryResult> {
    await this.init();
    const client = await this.acquire();
    let broken = false;
    try {
      return await query(client, sql, params);
    } catch (error) {
      broken = isConnectionFailure(error);
      throw error;
    } finally {
      client.release(broken ? true : undefined);
    }
  }

  /** A pooled client working in the schema: a new connection gets its search path before any use. */
  private async acquire(): Promise<Pg.PoolClient> {
    let client: Pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw toReadModelError(error, 'cannot get a connection');
    }
    if (this.prepared.has(client)) return client;
    // A connection lost while checked out: the query it was running reports it.
    client.on('error', () => undefined);
    try {
      await client.query(this.searchPath);
    } catch (error) {
      client.release(true);
      throw toReadModelError(error, 'cannot set the search path');
    }
    this.prepared.add(client);
    return client;
  }

  /** Creates the schema on first use (two processes may race to create it: both succeed). */
  private init(): Promise<void> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the read-model database is closed'));
    this.ready ??= this.createSchema().catch((error) => {
      this.ready = null;
      throw error;
    });
    return this.ready;
  }

  private async createSchema(): Promise<void> {
    const client = await this.acquire();
    let broken = false;
    try {
      const found = await query(client, 'SELECT 1 FROM pg_namespace WHERE nspname = ?', [this.schema]);
      if (found.rowCount !== 0) return;
      await query(client, `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(this.schema)}`, undefined);
    } catch (error) {
      broken = isConnectionFailure(error);
      const code = (error as { code?: string }).code;
      if (code !== '23505' && code !== '42P06') throw error;
    } finally {
      client.release(broken ? true : undefined);
    }
  }
}

class PostgresTransaction implements TransactionExecutor {
  readonly dialect = 'postgres' as const;
  private active = true;
  /** Queued statements not answered yet, and the first failure among them. */
  private readonly pending = new Set<Promise<unknown>>();
  private failure: { error: unknown } | null = null;

  constructor(private readonly client: Pg.PoolClient) {}

  finish(): void {
    this.active = false;
  }

  queue(sql: string, params?: readonly SqlParam[]): void {
    this.throwIfFailed();
    const sent = query(this.checked(), sql, params, true).then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    this.pending.add(sent);
    void sent.finally(() => this.pending.delete(sent));
  }

  /** Waits for the queued statements; throws the first failure. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    this.throwIfFailed();
  }

  async run(sql: string, params?: readonly SqlParam[]): Promise<{ changes: number }> {
    const result = await this.answer(sql, params);
    return { changes: result.rowCount ?? 0 };
  }

  async all<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    return (await this.answer(sql, params)).rows as T[];
  }

  async get<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
    return (await this.answer(sql, params)).rows[0] as T | undefined;
  }

  async exec(sql: string): Promise<void> {
    await this.answer(sql, undefined);
  }

  /**
   * Answers come in order: once this one is in, every statement queued before it has been answered.
   * A queued one that failed aborted the transaction: its error, not this one's "transaction aborted".
   */
  private async answer(sql: string, params: readonly SqlParam[] | undefined): Promise<Pg.QueryResult> {
    this.throwIfFailed();
    try {
      const result = await query(this.checked(), sql, params);
      this.throwIfFailed();
      return result;
    } catch (error) {
      await this.settle();
      throw error;
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  private checked(): Pg.PoolClient {
    if (!this.active) throw new Error('This transaction has already finished: use its executor only inside the transaction');
    return this.client;
  }
}

/** Names of the prepared statements: texts queued in transactions (projection writes, a bounded set). */
const preparedNames = new Map<string, string>();
const MAX_PREPARED = 500;

function preparedName(text: string): string | undefined {
  let name = preparedNames.get(text);
  if (name === undefined && preparedNames.size < MAX_PREPARED) preparedNames.set(text, (name = `csmcp_rm_${preparedNames.size}`));
  return name;
}

async function query(on: Pg.PoolClient, sql: string, params: readonly SqlParam[] | undefined, prepare = false): Promise<Pg.QueryResult> {
  try {
    if (params === undefined || params.length === 0) return await on.query(toPostgresPlaceholders(sql));
    const text = toPostgresPlaceholders(sql);
    const name = prepare ? preparedName(text) : undefined;
    if (name !== undefined) return await on.query({ name, text, values: params.map(bindValue) });
    return await on.query(text, params.map(bindValue));
  } catch (error) {
    throw toReadModelError(error, 'statement failed');
  }
}

function bindValue(value: SqlParam): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function parseInt8(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** The server is down, restarting, refusing connections or the network went away: retry later. */
function isConnectionFailure(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300' || CONNECTION_ERROR_CODES.has(code)) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  // 'Query read timeout': query_timeout expired, no answer in time.
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Client was closed|Cannot use a pool after calling end|Query read timeout/i.test(message);
}

function toReadModelError(error: unknown, what: string): Error {
  if (error instanceof StoreUnavailableError) return error;
  if (isConnectionFailure(error)) {
    const code = (error as { code?: string }).code;
    return new StoreUnavailableError(`read models: ${what} (${code ? `${code}: ` : ''}${(error as Error).message})`, error);
  }
  return error instanceof Error ? error : new Error(String(error));
}
