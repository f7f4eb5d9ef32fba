import {
  ConcurrencyError,
  type AppendResult,
  type EventMetadataInput,
  type EventStore,
  type JsonObject,
  type NewEvent,
  type StreamAppendResult,
} from '@csmcp/event-store';
import {
  AUDIT_ENTRY_TYPES,
  AUDIT_STREAM,
  chain,
  type AuditBody,
  type AuditEntry,
  type ChainedData,
  type ToolCallBody,
} from './domain/audit-entry';
import { cloneLedger, evolveLedger, initialLedger, refuseCharge, type CreditRefusal, type LedgerState } from './domain/ledger';

/** A call the balance or a limit cannot cover: nothing was done, and the refusal is in the log. */
export class CreditRefusalError extends Error {
  readonly code: CreditRefusal['code'];
  constructor(readonly refusal: CreditRefusal) {
    super(refusal.message);
    this.code = refusal.code;
    this.name = 'CreditRefusalError';
  }
}

/** One more stream to append to in the same transaction as an audit entry (a write's events). */
export interface StreamAppendRequest {
  readonly streamName: string;
  readonly events: readonly NewEvent[];
  readonly expectedRevision: 'no_stream' | 'any' | 'stream_exists' | number;
}

interface JobResult {
  readonly entries: AuditEntry[];
  /** A write: the last of its own streams' appends. */
  readonly appended: AppendResult | null;
  readonly streams: readonly StreamAppendResult[];
}

interface Job {
  readonly bodies: AuditBody[];
  /** Present for a write: its streams go into the same append as its entry. */
  readonly with?: readonly StreamAppendRequest[];
  readonly metadata?: EventMetadataInput;
  resolve(value: JobResult): void;
  reject(error: unknown): void;
}

const MAX_BATCH = 500;
const MAX_CONFLICTS = 50;

/**
 * The audit log and credit ledger of this process: the tail of the `audit-log` stream (its head and
 * the folded ledger) and one queue of appends to it. The queue makes the appends of this process
 * never conflict with each other, and lets reads, refusals and admin entries that arrive together go
 * in one append (group commit); a write's entry goes alone, in one transaction with the write's events.
 * Other processes (a second instance, the CLI) append too: a conflict on the log re-reads its tail
 * and tries again, re-checking every charge against the fresh balance, so no call is charged twice
 * and the balance is never overspent.
 */
export class AuditLog {
  private state: LedgerState = initialLedger();
  private loadedAt = 0;
  private loading: Promise<void> | null = null;
  private readonly queue: Job[] = [];
  private draining = false;

  constructor(private readonly store: EventStore) {}

  /** The ledger as this process last saw it (read on first use; current after each append it makes). */
  async ledger(): Promise<LedgerState> {
    if (this.loadedAt === 0) await this.refresh();
    return this.state;
  }

  /** Folds whatever other processes appended since this process last looked. */
  async refresh(): Promise<LedgerState> {
    this.loading ??= (async () => {
      try {
        for (;;) {
          const from = this.state.head ? this.state.head.seq + 1 : 0;
          const events = await this.store.readStream(AUDIT_STREAM, { fromRevision: from, maxCount: 5_000 });
          for (const event of events) evolveLedger(this.state, toEntry(event.revision, event.type, event.data));
          if (events.length < 5_000) break;
        }
        this.loadedAt = Date.now();
      } finally {
        this.loading = null;
      }
    })();
    await this.loading;
    return this.state;
  }

  /**
   * Checks a charge before the call does anything: null when it fits, else the refusal. A refusal is
   * re-checked on a fresh read of the log (one read of its tail), so a grant made a moment ago by the
   * CLI or another instance is honoured.
   */
  async precheck(charge: Parameters<typeof refuseCharge>[1]): Promise<CreditRefusal | null> {
    const refusal = refuseCharge(await this.ledger(), charge);
    if (!refusal) return null;
    return refuseCharge(await this.refresh(), charge);
  }

  /**
   * Appends entries (reads, refusals, grants...), batched with others that arrive at the same time,
   * and resolves once they are durable. A ToolCallRecorded that the balance cannot cover at that
   * moment is recorded as refused with no charge instead: look at the returned entries' outcome.
   */
  async record(...bodies: AuditBody[]): Promise<AuditEntry[]> {
    return (await this.enqueue({ bodies })).entries;
  }

  /**
   * A write: its streams and its entry in one transaction, so there is never a write without its
   * record and charge, nor a record or charge of a write that did not happen. Throws
   * CreditRefusalError (nothing written; the caller records the refusal) or the ConcurrencyError of
   * one of the write's streams (nothing written; decide again).
   */
  async appendWithWrite(
    streams: readonly StreamAppendRequest[],
    entry: ToolCallBody | AuditBody,
    metadata?: EventMetadataInput,
  ): Promise<{ entry: AuditEntry; appended: AppendResult; streams: readonly StreamAppendResult[] }> {
    const body: AuditBody = 'type' in entry && 'body' in entry ? entry : { type: 'ToolCallRecorded', body: entry as ToolCallBody };
    const done = await this.enqueue({ bodies: [body], with: streams, metadata });
    return { entry: done.entries[0], appended: done.appended!, streams: done.streams };
  }

