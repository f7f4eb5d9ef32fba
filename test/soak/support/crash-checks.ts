/**
 * What the crash and two-instance soaks check on the store itself after each restart, read from
 * outside the server (its own connections to the event store and the read models):
 * - every acknowledged write is in the store exactly once (its idempotency key's events are the ones
 *   the client was told about, no more) with exactly one audit entry that lists them and charges it;
 * - no write is half-applied: every event an MCP write made has its audit entry, and every entry's
 *   events exist;
 * - the live read models equal a rebuild from the first event into a scratch database;
 * - the audit log's hash chain verifies against its read model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore, RecordedEvent } from '@csmcp/event-store';
import { formatPosition } from '@csmcp/event-store';
import { PostgresEventStore } from '../../../libs/event-store/src/postgres/postgres-event-store';
import { SqliteEventStore } from '../../../libs/event-store/src/sqlite/sqlite-event-store';
import { PostgresReadModelDatabase, SqliteReadModelDatabase, type ReadModelDatabase } from '@csmcp/projections';
import { ProjectionRunner } from '../../../libs/projections/src/projection-runner';
import { verifyAuditLog, type VerifyReport } from '../../../src/audit/audit-verifier';
import { toEntry } from '../../../src/audit/audit-log';
import { AUDIT_STREAM } from '../../../src/audit/domain/audit-entry';
import { evolveLedger, initialLedger, type LedgerState } from '../../../src/audit/domain/ledger';
import { AuditProjection } from '../../../src/audit/read-model/audit.projection';
import { CustomerSuccessProjection } from '../../../src/customer-success/read-models/customer-success.projection';
import { UsersProjection } from '../../../src/customer-success/read-models/users.projection';
import { DATABASE_URL, pgQuery, type SoakStore } from './server-process';

/** The MCP write tools the soaks call, and the price of each (the default write price). */
export const WRITE_PRICE = 2;

/** One write as the client sent it, and what it learned of its fate. */
export interface WriteRecord {
  readonly key: string;
  readonly tool: string;
  readonly args: Record<string, unknown>;
  /** Which kill cycle sent it first. */
  readonly round: number;
  /** Which writer of the load sent it. */
  readonly writer?: number;
  /** acked: the client got a result; unknown: the connection died first; refused: a tool error. */
  state: 'pending' | 'acked' | 'unknown' | 'refused';
  result?: { entity_id: string; events: Array<{ id: string; type: string }>; replayed: boolean };
  error?: string;
  /** It was in flight at a kill, and found written after the restart (not a retry's doing). */
  landedBeforeRetry?: boolean;
}

/** The projections csmcp serve runs and the tables each owns (docs/read-models.md, the audit read model). */
export const PROJECTED_TABLES = [
  'cs_companies',
  'cs_relationships',
  'cs_contacts',
  'cs_ctas',
  'cs_cta_tasks',
  'cs_success_plans',
  'cs_timeline_activities',
  'cs_scorecard_measures',
  'cs_scorecard_history',
  'cs_users',
  'audit_log',
  'audit_log_subjects',
] as const;

const projections = () => [new CustomerSuccessProjection(), new UsersProjection(), new AuditProjection()];

