import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreUnavailableError } from '@csmcp/event-store';
import { SqliteReadModelDatabase } from './sqlite-read-model-database';
import type { SqlExecutor } from './sql';

const dir = mkdtempSync(join(tmpdir(), 'csmcp-read-models-'));
let counter = 0;
const open: SqliteReadModelDatabase[] = [];

function openDb(filename = join(dir, `rm-${++counter}.db`), busyTimeoutMs?: number): SqliteReadModelDatabase {
  const db = new SqliteReadModelDatabase({ filename, busyTimeoutMs });
  open.push(db);
  return db;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterAll(async () => {
  for (const db of open) await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteReadModelDatabase', () => {
  it('runs statements with ? parameters, booleans as 1/0 and bigints', async () => {
    const db = openDb();
    expect(db.dialect).toBe('sqlite');
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, flag INTEGER, big INTEGER); CREATE INDEX t_name ON t (name);');
    expect(await db.run('INSERT INTO t (name, flag, big) VALUES (?, ?, ?)', ['a', true, 10n])).toEqual({ changes: 1 });
    await db.run('INSERT INTO t (name, flag, big) VALUES (?, ?, ?)', ['b', false, null]);
    expect(await db.all('SELECT name, flag, big FROM t ORDER BY id')).toEqual([
      { name: 'a', flag: 1, big: 10 },
      { name: 'b', flag: 0, big: null },
    ]);
    expect(await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM t WHERE flag = ?', [true])).toEqual({ n: 1 });
    expect(await db.get('SELECT * FROM t WHERE name = ?', ['zzz'])).toBeUndefined();
    expect(await db.run('UPDATE t SET flag = 1')).toEqual({ changes: 2 });
    // all/get on a statement returning nothing behave like run (as on PostgreSQL).
    expect(await db.all('DELETE FROM t WHERE name = ?', ['b'])).toEqual([]);
    expect(await db.all<{ name: string }>('DELETE FROM t RETURNING name')).toEqual([{ name: 'a' }]);
  });

  it('reports SQL mistakes as plain errors', async () => {
    const db = openDb();
    await expect(db.run('INSERT INTO nowhere VALUES (?)', [1])).rejects.toThrow(/no such table/);
    await expect(db.run('INSERT INTO nowhere VALUES (?)', [1])).rejects.not.toBeInstanceOf(StoreUnavailableError);
  });

  it('commits a transaction and rolls it back when its work fails', async () => {
    const db = openDb();
    await db.exec('CREATE TABLE t (v INTEGER)');
    expect(await db.transaction(async (tx) => (await tx.run('INSERT INTO t VALUES (?)', [1])).changes)).toBe(1);
    await expect(
      db.transaction(async (tx) => {
        await tx.run('INSERT INTO t VALUES (?)', [2]);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await db.all('SELECT v FROM t')).toEqual([{ v: 1 }]);
  });

  it('serialises transactions: no statement of another interleaves', async () => {
    const db = openDb();
    await db.exec('CREATE TABLE c (n INTEGER); INSERT INTO c VALUES (0);');
    const increment = () =>
      db.transaction(async (tx) => {
        const { n } = (await tx.get<{ n: number }>('SELECT n FROM c'))!;
        await sleep(2);
        await tx.run('UPDATE c SET n = ?', [n + 1]);
      });
    await Promise.all(Array.from({ length: 20 }, increment));
    expect(await db.get('SELECT n FROM c')).toEqual({ n: 20 });
  });

  it('makes statements outside a transaction wait for the running one', async () => {
    const db = openDb();
    await db.exec('CREATE TABLE t (v INTEGER)');
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    const tx = db.transaction(async (t) => {
      await t.run('INSERT INTO t VALUES (1)');
      inside();
      await sleep(30);
      await t.run('INSERT INTO t VALUES (2)');
    });
    await entered;
    // Would see one row (the uncommitted write of the same connection) if it did not wait.
    expect(await db.get('SELECT COUNT(*) AS n FROM t')).toEqual({ n: 2 });
    await tx;
  });

  it('refuses the transaction executor once the transaction is over', async () => {
    const db = openDb();
    let escaped!: SqlExecutor;
    await db.transaction(async (tx) => {
      escaped = tx;
    });
    await expect(escaped.run('SELECT 1')).rejects.toThrow(/already finished/);
  });

  it('lets two connections to one file take turns without blocking the event loop', async () => {
    const filename = join(dir, 'shared.db');
    const a = openDb(filename);
    const b = openDb(filename);
    await a.exec('CREATE TABLE c (n INTEGER); INSERT INTO c VALUES (0);');
    const increment = (db: SqliteReadModelDatabase) =>
      db.transaction(async (tx) => {
        const { n } = (await tx.get<{ n: number }>('SELECT n FROM c'))!;
        await sleep(1);
        await tx.run('UPDATE c SET n = ?', [n + 1]);
      });
    await Promise.all(Array.from({ length: 30 }, (_, i) => increment(i % 2 === 0 ? a : b)));
    expect(await b.get('SELECT n FROM c')).toEqual({ n: 30 });
  });

  it('maps a write lock held too long by another connection to StoreUnavailableError', async () => {
    const filename = join(dir, 'busy.db');
    const holder = openDb(filename);
    const waiter = openDb(filename, 100);
    await holder.exec('CREATE TABLE t (v INTEGER)');
    let release!: () => void;
    const held = holder.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (1)');
      await new Promise<void>((resolve) => (release = resolve));
    });
    await sleep(5);
    const started = Date.now();
    await expect(waiter.transaction((tx) => tx.run('INSERT INTO t VALUES (2)'))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    release();
    await held;
    // Reads never wait for writers (WAL).
    expect(await waiter.get('SELECT COUNT(*) AS n FROM t')).toEqual({ n: 1 });
  });

  it('answers StoreUnavailableError once closed, after the running transaction finished', async () => {
    const db = openDb();
    await db.exec('CREATE TABLE t (v INTEGER)');
    const tx = db.transaction(async (t) => {
      await sleep(10);
      await t.run('INSERT INTO t VALUES (1)');
    });
    await db.close();
    await tx;
    await expect(db.run('SELECT 1')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(db.transaction(async () => undefined)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
