/**
 * Regression: global order compares transaction ids as numbers. Sorted as text, '100000' comes
 * before '99999', so once a cluster's transaction ids gain a digit a reader would skip events.
 */
import { Client } from 'pg';
import { PostgresEventStore } from './postgres-event-store';
import { TEST_DATABASE_URL, dropSchema, freshSchemaName } from '../../test/postgres-test-database';

describe('PostgresEventStore global order across a transaction-id digit boundary', () => {
  const schema = freshSchemaName('pgorder');
  let store: PostgresEventStore;
  let raw: Client;

  beforeAll(async () => {
    store = new PostgresEventStore({ connectionString: TEST_DATABASE_URL, schema });
    await store.init();
    raw = new Client({ connectionString: TEST_DATABASE_URL });
    await raw.connect();
    // Events as if written by old transactions 9999 and 10000 (both long finished, so visible).
    for (const [xid, type, rev] of [['10000', 'Second', 1], ['9999', 'First', 0]] as const)
      await raw.query(
        `INSERT INTO "${schema}".es_events (transaction_id, event_id, stream_name, revision, type, data, metadata)
         VALUES ($1::xid8, gen_random_uuid(), 'digits', $2, $3, '{}', '{"actor":{"type":"system","id":"system"}}')`,
        [xid, rev, type],
      );
  });
  afterAll(async () => {
    await store?.close();
    await raw?.end();
    await dropSchema(schema);
  });

  it('reads 9999 before 10000, page by page, and reports 10000 as the head', async () => {
    const [first] = await store.readAll({ maxCount: 1 });
    expect(first).toMatchObject({ type: 'First', position: { commit: 9999 } });
    const [second] = await store.readAll({ after: first.position, maxCount: 1 });
    expect(second).toMatchObject({ type: 'Second', position: { commit: 10000 } });
    expect(await store.readAll({ after: second.position })).toEqual([]);
    expect(await store.headPosition()).toMatchObject({ commit: 10000 });
  });
});