  private enqueue(job: Omit<Job, 'resolve' | 'reject'>): Promise<JobResult> {
    return new Promise<JobResult>((resolve, reject) => {
      this.queue.push({ ...job, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        // A write goes alone; consecutive plain entries go together.
        const batch: Job[] = [this.queue.shift()!];
        if (!batch[0].with) {
          let size = batch[0].bodies.length;
          while (this.queue.length > 0 && !this.queue[0].with && size + this.queue[0].bodies.length <= MAX_BATCH) {
            size += this.queue[0].bodies.length;
            batch.push(this.queue.shift()!);
          }
        }
        await this.commit(batch);
      }
    } finally {
      this.draining = false;
    }
  }

  private async commit(batch: Job[]): Promise<void> {
    try {
      await this.ledger();
      for (let attempt = 1; ; attempt++) {
        const write = batch[0].with ? batch[0] : null;
        const planned = this.plan(batch);
        if (write && planned.refusal) throw new CreditRefusalError(planned.refusal);
        const auditEvents = planned.entries.map(toNewEvent);
        try {
          if (write) {
            const result = await this.store.appendToStreams(
              [...write.with!.map((s) => ({ streamName: s.streamName, events: s.events, expectedRevision: s.expectedRevision })), {
                streamName: AUDIT_STREAM,
                events: auditEvents,
                expectedRevision: this.state.head ? this.state.head.seq : 'no_stream',
              }],
              { metadata: write.metadata },
            );
            this.state = planned.state;
            const streams = result.streams.slice(0, write.with!.length);
            const last = streams[streams.length - 1];
            write.resolve({ entries: planned.entries, appended: { nextExpectedRevision: last.nextExpectedRevision, position: last.position }, streams });
          } else {
            await this.store.appendToStream(AUDIT_STREAM, auditEvents, { expectedRevision: this.state.head ? this.state.head.seq : 'no_stream' });
            this.state = planned.state;
            let at = 0;
            for (const job of batch) {
              job.resolve({ entries: planned.entries.slice(at, at + job.bodies.length), appended: null, streams: [] });
              at += job.bodies.length;
            }
          }
          return;
        } catch (error) {
          // Another process appended to the log: fold its entries and plan again on the fresh ledger.
          if (error instanceof ConcurrencyError && error.streamName === AUDIT_STREAM && attempt < MAX_CONFLICTS) {
            await this.refresh();
            await new Promise((r) => setTimeout(r, Math.random() * 3 * attempt));
            continue;
          }
          throw error;
        }
      }
    } catch (error) {
      for (const job of batch) job.reject(error);
    }
  }

  /** Chains the batch's entries after the head, charging each call only if the ledger can still cover it. */
  private plan(batch: Job[]): { entries: AuditEntry[]; state: LedgerState; refusal: CreditRefusal | null } {
    // Folded into a copy: the batch may not be appended (a conflict, the store down).
    const state = cloneLedger(this.state);
    let refusal: CreditRefusal | null = null;
    const entries: AuditEntry[] = [];
    for (const job of batch) {
      for (const original of job.bodies) {
        let body = original;
        if (body.type === 'ToolCallRecorded' && body.body.credits > 0) {
          const call = body.body;
          const refused = refuseCharge(state, { at: call.at, actor: call.actor, integrationId: call.integrationId, integrationName: call.integrationName, tool: call.tool, credits: call.credits });
          if (refused) {
            refusal ??= refused;
            body = { type: 'ToolCallRecorded', body: { ...call, outcome: 'refused', code: refused.code, message: refused.message, credits: 0, events: [], changes: [] } };
          }
        }
        const [entry] = chain(state.head, [body]);
        evolveLedger(state, entry);
        entries.push(entry);
      }
    }
    return { entries, state, refusal };
  }
}

function toNewEvent(entry: AuditEntry): NewEvent {
  const data: ChainedData = { body: entry.body, prevHash: entry.prevHash, hash: entry.hash };
  return { type: entry.type, data: data as unknown as JsonObject };
}

/** An entry from a stored event. The data is whatever the store holds: verification decides whether to trust it. */
export function toEntry(seq: number, type: string, data: JsonObject): AuditEntry {
  if (!(AUDIT_ENTRY_TYPES as readonly string[]).includes(type)) throw new Error(`audit-log entry ${seq} has an unknown type ${type}`);
  const chained = data as unknown as ChainedData;
  return { type, body: chained.body, prevHash: String(chained.prevHash), hash: String(chained.hash), seq } as AuditEntry;
}
