import type { EventStore } from '@csmcp/event-store';
import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { AuditLog } from './audit-log';
import type { AuditBody } from './domain/audit-entry';

const admin = { type: 'user' as const, id: 'u-admin', email: 'admin@example.com' };
const grant = (amount: number): AuditBody => ({ type: 'CreditsGranted', body: { at: '2026-11-22T08:00:00.000Z', by: admin, amount, reason: 'test' } });
const call = (credits: number): AuditBody => ({
  type: 'ToolCallRecorded',
  body: {
    at: '2026-11-22T08:00:01.000Z', actor: { type: 'user', id: 'u-ann', email: 'ann@example.com' }, integrationId: null, integrationName: null, accessContext: 'personal',
    sessionId: null, requestId: null, sourceIp: null, tool: 'get_company', kind: 'read', args: {}, outcome: 'ok', code: null, message: null,
    credits, durationMs: 1, subject: null, companyId: null, events: [], changes: [], replayed: false,
  },
});

/** The store, with its next readStream held until released: the read answers with what is there by then. */
function holdingReads(store: EventStore): { store: EventStore; holdNext(): { release(): void } } {
  let gate: Promise<void> | null = null;
  const wrapped = new Proxy(store, {
    get(target, key, receiver) {
      if (key !== 'readStream') return Reflect.get(target, key, receiver);
      return async (...args: Parameters<EventStore['readStream']>) => {
        const held = gate;
        gate = null;
        if (held) await held;
        return target.readStream(...args);
      };
    },
  });
  return {
    store: wrapped,
    holdNext() {
      let release!: () => void;
      gate = new Promise<void>((r) => (release = r));
      return { release };
    },
  };
}

describe('AuditLog', () => {
  let store: SqliteEventStore;
  beforeEach(() => (store = new SqliteEventStore({ filename: ':memory:' })));
  afterEach(() => store.close());

  // Two instances in the two-instances soak: a precheck's re-read ran while the same process's
  // append landed, folded that append a second time, and the organisation was refused its last credits.
  it('folds an entry once when a refresh reads it while its own append of it completes', async () => {
    const reads = holdingReads(store);
    const log = new AuditLog(reads.store);
    await log.record(grant(10));
    expect((await log.ledger()).balance).toBe(10);

    const held = reads.holdNext();
    const refreshing = log.refresh();
    await log.record(call(2));
    held.release();
    const after = await refreshing;

    expect(after.balance).toBe(8);
    expect(after.head?.seq).toBe(1);
    expect((await new AuditLog(store).ledger()).balance).toBe(8);
    // And the next append chains after it: the head is the stored one.
    await log.record(call(2));
    expect((await new AuditLog(store).ledger()).balance).toBe(6);
  });

  it('still folds what another process appended while its refresh was on its way', async () => {
    const reads = holdingReads(store);
    const log = new AuditLog(reads.store);
    await log.record(grant(10));
    await log.ledger();

    const held = reads.holdNext();
    const refreshing = log.refresh();
    await new AuditLog(store).record(call(3));
    held.release();
    expect((await refreshing).balance).toBe(7);
    await log.record(call(2));
    expect((await log.ledger()).balance).toBe(5);
    expect((await new AuditLog(store).ledger()).balance).toBe(5);
  });
});
