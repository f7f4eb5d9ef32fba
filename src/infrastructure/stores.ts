import type { EventStore } from '@csmcp/event-store';
import { PostgresReadModelDatabase, SqliteReadModelDatabase, type ReadModelDatabase } from '@csmcp/projections';
import type { ReadModelConfig, StoreConfig } from '../config/config';

/**
 * Opens the configured event store. Adapters are loaded on demand so only the chosen driver is
 * required. Relative paths, not the @csmcp alias: the build rewrites aliases only in static imports,
 * and these paths hold in src/ and dist/ alike.
 */
export async function openEventStore(config: StoreConfig): Promise<EventStore> {
  switch (config.kind) {
    case 'sqlite': {
      const { SqliteEventStore } = await import('../../libs/event-store/src/sqlite/sqlite-event-store');
      return new SqliteEventStore({ filename: config.filename });
    }
    case 'postgres': {
      const { PostgresEventStore } = await import('../../libs/event-store/src/postgres/postgres-event-store');
      return new PostgresEventStore({ connectionString: config.connectionString, schema: config.schema });
    }
    case 'eventstoredb': {
      const { KurrentEventStore } = await import('../../libs/event-store/src/eventstoredb/kurrent-event-store');
      return new KurrentEventStore({ connectionString: config.connectionString });
    }
  }
}

export async function openReadModelDatabase(config: ReadModelConfig): Promise<ReadModelDatabase> {
  return config.kind === 'sqlite'
    ? // Read models are derived from the events (synchronous=FULL there) and each projection's checkpoint
      // commits with its rows, so a commit lost on power loss is projected again: no fsync per commit,
      // which blocked the event loop ~8 ms on every projected batch (every audited MCP call).
      new SqliteReadModelDatabase({ filename: config.filename, synchronous: 'NORMAL' })
    : new PostgresReadModelDatabase({ connectionString: config.connectionString, schema: config.schema });
}
