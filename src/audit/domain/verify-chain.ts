import { entryHash, GENESIS_HASH, type AuditEntry } from './audit-entry';

export interface ChainBreak {
  readonly seq: number;
  readonly reason: string;
}

/**
 * Checks entries in seq order against the chain, continuing from `from` (the entry before the first
 * given, or null at the start). Returns the first break, or null; `last` is where it got to.
 */
export function verifyChainPart(
  entries: readonly AuditEntry[],
  from: { seq: number; hash: string } | null,
): { readonly broken: ChainBreak | null; readonly last: { seq: number; hash: string } | null } {
  let expectedSeq = from ? from.seq + 1 : 0;
  let prevHash = from ? from.hash : GENESIS_HASH;
  let last = from;
  for (const entry of entries) {
    if (entry.seq !== expectedSeq) return { broken: { seq: expectedSeq, reason: `entry ${expectedSeq} is missing (the next one found is ${entry.seq})` }, last };
    if (entry.prevHash !== prevHash)
      return { broken: { seq: entry.seq, reason: `entry ${entry.seq} does not follow entry ${entry.seq - 1}: its prevHash is not that entry's hash` }, last };
    const hash = entryHash(prevHash, entry.seq, entry.type, entry.body);
    if (hash !== entry.hash) return { broken: { seq: entry.seq, reason: `entry ${entry.seq} was changed after it was recorded: its content does not match its hash` }, last };
    prevHash = hash;
    expectedSeq += 1;
    last = { seq: entry.seq, hash };
  }
  return { broken: null, last };
}