/** The store and read models of a soak store, opened from the test process. */
export interface StoreProbe {
  readonly events: EventStore;
  readonly readModels: ReadModelDatabase;
  /** Every event in global order. */
  allEvents(): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

export function openProbe(store: SoakStore): StoreProbe {
  const events: EventStore =
    store.kind === 'sqlite'
      ? new SqliteEventStore({ filename: join(store.dataDir, 'events.db') })
      : // The stable prefix on PostgreSQL stops below any transaction still running on the server (any schema:
        // other tests share it), holding newer events back until it ends (late, never lost). Wait for them
        // far longer than the default 2 s, so a write that is only late is not reported as lost.
        new PostgresEventStore({ connectionString: DATABASE_URL, schema: store.schema!, stableWaitMs: 60_000 });
  const readModels: ReadModelDatabase =
    store.kind === 'sqlite'
      ? new SqliteReadModelDatabase({ filename: join(store.dataDir, 'read-models.db') })
      : new PostgresReadModelDatabase({ connectionString: DATABASE_URL, schema: store.schema! });
  return {
    events,
    readModels,
    async allEvents() {
      const all: RecordedEvent[] = [];
      for (;;) {
        const page = await events.readAll({ after: all.length ? all[all.length - 1].position : null, maxCount: 5_000 });
        all.push(...page);
        if (page.length < 5_000) return all;
      }
    },
    async close() {
      await Promise.allSettled([events.close(), readModels.close()]);
    },
  };
}

/** What a check of the store found (counted across all writes so far). */
export interface WriteCheck {
  readonly problems: string[];
  readonly domainEvents: number;
  readonly auditEntries: number;
  readonly charged: number;
}

interface AuditCall {
  readonly seq: number;
  readonly tool: string;
  readonly outcome: string;
  readonly credits: number;
  readonly replayed: boolean;
  readonly events: Array<{ stream: string; id: string; type: string }>;
}

/** The MCP write tools (src/mcp/tools/write): their events must each have an audit entry. The CLI's writes (seed, users add) have none. */
export const MCP_WRITE_TOOLS: readonly string[] = [
  'create_cta',
  'update_cta',
  'create_cta_task',
  'create_timeline_activity',
  'update_timeline_activity',
  'create_success_plan',
  'update_success_plan',
];

const isMcpWrite = (e: RecordedEvent) =>
  e.streamName !== AUDIT_STREAM &&
  !e.streamName.startsWith('idempotency-') &&
  !e.streamName.startsWith('write-refusals-') &&
  MCP_WRITE_TOOLS.includes(String(e.metadata.toolName));

/**
 * The exactly-once and no-half-write invariants over the whole store. `records` are the writes the
 * client sent: acked ones must be there exactly once as acknowledged; unknown ones all or nothing.
 */
export function checkWrites(all: readonly RecordedEvent[], records: readonly WriteRecord[]): WriteCheck {
  const problems: string[] = [];
  const writes = all.filter(isMcpWrite);
  const byId = new Map<string, RecordedEvent[]>();
  for (const e of all) byId.set(e.id, [...(byId.get(e.id) ?? []), e]);
  for (const [id, list] of byId) if (list.length > 1) problems.push(`event id ${id} stored ${list.length} times`);

  const byKey = new Map<string, RecordedEvent[]>();
  for (const e of writes) {
    const key = e.metadata.idempotencyKey;
    if (typeof key === 'string') byKey.set(key, [...(byKey.get(key) ?? []), e]);
  }
  const calls: AuditCall[] = all
    .filter((e) => e.streamName === AUDIT_STREAM && e.type === 'ToolCallRecorded')
    .map((e) => {
      const body = (e.data as { body: Record<string, unknown> }).body;
      return {
        seq: e.revision,
        tool: String(body.tool),
        outcome: String(body.outcome),
        credits: Number(body.credits),
        replayed: body.replayed === true,
        events: (body.events as AuditCall['events']) ?? [],
      };
    });
  // The entry that wrote each event: an ok call that is not a replay.
  const writers = new Map<string, AuditCall[]>();
  for (const call of calls) {
    if (call.outcome !== 'ok' || call.replayed) continue;
    for (const e of call.events) writers.set(e.id, [...(writers.get(e.id) ?? []), call]);
    // No half-write the other way: every event an entry says it wrote exists, in the stream it names.
    for (const e of call.events) {
      const stored = byId.get(e.id);
      if (!stored) problems.push(`audit entry ${call.seq} (${call.tool}) lists event ${e.id} that is not in the store`);
      else if (stored[0].streamName !== e.stream) problems.push(`audit entry ${call.seq} lists event ${e.id} in ${e.stream}, stored in ${stored[0].streamName}`);
    }
    if (call.events.length > 0 && call.credits !== WRITE_PRICE) problems.push(`audit entry ${call.seq} (${call.tool}) charged ${call.credits}, not ${WRITE_PRICE}`);
  }
  for (const e of writes) {
    const entries = writers.get(e.id) ?? [];
    if (entries.length !== 1) problems.push(`event ${e.id} (${e.type} by ${String(e.metadata.toolName)}) has ${entries.length} audit entries, not 1`);
  }
  for (const call of calls) if (call.replayed && call.credits !== 0) problems.push(`replayed call at audit entry ${call.seq} charged ${call.credits}`);

  for (const r of records) {
    const stored = byKey.get(r.key) ?? [];
    if (r.state === 'acked') {
      const told = r.result!.events.map((e) => e.id).sort();
      const found = stored.map((e) => e.id).sort();
      if (JSON.stringify(told) !== JSON.stringify(found))
        problems.push(`${r.tool} ${r.key} acknowledged with events [${told.join(', ')}] but the store holds [${found.join(', ')}] under its key`);
      else if (!told.every((id) => (writers.get(id) ?? []).some((c) => c.tool === r.tool)))
        problems.push(`${r.tool} ${r.key}: its events have no audit entry of that tool`);
    } else if (r.state === 'refused') {
      if (stored.length > 0) problems.push(`${r.tool} ${r.key} was refused (${r.error}) but wrote ${stored.length} event(s)`);
    }
  }
  const charged = calls.reduce((sum, c) => sum + (c.outcome === 'ok' ? c.credits : 0), 0);
  return { problems, domainEvents: writes.length, auditEntries: calls.length, charged };
}

/**
 * Folds the audit log entry by entry, as the ledger does, and names every moment it was overspent:
 * the organisation's balance below zero, or a user's or integration's month past its limit.
 * Returns the problems and the final ledger.
 */
export function ledgerOverspends(all: readonly RecordedEvent[]): { problems: string[]; ledger: LedgerState } {
  const ledger = initialLedger();
  const problems: string[] = [];
  for (const e of all) {
    if (e.streamName !== AUDIT_STREAM) continue;
    evolveLedger(ledger, toEntry(e.revision, e.type, e.data));
    if (ledger.balance !== null && ledger.balance < 0) problems.push(`balance ${ledger.balance} after audit entry ${e.revision}`);
    for (const [scope, limits, months] of [
      ['user', ledger.userLimits, ledger.userMonth],
      ['integration', ledger.integrationLimits, ledger.integrationMonth],
    ] as const)
      for (const [key, used] of months) {
        const limit = limits.get(key.slice(key.indexOf('|') + 1));
        if (limit !== undefined && used > limit) problems.push(`${scope} ${key} used ${used} of a monthly limit of ${limit} after audit entry ${e.revision}`);
      }
  }
  return { problems, ledger };
}

/** Whether the events of an in-flight write are all there (true), none (false), or some (a half write: thrown). */
export function landed(all: readonly RecordedEvent[], key: string): boolean {
  const stored = all.filter((e) => isMcpWrite(e) && e.metadata.idempotencyKey === key);
  const marker = all.some((e) => e.streamName.startsWith('idempotency-') && e.metadata.idempotencyKey === key);
  if (stored.length > 0 !== marker) throw new Error(`write ${key} is half-applied: ${stored.length} event(s), idempotency record ${marker ? 'present' : 'missing'}`);
  return stored.length > 0;
}

/** A scratch read-model database the projections are rebuilt into, for comparing with the live one. */
export interface RebuildComparison {
  /** Rebuilds from the first event and compares every projected table with the live read models: differences, empty if none. */
  compare(probe: StoreProbe): Promise<string[]>;
  dispose(): Promise<void>;
}

export function rebuildComparison(store: SoakStore): RebuildComparison {
  const dir = store.kind === 'sqlite' ? mkdtempSync(join(tmpdir(), 'csmcp-rebuild-')) : null;
  const scratchSchema = store.kind === 'postgres' ? `${store.schema}_rebuilt` : null;
  let scratch: ReadModelDatabase | null = null;
  const open = () =>
    (scratch ??=
      store.kind === 'sqlite'
        ? new SqliteReadModelDatabase({ filename: join(dir!, 'read-models.db'), synchronous: 'NORMAL' })
        : new PostgresReadModelDatabase({ connectionString: DATABASE_URL, schema: scratchSchema! }));
  return {
    async compare(probe) {
      const db = open();
      for (let attempt = 1; ; attempt++) {
        const head = await probe.events.headPosition();
        const runner = new ProjectionRunner({ store: probe.events, db, projections: projections() });
        await runner.rebuild();
        // The live projections must be at the same head (the server caught up before and is idle).
        const live = await probe.readModels.all<{ name: string; position: string }>('SELECT name, position FROM projection_checkpoints');
        const behind = projections().filter((p) => live.find((c) => c.name === p.name)?.position !== formatPosition(head));
        // (The server's projections may wait for events held back on PostgreSQL, as the probe did.)
        if (behind.length > 0 && attempt < 120) {
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        const differences: string[] = behind.map((p) => `live projection ${p.name} is not at the head ${formatPosition(head)}: ${JSON.stringify(live)}`);
        for (const table of PROJECTED_TABLES) {
          const [a, b] = await Promise.all([rowsOf(probe.readModels, table), rowsOf(db, table)]);
          if (JSON.stringify(a) === JSON.stringify(b)) continue;
          const onlyLive = a.filter((r) => !b.includes(r));
          const onlyRebuilt = b.filter((r) => !a.includes(r));
          differences.push(
            `${table}: ${a.length} live rows, ${b.length} rebuilt; only live: ${onlyLive.slice(0, 3).join(' ')}; only rebuilt: ${onlyRebuilt.slice(0, 3).join(' ')}`,
          );
        }
        return differences;
      }
    },
    async dispose() {
      await (scratch as ReadModelDatabase | null)?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (scratchSchema) await pgQuery(`DROP SCHEMA IF EXISTS "${scratchSchema}" CASCADE`);
    },
  };
}

/** Every row of a table as canonical JSON (keys sorted), sorted. */
export async function rowsOf(db: ReadModelDatabase, table: string): Promise<string[]> {
  const rows = await db.all<Record<string, unknown>>(`SELECT * FROM ${table}`);
  return rows.map((row) => JSON.stringify(Object.fromEntries(Object.entries(row).sort(([x], [y]) => x.localeCompare(y))))).sort();
}

/** The audit chain from its first entry, and every audit_log row against it (what `csmcp audit verify` runs). */
export function verifyAudit(probe: StoreProbe): Promise<VerifyReport> {
  return verifyAuditLog(probe.events, probe.readModels);
}
