import {
  ConcurrencyError,
  StoreUnavailableError,
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
import { LedgerSnapshots, loadLedgerSnapshot } from './ledger-snapshot';

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
  /** Appended on its own: set after a batch it was in failed for a reason that names no job. */
  solo?: boolean;
  resolve(value: JobResult): void;
  reject(error: unknown): void;
}

const MAX_BATCH = 500;
const MAX_CONFLICTS = 50;

/**
 * The audit log and credit ledger of this process: the tail of the `audit-log` stream (its head and
 * the folded ledger) and one queue of appends to it. The queue makes the appends of this process
 * never conflict with each other, and puts whatever arrives while an append is on its way to disk
 * into the next one (group commit): reads, refusals, admin entries, and writes, each write's events
 * in the same transaction as its entry.
 * Other processes (a second instance, the CLI) append too: a conflict on the log re-reads its tail
 * and tries again, re-checking every charge against the fresh balance, so no call is charged twice
 * and the balance is never overspent.
 */
export class AuditLog {
  private state: LedgerState = initialLedger();
  private loaded = false;
  private loading: Promise<void> | null = null;
  private readonly queue: Job[] = [];
  private draining = false;
  /** Start-up from the latest ledger snapshot, folding only the log's tail (see ledger-snapshot.ts). */
  readonly snapshots: LedgerSnapshots;

  constructor(private readonly store: EventStore) {
    this.snapshots = new LedgerSnapshots(store);
  }

  /** The ledger as this process last saw it (read on first use; current after each append it makes). */
  async ledger(): Promise<LedgerState> {
    if (!this.loaded) await this.refresh();
    return this.state;
  }

