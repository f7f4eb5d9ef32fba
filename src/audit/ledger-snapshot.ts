import type { EventStore, JsonObject } from '@csmcp/event-store';
import { AUDIT_STREAM } from './domain/audit-entry';
import type { LedgerState, PriceList } from './domain/ledger';

/**
 * Snapshots of the credit ledger, so a process starts from the latest one and folds only the audit
 * log's tail instead of every entry ever written (a slow first call at millions of entries).
 *
 * A snapshot is an optimisation and never a source of truth: it names the entry it was folded up to
 * (seq and hash), and is used only when that entry is in the log with that hash, the fold version is
 * this code's, and it parses; otherwise the whole log is folded as before. The hash chain itself is
 * untouched: `csmcp audit verify` still reads and checks every entry of the log, not the snapshots.
 * They live in a stream of their own, which the audit projection and the verifier never read.
 */
export const LEDGER_SNAPSHOT_STREAM = 'audit-ledger-snapshots';
export const LEDGER_SNAPSHOT_TYPE = 'LedgerSnapshotTaken';
/** Bump when evolveLedger() changes meaning: older snapshots are then ignored. */
export const LEDGER_FOLD_VERSION = 1;
/** A snapshot once this many entries were folded past the last one. */
export const SNAPSHOT_EVERY = 10_000;

interface SnapshotData {
  readonly version: number;
  readonly seq: number;
  readonly hash: string;
  readonly balance: number | null;
  readonly granted: number;
  readonly charged: number;
  readonly prices: PriceList;
  readonly userLimits: Array<[string, number]>;
  readonly integrationLimits: Array<[string, number]>;
  readonly userMonth: Array<[string, number]>;
  readonly integrationMonth: Array<[string, number]>;
}

export function toSnapshotData(state: LedgerState): SnapshotData | null {
  if (!state.head) return null;
  return {
    version: LEDGER_FOLD_VERSION,
    seq: state.head.seq,
    hash: state.head.hash,
    balance: state.balance,
    granted: state.granted,
    charged: state.charged,
    prices: { byKind: { ...state.prices.byKind }, byTool: { ...state.prices.byTool } },
    userLimits: [...state.userLimits],
    integrationLimits: [...state.integrationLimits],
    userMonth: [...state.userMonth],
    integrationMonth: [...state.integrationMonth],
  };
}

function fromSnapshotData(data: SnapshotData): LedgerState {
  return {
    head: { seq: data.seq, hash: data.hash },
    balance: data.balance,
    granted: data.granted,
    charged: data.charged,
    prices: { byKind: { ...data.prices.byKind }, byTool: { ...data.prices.byTool } },
    userLimits: new Map(data.userLimits),
    integrationLimits: new Map(data.integrationLimits),
    userMonth: new Map(data.userMonth),
    integrationMonth: new Map(data.integrationMonth),
  };
}

const isPairs = (value: unknown): value is Array<[string, number]> =>
  Array.isArray(value) && value.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'number');

function isSnapshotData(value: unknown): value is SnapshotData {
  const d = value as Partial<SnapshotData> | null;
  return (
    typeof d === 'object' &&
    d !== null &&
    d.version === LEDGER_FOLD_VERSION &&
    Number.isSafeInteger(d.seq) &&
    typeof d.hash === 'string' &&
    (d.balance === null || typeof d.balance === 'number') &&
    typeof d.granted === 'number' &&
    typeof d.charged === 'number' &&
    typeof d.prices?.byKind === 'object' &&
    typeof d.prices?.byTool === 'object' &&
    isPairs(d.userLimits) &&
    isPairs(d.integrationLimits) &&
    isPairs(d.userMonth) &&
    isPairs(d.integrationMonth)
  );
}

/** The last event's revision of a stream, found with about 2·log2(n) one-event reads (the port reads forward only). */
async function lastRevision(store: EventStore, stream: string): Promise<number | null> {
  const exists = async (revision: number) => (await store.readStream(stream, { fromRevision: revision, maxCount: 1 })).length > 0;
  if (!(await exists(0))) return null;
  let low = 0;
  let high = 1;
  while (await exists(high)) {
    low = high;
    high *= 2;
  }
  // exists(low), !exists(high)
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (await exists(mid)) low = mid;
    else high = mid;
  }
  return low;
}

/**
 * The ledger as of the latest usable snapshot, or null (fold the whole log). Usable: this fold
 * version, well formed, and the entry it names is in the audit log with the hash it names.
 */
export async function loadLedgerSnapshot(store: EventStore): Promise<LedgerState | null> {
  const last = await lastRevision(store, LEDGER_SNAPSHOT_STREAM);
  if (last === null) return null;
  const [event] = await store.readStream(LEDGER_SNAPSHOT_STREAM, { fromRevision: last, maxCount: 1 });
  if (event?.type !== LEDGER_SNAPSHOT_TYPE || !isSnapshotData(event.data)) return null;
  const [entry] = await store.readStream(AUDIT_STREAM, { fromRevision: event.data.seq, maxCount: 1 });
  if (entry?.revision !== event.data.seq || (entry.data as { hash?: unknown }).hash !== event.data.hash) return null;
  return fromSnapshotData(event.data);
}

/**
 * Writes a snapshot in the background once SNAPSHOT_EVERY entries were folded past the last one this
 * process saw or wrote. Best effort: a failure only means the next start folds a longer tail.
 */
export class LedgerSnapshots {
  private lastSeq: number | null = null;
  private saving: Promise<void> | null = null;

  constructor(
    private readonly store: EventStore,
    /** Entries between two snapshots (settable for tests). */
    public every = SNAPSHOT_EVERY,
  ) {}

  /** The seq of the snapshot the ledger was loaded from (nothing to save before `every` more entries). */
  loadedFrom(seq: number | null): void {
    this.lastSeq = seq;
  }

  maybeSave(state: LedgerState): void {
    if (!state.head || this.saving || state.head.seq - (this.lastSeq ?? -1) < this.every) return;
    // Copied now: the ledger folds in place and moves on while the append is on its way.
    const data = toSnapshotData(state)!;
    this.saving = this.store
      .appendToStream(LEDGER_SNAPSHOT_STREAM, [{ type: LEDGER_SNAPSHOT_TYPE, data: data as unknown as JsonObject }], { expectedRevision: 'any' })
      .then(
        () => {
          this.lastSeq = Math.max(this.lastSeq ?? -1, data.seq);
        },
        () => undefined,
      )
      .finally(() => {
        this.saving = null;
      });
  }

  /** Resolves when no snapshot is being written (tests, shutdown). */
  async idle(): Promise<void> {
    await this.saving;
  }
}
