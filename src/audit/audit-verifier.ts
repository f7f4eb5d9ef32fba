import type { EventStore } from '@csmcp/event-store';
import type { SqlExecutor } from '@csmcp/projections';
import { toEntry } from './audit-log';
import { AUDIT_STREAM, type AuditEntry } from './domain/audit-entry';
import { verifyChainPart } from './domain/verify-chain';
import { AUDIT_COLUMNS, rowOf, type AuditRow } from './read-model/audit-row';

export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  /** Entries checked in the event store. */
  readonly entries: number;
  /** Rows of the audit_log read model checked against them (rows not projected yet are skipped). */
  readonly rows: number;
  readonly head: AuditHead | null;
  /** The first problem: where (the event store's stream or the read model's table), which entry, what. */
  readonly broken: { readonly where: 'event store' | 'read model' | 'expected head'; readonly seq: number; readonly reason: string } | null;
}

const PAGE = 2_000;

/** A head as `csmcp audit head` prints it and verification takes it back: "seq:hash" (hash: 64 lowercase hex digits). Null if it is not one. */
export function parseAuditHead(text: string): AuditHead | null {
  const match = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim());
  return match ? { seq: Number(match[1]), hash: match[2] } : null;
}

/**
 * `csmcp audit verify`: re-computes the hash chain of the audit-log stream from its first entry, then
 * checks every row of the audit_log read model against its entry (every column re-derived), and,
 * given a head exported earlier, that the log still holds that entry with that hash (so truncation or
 * a rewritten tail shows). Names the first entry that breaks.
 */
export async function verifyAuditLog(store: EventStore, db: SqlExecutor | null, expectHead?: AuditHead): Promise<VerifyReport> {
  let last: AuditHead | null = null;
  let entries = 0;
  let rows = 0;
  let expectedSeen = false;
  for (let from = 0; ; from += PAGE) {
    const events = await store.readStream(AUDIT_STREAM, { fromRevision: from, maxCount: PAGE });
    let page: AuditEntry[];
    try {
      page = events.map((e) => toEntry(e.revision, e.type, e.data));
    } catch (error) {
      return report(false, entries, rows, last, { where: 'event store', seq: from + entries, reason: (error as Error).message });
    }
    const checked = verifyChainPart(page, last);
    if (checked.broken) return report(false, entries, rows, last, { where: 'event store', ...checked.broken });
    if (db) {
      const problem = await compareRows(db, page);
      rows += problem.rows;
      if (problem.broken) return report(false, entries + page.length, rows, checked.last, { where: 'read model', ...problem.broken });
    }
    if (expectHead) {
      const at = page.find((e) => e.seq === expectHead.seq);
      if (at) {
        expectedSeen = true;
        if (at.hash !== expectHead.hash)
          return report(false, entries + page.length, rows, checked.last, { where: 'expected head', seq: at.seq, reason: `entry ${at.seq} has hash ${at.hash}, not the ${expectHead.hash} exported earlier: the log was rewritten from there` });
      }
    }
    entries += page.length;
    last = checked.last;
    if (events.length < PAGE) break;
  }
  if (db) {
    // Rows beyond the log's end were never in it (or the log lost its tail).
    const extra = await db.get<{ seq: number | string }>('SELECT min(seq) AS seq FROM audit_log WHERE seq > ?', [last ? last.seq : -1]);
    if (extra && extra.seq !== null && extra.seq !== undefined)
      return report(false, entries, rows, last, { where: 'read model', seq: Number(extra.seq), reason: `row ${extra.seq} has no entry in the event store's audit log` });
  }
  if (expectHead && !expectedSeen)
    return report(false, entries, rows, last, { where: 'expected head', seq: expectHead.seq, reason: `the log ends at entry ${last?.seq ?? 'none'}, before entry ${expectHead.seq} exported earlier: it was truncated` });
  return report(true, entries, rows, last, null);
}

function report(ok: boolean, entries: number, rows: number, head: AuditHead | null, broken: VerifyReport['broken']): VerifyReport {
  return { ok, entries, rows, head, broken };
}

async function compareRows(db: SqlExecutor, page: readonly AuditEntry[]): Promise<{ rows: number; broken: { seq: number; reason: string } | null }> {
  if (page.length === 0) return { rows: 0, broken: null };
  const first = page[0].seq;
  const stored = await db.all<AuditRow>('SELECT * FROM audit_log WHERE seq >= ? AND seq <= ? ORDER BY seq', [first, page[page.length - 1].seq]);
  const bySeq = new Map(stored.map((r) => [Number(r.seq), r]));
  const lastStored = stored.length > 0 ? Number(stored[stored.length - 1].seq) : -1;
  for (const entry of page) {
    const row = bySeq.get(entry.seq);
    if (!row) {
      // Past the last projected row is "not projected yet"; a gap before it is a deleted row.
      if (entry.seq < lastStored) return { rows: stored.length, broken: { seq: entry.seq, reason: `row ${entry.seq} is missing from audit_log` } };
      continue;
    }
    const expected = rowOf(entry);
    for (const column of AUDIT_COLUMNS) {
      if (!sameValue(row[column], expected[column]))
        return {
          rows: stored.length,
          broken: { seq: entry.seq, reason: `row ${entry.seq}'s ${column} is ${JSON.stringify(row[column])} in audit_log, but ${JSON.stringify(expected[column])} in the chained entry` },
        };
    }
  }
  return { rows: stored.length, broken: null };
}

/** Drivers differ in how they hand back numbers and booleans (BIGINT as text, booleans as 0/1). */
function sameValue(stored: unknown, expected: unknown): boolean {
  if (expected === null || expected === undefined) return stored === null || stored === undefined;
  if (typeof expected === 'boolean') return stored === expected || stored === (expected ? 1 : 0) || stored === (expected ? '1' : '0');
  if (typeof expected === 'number') return stored !== null && Number(stored) === expected;
  return stored === expected;
}
