import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import * as pg from 'pg';
import type { Position as KurrentPosition, ReadPosition } from '@kurrent/kurrentdb-client';
import { floorMetadata, readPages, type BenchEvent, type ReadCount, type Subject } from './workload';

/**
 * The floors: the same rows written and read with the database driver alone, into and from the very
 * table the csmcp store uses (same schema, indexes and settings), with none of the store's work:
 * no input validation, no expected-revision check, no idempotency lookup, no notification.
 * Each append is still one transaction, and a replay still decodes the JSON payloads, because any
 * real use of an event log has to.
 */
export interface Floor extends Subject {
  /** The same replay without decoding data and metadata: rows exactly as the driver hands them over. */
  replayUndecoded?(pageSize: number, deadline: number): Promise<ReadCount>;
  close(): Promise<void>;
}

/** better-sqlite3 on the store's file: WAL, synchronous=FULL, one transaction per append. */
export function sqliteFloor(filename: string): Floor {
  const db = new Database(filename);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  const insert = db.prepare('INSERT INTO events (event_id, stream_name, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');
  const page = db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?');
  const appendAll = db.transaction((stream: string, last: number, events: readonly BenchEvent[]) => {
    const correlationId = randomUUID();
    events.forEach((event, i) => {
      const id = randomUUID();
      insert.run(id, stream, last + 1 + i, event.type, JSON.stringify(event.data), JSON.stringify(floorMetadata(id, correlationId)));
    });
  });
  const replay = (pageSize: number, deadline: number, decode: boolean) =>
    readPages<number>(pageSize, deadline, async (after) => {
      const rows = page.all(after ?? 0, pageSize);
      // Decoded into new objects, as the store does; a replay here only counts them.
      const events = decode ? rows.map(decodeRow) : rows;
      return { count: events.length, last: rows.at(-1)?.position ?? null };
    });
  return {
    label: 'better-sqlite3',
    append: (stream, last, events) => appendAll(stream, last, events),
    replay: (pageSize, deadline) => replay(pageSize, deadline, true),
    replayUndecoded: (pageSize, deadline) => replay(pageSize, deadline, false),
    close: async () => void db.close(),
  };
}

interface EventRow {
  position: number;
  event_id: string;
  stream_name: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
}

function decodeRow(row: EventRow) {
  return {
    position: row.position,
    eventId: row.event_id,
    streamName: row.stream_name,
    revision: row.revision,
    type: row.type,
    data: JSON.parse(row.data) as unknown,
    metadata: JSON.parse(row.metadata) as unknown,
  };
}

/**
 * node-postgres on the store's es_events table: a plain INSERT per append (one statement, hence one
 * transaction; unnest for a batch), prepared, from a pool of `poolSize` clients.
 * The json columns are decoded by the driver itself; the undecoded replay casts them to text.
 */
export function postgresFloor(connectionString: string, schema: string, poolSize: number): Floor {
  const pool = new pg.Pool({ connectionString, max: poolSize });
  const table = `"${schema}".es_events`;
  const insertOne = `INSERT INTO ${table} (event_id, stream_name, revision, type, data, metadata) VALUES ($1, $2, $3, $4, $5, $6)`;
  const insertMany = `INSERT INTO ${table} (event_id, stream_name, revision, type, data, metadata)
    SELECT id, $1, revision, type, data, metadata
    FROM unnest($2::uuid[], $3::bigint[], $4::text[], $5::json[], $6::json[]) AS e(id, revision, type, data, metadata)`;
  const select = (payload: string) =>
    `SELECT global_position, event_id, stream_name, revision, type, ${payload} FROM ${table}
     WHERE global_position > $1 ORDER BY global_position LIMIT $2`;
  const replay = (name: string, text: string, pageSize: number, deadline: number) =>
    readPages<string>(pageSize, deadline, async (after) => {
      const { rows } = await pool.query<{ global_position: string }>({ name, text, values: [after ?? '0', pageSize] });
      return { count: rows.length, last: rows.at(-1)?.global_position ?? null };
    });
  return {
    label: 'node-postgres',
    async append(stream, last, events) {
      const correlationId = randomUUID();
      const ids = events.map(() => randomUUID());
      const metadata = ids.map((id) => JSON.stringify(floorMetadata(id, correlationId)));
      if (events.length === 1) {
        const [event] = events;
        await pool.query({ name: 'floor_insert_one', text: insertOne, values: [ids[0], stream, last + 1, event.type, JSON.stringify(event.data), metadata[0]] });
        return;
      }
      const revisions = events.map((_, i) => last + 1 + i);
      await pool.query({
        name: 'floor_insert_many',
        text: insertMany,
        values: [stream, ids, revisions, events.map((e) => e.type), events.map((e) => JSON.stringify(e.data)), metadata],
      });
    },
    replay: (pageSize, deadline) => replay('floor_replay', select('data, metadata'), pageSize, deadline),
    replayUndecoded: (pageSize, deadline) => replay('floor_replay_text', select('data::text, metadata::text'), pageSize, deadline),
    close: () => pool.end(),
  };
}

/**
 * The KurrentDB client alone: appendToStream with the same expected revision check the server does
 * anyway, and readAll in pages of user events (system events filtered out by the server).
 */
export async function kurrentFloor(connectionString: string): Promise<Floor> {
  const kurrent = await import('@kurrent/kurrentdb-client');
  const client = kurrent.KurrentDBClient.connectionString(connectionString);
  return {
    label: 'kurrentdb-client',
    async append(stream, last, events) {
      const correlationId = randomUUID();
      const data = events.map((event) => {
        const id = randomUUID();
        return kurrent.jsonEvent({ id, type: event.type, data: event.data, metadata: floorMetadata(id, correlationId) });
      });
      await client.appendToStream(stream, data, { streamState: last < 0 ? kurrent.NO_STREAM : BigInt(last) });
    },
    replay(pageSize, deadline) {
      let seen: KurrentPosition | null = null;
      return readPages<KurrentPosition>(pageSize, deadline, async (after) => {
        let count = 0;
        const from: ReadPosition = after ?? kurrent.START;
        // Should a read start at (not after) its position, the previous page's last event comes again:
        // one more is asked for and that one is not counted twice.
        const maxCount = after ? pageSize + 1 : pageSize;
        for await (const resolved of client.readAll({ fromPosition: from, maxCount, filter: kurrent.excludeSystemEvents() })) {
          const position: KurrentPosition | undefined = resolved.event?.position;
          if (position && seen && position.commit === seen.commit && position.prepare === seen.prepare) continue;
          count++;
          if (position) seen = position;
        }
        return { count, last: seen };
      });
    },
    close: () => client.dispose(),
  };
}
