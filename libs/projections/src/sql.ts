/** Values a read-model statement can bind. Booleans are stored as 1/0 by SQLite, as booleans by PostgreSQL. */
export type SqlParam = string | number | boolean | null | bigint;

/**
 * What a projection (and a query) gets to run SQL on the read models. Statements are written once with
 * `?` placeholders; the PostgreSQL implementation rewrites them to $1..$n.
 */
export interface SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** A statement whose rows are not needed (INSERT, UPDATE, DELETE, DDL). `changes`: rows it touched. */
  run(sql: string, params?: readonly SqlParam[]): Promise<{ changes: number }>;
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  /** The first row, or undefined. */
  get<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined>;
  /** Several statements separated by `;`, without parameters (DDL). */
  exec(sql: string): Promise<void>;
}

/** The executor inside a transaction: it can also queue statements (see `send`). */
export interface TransactionExecutor extends SqlExecutor {
  /**
   * A statement whose result is not needed, sent without waiting for its answer: PostgreSQL pipelines
   * it behind the statements before it, so a run of them costs one round trip, not one each. Order is
   * kept. A failure is thrown by the next statement awaited, or fails the transaction at its end.
   */
  queue(sql: string, params?: readonly SqlParam[]): void;
}

export interface ReadModelDatabase extends SqlExecutor {
  /**
   * Runs `work` in one transaction on one connection: committed when its promise resolves, rolled back
   * when it rejects. Inside, use only `tx`: the database itself waits for the transaction to finish,
   * so calling it from inside `work` would never return.
   */
  transaction<T>(work: (tx: TransactionExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * A statement whose result is not needed: queued where the executor can (a transaction: no round trip
 * of its own on PostgreSQL), else run now. Projections use it for the writes whose outcome they do not read.
 */
export function send(db: SqlExecutor, sql: string, params?: readonly SqlParam[]): Promise<void> {
  const queue = (db as Partial<TransactionExecutor>).queue;
  if (queue === undefined) return db.run(sql, params).then(() => undefined);
  try {
    queue.call(db, sql, params);
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error);
  }
}

const rewritten = new Map<string, string>();
const REWRITE_CACHE_SIZE = 2_000;

/**
 * `?` placeholders to PostgreSQL's `$1..$n`, leaving alone what sits in string literals ('...', E'...',
 * $tag$...$tag$), quoted identifiers and comments. (PostgreSQL's jsonb operators `?`, `?|`, `?&` cannot
 * be written this way: use jsonb_exists / jsonb_exists_any / jsonb_exists_all instead.)
 */
export function toPostgresPlaceholders(sql: string): string {
  if (!sql.includes('?')) return sql;
  const cached = rewritten.get(sql);
  if (cached !== undefined) return cached;
  const result = rewrite(sql);
  if (rewritten.size >= REWRITE_CACHE_SIZE) rewritten.delete(rewritten.keys().next().value as string);
  rewritten.set(sql, result);
  return result;
}

function rewrite(sql: string): string {
  const length = sql.length;
  let out = '';
  let copiedUpTo = 0;
  let count = 0;
  let i = 0;
  while (i < length) {
    const c = sql[i];
    if (c === '?') {
      out += `${sql.slice(copiedUpTo, i)}$${++count}`;
      copiedUpTo = ++i;
    } else if (c === "'") {
      const backslashEscapes = (sql[i - 1] === 'E' || sql[i - 1] === 'e') && !isIdentifierChar(sql[i - 2]);
      i = endOfStringLiteral(sql, i + 1, backslashEscapes);
    } else if (c === '"') {
      // "a""b" is handled as two quoted pieces back to back: nothing in between is a placeholder.
      const close = sql.indexOf('"', i + 1);
      i = close < 0 ? length : close + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const close = sql.indexOf('\n', i + 2);
      i = close < 0 ? length : close + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      i = endOfBlockComment(sql, i + 2);
    } else if (c === '$' && !isIdentifierChar(sql[i - 1])) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? length : close + tag[0].length;
      } else {
        i++;
      }
    } else {
      i++;
    }
  }
  return out + sql.slice(copiedUpTo);
}

function endOfStringLiteral(sql: string, from: number, backslashEscapes: boolean): number {
  let i = from;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashEscapes && c === '\\') i += 2;
    else if (c === "'") {
      if (sql[i + 1] === "'") i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

/** PostgreSQL block comments nest. */
function endOfBlockComment(sql: string, from: number): number {
  let depth = 1;
  let i = from;
  while (i < sql.length && depth > 0) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
    } else i++;
  }
  return i;
}

function isIdentifierChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_$]/.test(c);
}
