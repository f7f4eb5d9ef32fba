import type { EventStore, JsonObject } from '@csmcp/event-store';
import { PostgresEventStore } from '@csmcp/event-store/postgres/postgres-event-store';
import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { dropSchema, freshSchemaName, TEST_DATABASE_URL } from '../../libs/event-store/test/postgres-test-database';
import { AuditLog, toEntry } from './audit-log';
import { AUDIT_STREAM, type AuditBody } from './domain/audit-entry';
import { evolveLedger, initialLedger, type LedgerState } from './domain/ledger';
import { verifyChainPart } from './domain/verify-chain';
import { LEDGER_FOLD_VERSION, LEDGER_SNAPSHOT_STREAM, LEDGER_SNAPSHOT_TYPE, toSnapshotData } from './ledger-snapshot';

const admin = { type: 'system' as const, id: 'cli', email: null };
const grant = (amount: number): AuditBody => ({ type: 'CreditsGranted', body: { at: '2025-04-01T00:00:00.000Z', by: admin, amount, reason: 'test' } });
const call = (i: number): AuditBody => ({
  type: 'ToolCallRecorded',
  body: {
    at: `2025-0${1 + (i % 3)}-02T08:00:00.000Z`,
    actor: { type: 'user', id: `u${i % 4}`, email: null },
    integrationId: i % 2 ? 'claude' : null,
    integrationName: i % 2 ? 'Claude' : null,
    accessContext: 'shared',
    sessionId: null,
    requestId: null,
    sourceIp: null,
    tool: 'get_company',
    kind: 'read',
    args: {},
    outcome: 'ok',
    code: null,
    message: null,
    credits: 1 + (i % 3),
    durationMs: 1,
    subject: null,
    companyId: null,
    events: [],
    changes: [],
    replayed: false,
  },
});
const limit = (id: string, monthlyLimit: number): AuditBody => ({
  type: 'CreditLimitSet',
  body: { at: '2025-04-01T00:00:00.000Z', by: admin, scope: 'user', id, monthlyLimit, reason: 'test' },
});

/** The whole log folded from its first entry: what a ledger must equal however it was loaded. */
async function fullFold(store: EventStore): Promise<LedgerState> {
  const state = initialLedger();
  for (const e of await store.readStream(AUDIT_STREAM)) evolveLedger(state, toEntry(e.revision, e.type, e.data));
  return state;
}

/** Audit-log events a store hands back, counted. */
function counting(store: EventStore): { store: EventStore; auditEventsRead: () => number } {
  let read = 0;
  const wrapped = Object.create(store) as EventStore;
  Object.assign(wrapped, {
    readStream: async (...args: Parameters<EventStore['readStream']>) => {
      const events = await store.readStream(...args);
      if (args[0] === AUDIT_STREAM) read += events.length;
      return events;
    },
  });
  return { store: wrapped, auditEventsRead: () => read };
}

describe.each([['SQLite'], ['PostgreSQL']] as const)('audit ledger snapshots on %s', (adapter) => {
  let store: EventStore;
  let schema: string;
  beforeEach(() => {
    schema = freshSchemaName('ledger');
    store =
      adapter === 'SQLite'
        ? new SqliteEventStore({ filename: ':memory:' })
        : new PostgresEventStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4 });
  });
  afterEach(async () => {
    await store.close();
    if (adapter === 'PostgreSQL') await dropSchema(schema);
  });

  /** 1 grant, 2 limits and `calls` calls, written by an AuditLog snapshotting every `every` entries. */
  async function fill(calls: number, every: number): Promise<AuditLog> {
    const log = new AuditLog(store);
    log.snapshots.every = every;
    await log.record(grant(10_000), limit('u1', 5_000), limit('u2', 7));
    for (let i = 0; i < calls; i += 10) await log.record(...Array.from({ length: Math.min(10, calls - i) }, (_, k) => call(i + k)));
    await log.snapshots.idle();
    return log;
  }

  it('starts from the latest snapshot and folds only the entries after it, to the same ledger as a full fold', async () => {
    const writer = await fill(95, 20);
    const snapshots = await store.readStream(LEDGER_SNAPSHOT_STREAM);
    expect(snapshots.length).toBeGreaterThanOrEqual(3);
    const latest = snapshots[snapshots.length - 1].data as { seq: number };
    const expected = await fullFold(store);
    expect(await writer.ledger()).toEqual(expected);

    const { store: reader, auditEventsRead } = counting(store);
    const restarted = new AuditLog(reader);
    expect(await restarted.ledger()).toEqual(expected);
    // The entry the snapshot names (its hash checked), then the tail after it: not the 98 entries.
    expect(auditEventsRead()).toBe(1 + (97 - latest.seq));
    expect(auditEventsRead()).toBeLessThan(98);

    // It goes on from there like any ledger.
    const [entry] = await restarted.record(call(99));
    expect(entry.seq).toBe(98);
    expect(await restarted.ledger()).toEqual(await fullFold(store));
  }, 120_000);

  it('ignores a snapshot whose entry has another hash, or of another fold version, and folds the whole log', async () => {
    await fill(30, 1_000_000);
    const expected = await fullFold(store);
    const forged = { ...toSnapshotData(expected)!, balance: 1_000_000_000, hash: 'f'.repeat(64) };
    await store.appendToStream(LEDGER_SNAPSHOT_STREAM, [{ type: LEDGER_SNAPSHOT_TYPE, data: forged as unknown as JsonObject }], { expectedRevision: 'any' });
    expect(await new AuditLog(store).ledger()).toEqual(expected);

    const older = { ...toSnapshotData(expected)!, version: LEDGER_FOLD_VERSION + 1, balance: 1 };
    await store.appendToStream(LEDGER_SNAPSHOT_STREAM, [{ type: LEDGER_SNAPSHOT_TYPE, data: older as unknown as JsonObject }], { expectedRevision: 'any' });
    const { store: reader, auditEventsRead } = counting(store);
    expect(await new AuditLog(reader).ledger()).toEqual(expected);
    expect(auditEventsRead()).toBe(33);
  }, 120_000);

  it('leaves the audit log itself as it was: the chain verifies entry by entry from the first', async () => {
    await fill(45, 10);
    const entries = (await store.readStream(AUDIT_STREAM)).map((e) => toEntry(e.revision, e.type, e.data));
    expect(entries).toHaveLength(48);
    expect(verifyChainPart(entries, null)).toEqual({ broken: null, last: { seq: 47, hash: entries[47].hash } });
    // Snapshots are in their own stream, never in the log.
    expect(new Set(entries.map((e) => e.type)).has(LEDGER_SNAPSHOT_TYPE as never)).toBe(false);
    expect((await store.readStream(LEDGER_SNAPSHOT_STREAM)).length).toBeGreaterThan(0);
  }, 120_000);
});
