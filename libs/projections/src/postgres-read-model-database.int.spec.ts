import { Client } from 'pg';
import { StoreUnavailableError } from '@csmcp/event-store';
import { DATABASE_URL, dropSchema, freshSchemaName } from '../test/support/postgres';
import { PostgresReadModelDatabase } from './postgres-read-model-database';
import { send } from './sql';

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

  describe('queued statements in a transaction', () => {
    beforeAll(async () => {
      await db.exec('CREATE TABLE queued (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)');
    });

    it('runs them in order, and a statement awaited after them sees their effects', async () => {
      const seen = await db.transaction(async (tx) => {
        for (let i = 1; i <= 50; i++) tx.queue('INSERT INTO queued (id, v) VALUES (?, ?)', [i, i]);
        tx.queue('UPDATE queued SET v = v * 10 WHERE id <= ?', [10]);
        await send(tx, 'UPDATE queued SET v = v + 1 WHERE id = ?', [1]);
        return tx.get<{ n: number; total: number }>('SELECT COUNT(*) AS n, SUM(v) AS total FROM queued');
      });
      // 1..50 summed (1275), ids 1-10 ten times (+495), id 1 plus one.
      expect(seen).toEqual({ n: 50, total: 1275 + 495 + 1 });
      expect(await db.get('SELECT v FROM queued WHERE id = 1')).toEqual({ v: 11 });
    });

    it("throws the failing statement's own error at the next awaited one, and the transaction writes nothing", async () => {
      const attempt = db.transaction(async (tx) => {
        tx.queue('INSERT INTO queued (id, v) VALUES (?, ?)', [100, 1]);
        tx.queue('INSERT INTO queued (id, v) VALUES (?, ?)', [100, 2]);
        tx.queue('INSERT INTO queued (id, v) VALUES (?, ?)', [101, 3]);
        await tx.get('SELECT 1 AS one');
      });
      await expect(attempt).rejects.toMatchObject({ code: '23505' });
      expect(await db.get('SELECT COUNT(*) AS n FROM queued WHERE id >= 100')).toEqual({ n: 0 });
    });

    it('fails the transaction at its end when nothing was awaited after the failing statement', async () => {
      const attempt = db.transaction(async (tx) => {
        tx.queue('INSERT INTO queued (id, v) VALUES (?, ?)', [200, 1]);
        tx.queue('INSERT INTO queued (id, v) VALUES (?, ?)', [201, null as unknown as number]);
      });
      await expect(attempt).rejects.toMatchObject({ code: '23502' });
      expect(await db.get('SELECT COUNT(*) AS n FROM queued WHERE id >= 200')).toEqual({ n: 0 });
      // The connection is usable afterwards.
      await db.transaction(async (tx) => tx.queue('INSERT INTO queued (id, v) VALUES (?, ?)', [202, 1]));
      expect(await db.get('SELECT v FROM queued WHERE id = 202')).toEqual({ v: 1 });
    });

    it('keeps working after the table its prepared statements name is dropped and created again', async () => {
      for (const type of ['INTEGER', 'BIGINT']) {
        await db.exec(`DROP TABLE IF EXISTS recreated; CREATE TABLE recreated (id INTEGER PRIMARY KEY, v ${type})`);
        await db.transaction(async (tx) => {
          for (let i = 0; i < 8; i++) tx.queue('INSERT INTO recreated (id, v) VALUES (?, ?)', [i, i]);
        });
        expect(await db.get('SELECT COUNT(*) AS n FROM recreated')).toEqual({ n: 8 });
      }
    });
  });
});
