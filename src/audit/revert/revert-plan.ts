import type { FieldChange, ToolCallBody } from '../domain/audit-entry';
import type { RevertTarget } from './revert-targets';

/** The writes of one record to undo together (one entry, or a session's writes to that record). */
export interface RecordWrites {
  readonly seqs: readonly number[];
  readonly calls: readonly ToolCallBody[];
}

/**
 * The fields that put a record back as it was before the writes: for each field an update changed,
 * its value before the first of them; for a record one of them created, the fields that withdraw it.
 * Pure: refusals are returned as reasons, in words an admin can act on.
 */
export function restoreFields(target: RevertTarget, writes: RecordWrites): { fields: Record<string, unknown> } | { refused: string } {
  const created = writes.calls.some((c) => c.tool.startsWith('create_'));
  if (created) {
    if (typeof target.withdraw.impossible === 'string') return { refused: target.withdraw.impossible };
    return { fields: { ...target.withdraw } };
  }
  const fields: Record<string, unknown> = {};
  // Seq order is the order the writes happened in: the first change of a field holds its value before them all.
  const ordered = writes.calls;
  for (const call of ordered)
    for (const change of call.changes as FieldChange[]) {
      if (!target.updatable.includes(change.field) || change.field in fields) continue;
      fields[change.field] = change.from;
    }
  if (Object.keys(fields).length === 0) return { refused: 'the write changed no field that can be restored' };
  return { fields };
}
