import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import * as pg from 'pg';
import type { EventStore } from '@csmcp/event-store';
import { PostgresReadModelDatabase, SqliteReadModelDatabase, type ReadModelDatabase } from '@csmcp/projections';
import { kurrentFloor, postgresFloor, sqliteFloor, type Floor } from './floors';

/** One store under test, with its floor writing to the same table, and how to throw both away. */
export interface Target {
  readonly name: string;
  /** Versions and settings worth recording beside the figures. */
  readonly details: Record<string, string>;
  readonly store: EventStore;
  readonly floor: Floor;
  /** Where the projection benchmark builds its read model: the database a deployment would pair with the store. */
  readonly readModel: ReadModelDatabase;
  dispose(): Promise<void>;
}

export interface TargetSpec {
  readonly name: 'sqlite' | 'postgres' | 'eventstoredb';
  /** Why this store is not measured in this run; undefined when it is. */
  readonly skipReason?: string;
  open(): Promise<Target>;
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
/** As many pooled clients for the PostgreSQL floor as there are concurrent writers. */
const POSTGRES_FLOOR_POOL = 8;

// Adapters are imported on demand and by relative path: nest build rewrites @csmcp/... aliases in
// static imports only, so an aliased dynamic import would not resolve from dist/.
export async function targetSpecs(only: readonly string[] | null): Promise<TargetSpec[]> {
  const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const eventstoreUrl = process.env.EVENTSTORE_URL;
  const specs: TargetSpec[] = [
    { name: 'sqlite', open: openSqlite },
    { name: 'postgres', skipReason: await postgresUnreachable(databaseUrl), open: () => openPostgres(databaseUrl) },
    {
      name: 'eventstoredb',
      skipReason: eventstoreUrl ? undefined : 'EVENTSTORE_URL is not set',
      open: () => openEventStoreDb(eventstoreUrl!),
    },
  ];
  return specs.map((spec) =>
    only && !only.includes(spec.name) ? { ...spec, skipReason: `not in --only ${only.join(',')}` } : spec,
  );
}

async function openSqlite(): Promise<Target> {
  const { SqliteEventStore } = await import('../libs/event-store/src/sqlite/sqlite-event-store');
  const dir = mkdtempSync(join(tmpdir(), 'csmcp-bench-'));
  const filename = join(dir, 'events.sqlite');
  // The store creates its schema; the floor then opens the same file with its own connection.
  const store = new SqliteEventStore({ filename });
  const floor = sqliteFloor(filename);
  const readModel = new SqliteReadModelDatabase({ filename: join(dir, 'read-models.sqlite') });
  const memory = new Database(':memory:');
  const sqliteVersion = memory.prepare<[], { v: string }>('SELECT sqlite_version() AS v').get()!.v;
  memory.close();
  return {
    name: 'sqlite',
    details: {
      driver: `better-sqlite3 ${packageVersion('better-sqlite3')}, SQLite ${sqliteVersion}`,
      settings: 'journal_mode=WAL, synchronous=FULL',
      file: filename,
    },
    store,
    floor,
    readModel,
    async dispose() {
      await readModel.close();
      await floor.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openPostgres(connectionString: string): Promise<Target> {
  const { PostgresEventStore } = await import('../libs/event-store/src/postgres/postgres-event-store');
  const schema = `bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const store = new PostgresEventStore({ connectionString, schema });
  await store.init();
  const floor = postgresFloor(connectionString, schema, POSTGRES_FLOOR_POOL);
  const readModel = new PostgresReadModelDatabase({ connectionString, schema: `${schema}_rm` });
  const server = await withClient(connectionString, async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v);
  const settings = await withClient(connectionString, async (c) => {
    const { rows } = await c.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync', 'shared_buffers') ORDER BY name`,
    );
    return rows.map((r) => `${r.name}=${r.setting}`).join(', ');
  });
  return {
    name: 'postgres',
    details: {
      driver: `pg ${packageVersion('pg')}, PostgreSQL ${server}`,
      settings,
      schema: `${schema}, read models in ${schema}_rm (both dropped afterwards)`,
      pools: `store: adapter default (10), floor: ${POSTGRES_FLOOR_POOL}`,
    },
    store,
    floor,
    readModel,
    async dispose() {
      await readModel.close();
      await floor.close();
      await store.close();
      await withClient(connectionString, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}", "${schema}_rm" CASCADE`));
    },
  };
}

async function openEventStoreDb(connectionString: string): Promise<Target> {
  const { KurrentEventStore } = await import('../libs/event-store/src/eventstoredb/kurrent-event-store');
  const { normalizeConnectionString } = await import('../libs/event-store/src/eventstoredb/kurrent-mapping');
  const store = new KurrentEventStore({ connectionString });
  await store.ping().catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  // The client takes esdb:// URLs under their new name only, as the adapter knows.
  const floor = await kurrentFloor(normalizeConnectionString(connectionString));
  const dir = mkdtempSync(join(tmpdir(), 'csmcp-bench-'));
  const readModel = new SqliteReadModelDatabase({ filename: join(dir, 'read-models.sqlite') });
  return {
    name: 'eventstoredb',
    details: {
      driver: `@kurrent/kurrentdb-client ${packageVersion('@kurrent/kurrentdb-client')}`,
      // Streams cannot be dropped like a schema: each run writes streams of its own, and replays read them all.
      note: 'replays cover every user event in the database, earlier runs included',
      readModels: 'SQLite in a temp dir',
    },
    store,
    floor,
    readModel,
    async dispose() {
      await readModel.close();
      await floor.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresUnreachable(connectionString: string): Promise<string | undefined> {
  try {
    await withClient(connectionString, (c) => c.query('SELECT 1'));
    return undefined;
  } catch (error) {
    return `PostgreSQL not reachable at ${redact(connectionString)} (${(error as Error).message})`;
  }
}

/** One short-lived client for a single piece of admin work (version, settings, DROP SCHEMA). */
export async function withClient<T>(connectionString: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return '(version unknown)';
  }
}

/** Never print a password from DATABASE_URL. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