  /** Folds whatever other processes appended since this process last looked. */
  async refresh(): Promise<LedgerState> {
    this.loading ??= (async () => {
      try {
        if (!this.loaded && this.state.head === null) {
          const snapshot = await loadLedgerSnapshot(this.store);
          if (snapshot) this.state = snapshot;
          this.snapshots.loadedFrom(snapshot?.head?.seq ?? null);
        }
        for (;;) {
          const from = this.state.head ? this.state.head.seq + 1 : 0;
          const events = await this.store.readStream(AUDIT_STREAM, { fromRevision: from, maxCount: 5_000 });
          // While the read was on its way, an append of this process may have landed and moved the
          // head past some of these entries (its state already holds them): fold only what is newer.
          const head = this.state.head?.seq ?? -1;
          for (const event of events) if (event.revision > head) evolveLedger(this.state, toEntry(event.revision, event.type, event.data));
          if (events.length < 5_000) break;
        }
        this.loaded = true;
        this.snapshots.maybeSave(this.state);
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
      while (this.queue.length > 0) await this.commit(this.takeBatch());
    } finally {
      this.draining = false;
    }
  }

  /**
   * Whatever is waiting, in order, as one append: writes and plain entries together (group commit:
   * while one append is on its way to disk the next batch gathers), up to MAX_BATCH entries, and
   * stopping before a write to a stream already in the batch (a stream appears once per append).
   */
  private takeBatch(): Job[] {
    const batch: Job[] = [];
    const streams = new Set<string>();
    let size = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (batch.length > 0 && (next.solo || batch[0].solo || size + next.bodies.length > MAX_BATCH)) break;
      if (next.with?.some((s) => streams.has(s.streamName))) break;
      for (const s of next.with ?? []) streams.add(s.streamName);
      size += next.bodies.length;
      batch.push(this.queue.shift()!);
    }
    return batch;
  }

  private async commit(jobs: Job[]): Promise<void> {
    let batch = jobs;
    try {
      await this.ledger();
      for (let attempt = 1; batch.length > 0; attempt++) {
        const planned = this.plan(batch);
        // A write the credits cannot cover does nothing: refused alone, the others go on.
        for (const { job, refusal } of planned.refusedWrites) job.reject(new CreditRefusalError(refusal));
        batch = planned.jobs;
        if (batch.length === 0) return;
        const writes = batch.filter((job) => job.with);
        const audit = { streamName: AUDIT_STREAM, events: planned.entries.map((e, i) => toNewEvent(e, planned.metadata[i])), expectedRevision: this.expectedRevision() };
        try {
          const result =
            writes.length === 0
              ? { streams: [{ streamName: AUDIT_STREAM, ...(await this.store.appendToStream(AUDIT_STREAM, audit.events, { expectedRevision: audit.expectedRevision })) }] }
              : await this.store.appendToStreams([
                  ...writes.flatMap((job) =>
                    job.with!.map((s) => ({ streamName: s.streamName, events: s.events.map((e) => withMetadata(e, job.metadata)), expectedRevision: s.expectedRevision })),
                  ),
                  audit,
                ]);
          this.state = planned.state;
          this.snapshots.maybeSave(this.state);
          const byStream = new Map(result.streams.map((r) => [r.streamName, r]));
          let at = 0;
          for (const job of batch) {
            const entries = planned.entries.slice(at, at + job.bodies.length);
            at += job.bodies.length;
            const streams = (job.with ?? []).map((s) => byStream.get(s.streamName)!);
            const last = streams[streams.length - 1];
            job.resolve({ entries, appended: last ? { nextExpectedRevision: last.nextExpectedRevision, position: last.position } : null, streams });
          }
          return;
        } catch (error) {
          if (error instanceof ConcurrencyError && error.streamName === AUDIT_STREAM && attempt < MAX_CONFLICTS) {
            // Another process appended to the log: fold its entries and plan again on the fresh ledger.
            await this.refresh();
            await new Promise((r) => setTimeout(r, Math.random() * 3 * attempt));
            continue;
          }
          const culprit = error instanceof ConcurrencyError ? batch.find((job) => job.with?.some((s) => s.streamName === error.streamName)) : undefined;
          if (culprit) {
            // One write's own stream moved (its caller decides again); nothing was appended, the others retry.
            culprit.reject(error);
            batch = batch.filter((job) => job !== culprit);
            continue;
          }
          if (batch.length > 1 && !(error instanceof StoreUnavailableError)) {
            // Which job the store refused is not known: each on its own, in order.
            for (const job of [...batch].reverse()) {
              job.solo = true;
              this.queue.unshift(job);
            }
            return;
          }
          throw error;
        }
      }
    } catch (error) {
      for (const job of batch) job.reject(error);
    }
  }

  private expectedRevision(): number | 'no_stream' {
    return this.state.head ? this.state.head.seq : 'no_stream';
  }

  /**
   * Chains the batch's entries after the head, charging each call only if the ledger can still cover
   * it: a read that it cannot is recorded as refused; a write that it cannot leaves the batch.
   */
  private plan(batch: Job[]): {
    jobs: Job[];
    entries: AuditEntry[];
    metadata: Array<EventMetadataInput | undefined>;
    state: LedgerState;
    refusedWrites: Array<{ job: Job; refusal: CreditRefusal }>;
  } {
    // Folded into a copy: the batch may not be appended (a conflict, the store down).
    const state = cloneLedger(this.state);
    const jobs: Job[] = [];
    const entries: AuditEntry[] = [];
    const metadata: Array<EventMetadataInput | undefined> = [];
    const refusedWrites: Array<{ job: Job; refusal: CreditRefusal }> = [];
    for (const job of batch) {
      if (job.with) {
        const refusal = job.bodies.map((b) => refusalOf(state, b)).find((r) => r !== null);
        if (refusal) {
          refusedWrites.push({ job, refusal });
          continue;
        }
      }
      jobs.push(job);
      for (const original of job.bodies) {
        const refused = refusalOf(state, original);
        const body: AuditBody =
          refused && original.type === 'ToolCallRecorded'
            ? { type: 'ToolCallRecorded', body: { ...original.body, outcome: 'refused', code: refused.code, message: refused.message, credits: 0, events: [], changes: [] } }
            : original;
        const [entry] = chain(state.head, [body]);
        evolveLedger(state, entry);
        entries.push(entry);
        metadata.push(job.metadata);
      }
    }
    return { jobs, entries, metadata, state, refusedWrites };
  }
}

function refusalOf(state: LedgerState, body: AuditBody): CreditRefusal | null {
  if (body.type !== 'ToolCallRecorded' || body.body.credits <= 0) return null;
  const call = body.body;
  return refuseCharge(state, { at: call.at, actor: call.actor, integrationId: call.integrationId, integrationName: call.integrationName, tool: call.tool, credits: call.credits });
}

/** A write's metadata under each of its events' own (one append carries several writes, each its own). */
function withMetadata(event: NewEvent, metadata: EventMetadataInput | undefined): NewEvent {
  return metadata ? { ...event, metadata: { ...metadata, ...(event.metadata ?? {}) } } : event;
}

function toNewEvent(entry: AuditEntry, metadata: EventMetadataInput | undefined): NewEvent {
  const data: ChainedData = { body: entry.body, prevHash: entry.prevHash, hash: entry.hash };
  return { type: entry.type, data: data as unknown as JsonObject, ...(metadata ? { metadata } : {}) };
}

/** An entry from a stored event. The data is whatever the store holds: verification decides whether to trust it. */
export function toEntry(seq: number, type: string, data: JsonObject): AuditEntry {
  if (!(AUDIT_ENTRY_TYPES as readonly string[]).includes(type)) throw new Error(`audit-log entry ${seq} has an unknown type ${type}`);
  const chained = data as unknown as ChainedData;
  return { type, body: chained.body, prevHash: String(chained.prevHash), hash: String(chained.hash), seq } as AuditEntry;
}
