import type { EventStore } from '../../src/event-store.port';

/** How a child process opens the same store as the test: plain JSON so it crosses a process boundary. */
export type StoreLocator =
  | { readonly adapter: 'sqlite'; readonly filename: string }
  | { readonly adapter: 'postgres'; readonly connectionString: string; readonly schema: string }
  | { readonly adapter: 'eventstoredb'; readonly connectionString: string };

export async function openStore(locator: StoreLocator): Promise<EventStore> {
  // Required lazily so a run against one adapter never loads the others' drivers.
  switch (locator.adapter) {
    case 'sqlite': {
      const { SqliteEventStore } = await import('../../src/sqlite/sqlite-event-store');
      return new SqliteEventStore({ filename: locator.filename });
    }
    case 'postgres': {
      const { PostgresEventStore } = await import('../../src/postgres/postgres-event-store');
      return new PostgresEventStore({ connectionString: locator.connectionString, schema: locator.schema });
    }
    case 'eventstoredb': {
      const { KurrentEventStore } = await import('../../src/eventstoredb/kurrent-event-store');
      return new KurrentEventStore({ connectionString: locator.connectionString });
    }
  }
}
