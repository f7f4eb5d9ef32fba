import type { EventStore, RecordedEvent } from '@csmcp/event-store';
import { ProjectionRunner, type Projection, type ReadModelDatabase, type SqlExecutor } from '@csmcp/projections';
import { makeEvent, timeRead, type ReadRate } from './workload';

/**
 * A projection as small as a real one gets: one upsert per ContactUpdated into a contacts table,
 * written once with `?` placeholders for SQLite and PostgreSQL alike.
 */
export const contactsProjection: Projection = {
  name: 'bench_contacts',
  version: 1,
  handles: ['ContactUpdated'],
  async setup(db: SqlExecutor) {
    await db.exec(`CREATE TABLE IF NOT EXISTS bench_contacts (
      contact_id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL,
      email      TEXT NOT NULL,
      seats      INTEGER NOT NULL,
      updated_at TEXT NOT NULL
    )`);
  },
  async reset(db: SqlExecutor) {
    await db.run('DELETE FROM bench_contacts');
  },
  async apply(event: RecordedEvent, db: SqlExecutor) {
    const data = event.data as { contactId: string; accountId: string; email: string; seats: number };
    await db.run(
      `INSERT INTO bench_contacts (contact_id, account_id, email, seats, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (contact_id) DO UPDATE SET account_id = excluded.account_id, email = excluded.email,
         seats = excluded.seats, updated_at = excluded.updated_at`,
      [data.contactId, data.accountId, data.email, data.seats, event.metadata.recordedAt],
    );
  },
};

/** Fills an empty store with `count` events (a multiple of 100), 100 per append; each contact is updated 10 times. */
export async function seedLog(store: EventStore, count: number, streamPrefix: string): Promise<void> {
  const contacts = count / 10;
  for (let n = 0; n < count; n += 100) {
    const events = Array.from({ length: 100 }, (_, i) => makeEvent((n + i) % contacts));
    await store.appendToStream(`${streamPrefix}-${n / 100}`, events, { expectedRevision: 'no_stream' });
  }
}

/**
 * ProjectionRunner.rebuild() over the whole log, `logSize` events: reset the read model, then apply
 * every event, 1,000 per read-model transaction. (No progress callback: it would make the runner
 * count the log first.) `contacts`: how many rows the seeded events must at least leave.
 */
export async function projectionRebuild(store: EventStore, db: ReadModelDatabase, logSize: number, contacts: number): Promise<ReadRate> {
  const runner = new ProjectionRunner({ store, db, projections: [contactsProjection] });
  const rate = await timeRead(async () => {
    await runner.rebuild();
    return { events: logSize, complete: true };
  });
  const row = await db.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM bench_contacts');
  if (!(Number(row?.n) >= contacts)) throw new Error(`the rebuild left ${row?.n} contacts, expected at least ${contacts}`);
  return rate;
}
