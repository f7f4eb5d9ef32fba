import type { EventStore } from '@csmcp/event-store';
import type { ReadModelDatabase } from '@csmcp/projections';
import type { ReadModelConfig, StoreConfig } from '../config/config';

/** Opens the configured event store. Adapters are loaded on demand so only the chosen driver is required. */
export async function openEventStore(config: StoreConfig): Promise<EventStore> {
  switch (config.kind) {
    case 'sqlite': {
      const { SqliteEventStore } = await import('@csmcp/event-store/sqlite/sqlite-event-store');
      return new SqliteEventStore({ filename: config.filename });
    }
    case 'postgres': {
      const { PostgresEventStore } = await import('@csmcp/event-store/postgres/postgres-event-store');
      return new PostgresEventStore({ connectionString: config.connectionString, schema: config.schema });
    }
    case 'eventstoredb': {
      const { KurrentEventStore } = await import('@csmcp/event-store/eventstoredb/kurrent-event-store');
      return new KurrentEventStore({ connectionString: config.connectionString });
    }
  }
}

export async function openReadModelDatabase(config: ReadModelConfig): Promise<ReadModelDatabase> {
  const { SqliteReadModelDatabase, PostgresReadModelDatabase } = await import('@csmcp/projections');
  return config.kind === 'sqlite'
    ? new SqliteReadModelDatabase({ filename: config.filename })
    : new PostgresReadModelDatabase({ connectionString: config.connectionString, schema: config.schema });
}
