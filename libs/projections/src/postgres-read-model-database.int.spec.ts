import { Client } from 'pg';
import { StoreUnavailableError } from '@csmcp/event-store';
import { DATABASE_URL, dropSchema, freshSchemaName } from '../test/support/postgres';
import { PostgresReadModelDatabase } from './postgres-read-model-database';

const schema = freshSchemaName('csmcp_rmdb');
let db: PostgresReadModelDatabase;

beforeAll(() => {
  db = new PostgresReadModelDatabase({ connectionString: DATABASE_URL, schema, poolSize: 4 });
});

afterAll(async () => {
  await db.close();
  await dropSchema(schema);
});

describe('PostgresReadModelDatabase', () => {
  it('creates its schema and works in it on every connection', async () => {
    expect(db.dialect).toBe('postgres');
    await db.exec('CREATE TABLE IF NOT EXISTS where_am_i (v INTEGER); CREATE INDEX IF NOT EXISTS where_am_i_v ON where_am_i (v);');
    const rows = await db.all<{ table_schema: string }>("SELECT table_schema FROM information_schema.tables WHERE table_name = 'where_am_i'");
    expect(rows).toEqual([{ table_schema: schema }]);
    // Several connections at once: each has the search path.
    const paths = await Promise.all(Array.from({ length: 6 }, () => db.get<{ p: string }>('SELECT current_schema() AS p')));
    expect(new Set(paths.map((p) => p!.p))).toEqual(new Set([schema]));
  });

  it('rewrites ? placeholders and converts booleans, bigints and 64-bit results', async () => {
    await db.exec('CREATE TABLE t (id SERIAL PRIMARY KEY, name TEXT, flag BOOLEAN, big BIGINT)');
    expect(await db.run("INSERT INTO t (name, flag, big) VALUES (?, ?, ?)", ['a?', true, 9007199254740993n])).toEqual({ changes: 1 });
    await db.run("INSERT INTO t (name, flag, big) VALUES ('lit?', ?, ?)", [false, 5]);
    expect(await db.all('SELECT name, flag, big FROM t ORDER BY id')).toEqual([
      { name: 'a?', flag: true, big: 9007199254740993n },
      { name: 'lit?', flag: false, big: 5 },
    ]);
    expect(await db.get('SELECT COUNT(*) AS n FROM t WHERE flag = ?', [true])).toEqual({ n: 1 });
    expect(await db.get('SELECT * FROM t WHERE name = ?', ['none'])).toBeUndefined();
  });

  it('commits a transaction on one connection and rolls it back when its work fails', async () => {
    await db.exec('CREATE TABLE tx (v INTEGER)');
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO tx VALUES (?)', [1]);
      expect(await tx.get('SELECT COUNT(*) AS n FROM tx')).toEqual({ n: 1 });
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.run('INSERT INTO tx VALUES (?)', [2]);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await db.all('SELECT v FROM tx')).toEqual([{ v: 1 }]);
  });

  it('does not report success for a transaction a caught error aborted', async () => {
    await db.exec('CREATE TABLE aborted (v INTEGER)');
    await expect(
      db.transaction(async (tx) => {
        await tx.run('INSERT INTO aborted VALUES (1)');
        await tx.run('INSERT INTO nowhere VALUES (1)').catch(() => undefined);
      }),
    ).rejects.toThrow(/rolled back/);
    expect(await db.get('SELECT COUNT(*) AS n FROM aborted')).toEqual({ n: 0 });
  });

  it('refuses the transaction executor once the transaction is over', async () => {
    let escaped!: Parameters<Parameters<typeof db.transaction>[0]>[0];
    await db.transaction(async (tx) => {
      escaped = tx;
    });
    await expect(escaped.run('SELECT 1')).rejects.toThrow(/already finished/);
  });

  it('reports SQL mistakes as plain errors', async () => {
    const error = await db.run('SELECT * FROM nowhere').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect((error as { code?: string }).code).toBe('42P01');
  });

  it('maps an unreachable server to StoreUnavailableError', async () => {
    const down = new PostgresReadModelDatabase({ connectionString: 'postgres://postgres@127.0.0.1:1/test', connectTimeoutMs: 2_000 });
    try {
      await expect(down.get('SELECT 1')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(down.transaction(async () => undefined)).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await down.close();
    }
  });

  it('maps a connection killed by the server to StoreUnavailableError', async () => {
    const victim = new PostgresReadModelDatabase({ connectionString: DATABASE_URL, schema, poolSize: 1 });
    const admin = new Client({ connectionString: DATABASE_URL });
    await admin.connect();
    try {
      const pid = (await victim.get<{ pid: number }>('SELECT pg_backend_pid() AS pid'))!.pid;
      const outcome = victim.transaction(async (tx) => {
        await tx.run('SELECT pg_sleep(5)');
      });
      await new Promise((r) => setTimeout(r, 200));
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await expect(outcome).rejects.toBeInstanceOf(StoreUnavailableError);
      // The broken connection was dropped: the next statement gets a fresh one.
      expect(await victim.get('SELECT 1 AS one')).toEqual({ one: 1 });
    } finally {
      await admin.end();
      await victim.close();
    }
  });

  it('answers StoreUnavailableError once closed', async () => {
    const other = new PostgresReadModelDatabase({ connectionString: DATABASE_URL, schema });
    await other.get('SELECT 1');
    await other.close();
    await expect(other.get('SELECT 1')).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
