import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { DATABASE_URL, dropSchema, freshSchemaName } from '../test/support/postgres';
import { recorder, runProjectionRunnerSuite } from '../test/projection-runner.suite';
import { PostgresReadModelDatabase } from './postgres-read-model-database';
import { ProjectionRunner } from './projection-runner';

runProjectionRunnerSuite(
  'postgres',
  () => {
    const schema = freshSchemaName('csmcp_projections');
    return {
      open: async () => new PostgresReadModelDatabase({ connectionString: DATABASE_URL, schema, poolSize: 4 }),
      cleanup: () => dropSchema(schema),
    };
  },
  { rebuildEvents: 5_000 },
);

describe('ProjectionRunner on a brand-new PostgreSQL schema', () => {
  const schema = freshSchemaName('csmcp_projections_race');
  const dir = mkdtempSync(join(tmpdir(), 'csmcp-projections-race-'));

  afterAll(async () => {
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets several processes start the same projections at the same moment', async () => {
    const store = new SqliteEventStore({ filename: join(dir, 'events.db') });
    const dbs = Array.from({ length: 3 }, () => new PostgresReadModelDatabase({ connectionString: DATABASE_URL, schema, poolSize: 2 }));
    const runners = dbs.map((db) => new ProjectionRunner({ store, db, projections: [recorder('alpha'), recorder('beta')] }));
    try {
      await Promise.all(runners.map((r) => r.start()));
      const { position } = await store.appendToStream('s', [{ type: 'Counted', data: { seq: 1 } }], { expectedRevision: 'any' });
      await Promise.all(runners.map((r) => r.waitForPosition(position)));
      expect(await dbs[0].get('SELECT COUNT(*) AS n FROM alpha_applied')).toEqual({ n: 1 });
      expect(await dbs[0].get('SELECT n FROM beta_totals')).toEqual({ n: 1 });
    } finally {
      for (const r of runners) await r.stop();
      for (const db of dbs) await db.close();
      await store.close();
    }
  });
});
