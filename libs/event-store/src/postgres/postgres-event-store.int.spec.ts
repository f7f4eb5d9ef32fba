import { runEventStoreContract } from '../../test/event-store.contract';
import { PostgresEventStore } from './postgres-event-store';
import { TEST_DATABASE_URL, dropSchema, freshSchemaName } from '../../test/postgres-test-database';

const schema = freshSchemaName('contract');
const connectionString = TEST_DATABASE_URL;

runEventStoreContract(
  'postgres',
  async () => {
    const store = new PostgresEventStore({ connectionString, schema });
    await store.init();
    return {
      store,
      locator: { adapter: 'postgres', connectionString, schema },
      openAnother: async () => new PostgresEventStore({ connectionString, schema }),
      globallyUniqueEventIds: true,
    };
  },
  () => dropSchema(schema),
);
