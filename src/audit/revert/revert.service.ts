import { ConcurrencyError, type EventStore, type RecordedEvent } from '@csmcp/event-store';
import type { SqlExecutor } from '@csmcp/projections';
import { AuditLog, toEntry } from '../audit-log';
import { AUDIT_STREAM, type AuditActor, type AuditEntry, type FieldChange, type ToolCallBody, type WriteRevertedBody, type WrittenEvent } from '../domain/audit-entry';
import { restoreFields, type RecordWrites } from './revert-plan';
import { REVERT_TARGETS } from './revert-targets';

/** A revert refused as a whole (nothing was changed): the reason says what and why. */
export class RevertRefusedError extends Error {
  readonly code = 'REVERT_REFUSED' as const;
  constructor(message: string) {
    super(message);
    this.name = 'RevertRefusedError';
  }
}

export interface RevertOutcome {
  /** The audit entries whose writes this part undid (or tried to). */
  readonly seqs: readonly number[];
  readonly stream: string;
  readonly reverted: boolean;
  /** The WriteReverted entry, when reverted. */
  readonly revertSeq?: number;
  readonly changes?: readonly FieldChange[];
  readonly reason?: string;
}

/**
 * Undoes LLM writes with compensating events: an update's fields go back to their values before it,
 * a created CTA is closed as invalid and a created success plan cancelled (nothing is ever deleted).
 * Only if nobody changed the record since: otherwise the revert is refused, naming who changed it.
 * Each record's compensating events and their WriteReverted entry are one transaction.
 */
export class RevertService {
  constructor(
    private readonly store: EventStore,
    private readonly log: AuditLog,
    private readonly db: SqlExecutor,
  ) {}

  /** One write (an audit entry's seq). Throws RevertRefusedError when it cannot be undone. */
  async revertEntry(seq: number, reason: string, by: AuditActor, now = new Date()): Promise<RevertOutcome> {
    const entry = await this.entry(seq);
    const call = revertibleCall(entry);
    const [outcome] = await this.revertGroups([{ seqs: [seq], calls: [call] }], reason, by, now);
    if (!outcome.reverted) throw new RevertRefusedError(`Entry ${seq} (${call.tool}) was not reverted: ${outcome.reason}`);
    return outcome;
  }

  /** Every successful write of one MCP session, record by record: what could be undone is, the rest says why not. */
  async revertSession(sessionId: string, reason: string, by: AuditActor, now = new Date()): Promise<RevertOutcome[]> {
    const rows = await this.db.all<{ seq: number | string }>(
      "SELECT seq FROM audit_log WHERE session_id = ? AND type = 'ToolCallRecorded' AND kind = 'write' AND outcome = 'ok' AND replayed = ? ORDER BY seq",
      [sessionId, this.db.dialect === 'postgres' ? false : 0],
    );
    if (rows.length === 0) throw new RevertRefusedError(`Session ${sessionId} has no successful writes in the audit log (it may not be projected yet: try again in a moment)`);
    const byStream = new Map<string, { seqs: number[]; calls: ToolCallBody[] }>();
    for (const row of rows) {
      const seq = Number(row.seq);
      const call = revertibleCall(await this.entry(seq));
      const stream = call.events[0].stream;
      const group = byStream.get(stream) ?? { seqs: [], calls: [] };
      group.seqs.push(seq);
      group.calls.push(call);
      byStream.set(stream, group);
    }
    return this.revertGroups([...byStream.values()], reason, by, now);
  }

  private async revertGroups(groups: RecordWrites[], reason: string, by: AuditActor, now: Date): Promise<RevertOutcome[]> {
    const why = reason.trim();
    if (why.length === 0 || why.length > 500) throw new RevertRefusedError('reason is required: say why in 1 to 500 characters (it is kept in the audit log)');
    const outcomes: RevertOutcome[] = [];
    for (const group of groups) outcomes.push(await this.revertGroup(group, why, by, now));
    return outcomes;
  }

  private async revertGroup(group: RecordWrites, reason: string, by: AuditActor, now: Date): Promise<RevertOutcome> {
    const first = group.calls[0];
    const stream = first.events[0].stream;
    const refuse = (why: string): RevertOutcome => ({ seqs: group.seqs, stream, reverted: false, reason: why });
    const target = REVERT_TARGETS[group.calls.some((c) => c.subject?.type === 'cta_task') ? 'cta_task' : (first.subject?.type ?? '')];
    if (!target) return refuse(`writes to ${first.subject?.type ?? 'this record'} cannot be reverted`);

    const history = await this.store.readStream(stream);
    const written = new Set(group.calls.flatMap((c) => c.events.map((e) => e.id)));
    const lastOwn = history.reduce((at, e, i) => (written.has(e.id) ? i : at), -1);
    if (lastOwn < 0) return refuse(`its events are not in ${stream}`);
    const later = history.slice(lastOwn + 1);
    const undone = later.find((e) => revertsOneOf(e, group.seqs));
    if (undone) return refuse(await this.describeEarlierRevert(undone, stream));
    if (later.length > 0) return refuse(`the ${target.entity} was changed since: ${describeChange(later[0])}; revert that first, or change it by hand`);

    const plan = restoreFields(target, group);
    if ('refused' in plan) return refuse(plan.refused);
    const id = stream.slice(stream.indexOf('-') + 1);
    const state = history.reduce((s, e) => target.decider.evolve(s, { type: e.type, data: e.data }), target.decider.initialState());
    let events: Array<{ type: string; data: import('@csmcp/event-store').JsonObject }>;
    try {
      events = target.decider.decide(target.update(id, plan.fields, now.toISOString()), state);
    } catch (error) {
      return refuse((error as Error).message);
    }
    if (events.length === 0) return refuse('it is already as it was before');
    const changes = events.flatMap((e) => ((e.data as { changes?: FieldChange[] }).changes ?? []));
    const ids = events.map(() => crypto.randomUUID());
    const written2: WrittenEvent[] = events.map((e, i) => ({ stream, id: ids[i], type: e.type }));
    try {
      const done = await this.log.appendWithWrite(
        [{ streamName: stream, events: events.map((e, i) => ({ id: ids[i], type: e.type, data: e.data })), expectedRevision: history[history.length - 1].revision }],
        { type: 'WriteReverted', body: { at: now.toISOString(), by, revertedSeqs: [...group.seqs], reason, events: written2, changes } },
        {
          actor: by.type === 'user' ? { type: 'user', id: by.id, ...(by.email ? { email: by.email } : {}) } : { type: 'system', id: by.id },
          toolName: 'revert',
          accessContext: 'admin',
          revertedSeqs: [...group.seqs],
        },
      );
      return { seqs: group.seqs, stream, reverted: true, revertSeq: done.entry.seq, changes };
    } catch (error) {
      if (error instanceof ConcurrencyError && error.streamName === stream) return refuse(`the ${target.entity} was changed while reverting; try again`);
      throw error;
    }
  }

  /**
   * "Reverted already", naming that revert: its WriteReverted entry (found through the audit read
   * model, which names the compensating events), who and why; without the read model, who and when.
   */
  private async describeEarlierRevert(event: RecordedEvent, stream: string): Promise<string> {
    const { who, at } = whoAndWhen(event);
    let earlier: { seq: number; reason: string } | undefined;
    try {
      const rows = await this.db.all<{ seq: number | string; body: string }>(
        "SELECT a.seq, a.body FROM audit_log a JOIN audit_log_subjects s ON s.seq = a.seq WHERE s.entity_id = ? AND a.type = 'WriteReverted' ORDER BY a.seq",
        [stream.slice(stream.indexOf('-') + 1)],
      );
      const row = rows.find((r) => (JSON.parse(r.body) as WriteRevertedBody).events.some((e) => e.id === event.id));
      if (row) earlier = { seq: Number(row.seq), reason: (JSON.parse(row.body) as WriteRevertedBody).reason };
    } catch {
      // No audit read model here yet (a command line on a fresh store): who and when still say it.
    }
    return earlier
      ? `it was reverted already, by audit entry ${earlier.seq} (${who} at ${at}: ${JSON.stringify(earlier.reason)})`
      : `it was reverted already, by ${who} at ${at}`;
  }

  private async entry(seq: number): Promise<AuditEntry> {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RevertRefusedError(`seq must be an audit entry number (0 or more); got ${String(seq)}`);
    const [event] = await this.store.readStream(AUDIT_STREAM, { fromRevision: seq, maxCount: 1 });
    if (!event) throw new RevertRefusedError(`There is no audit entry ${seq}`);
    return toEntry(event.revision, event.type, event.data);
  }
}

function revertibleCall(entry: AuditEntry): ToolCallBody {
  if (entry.type !== 'ToolCallRecorded') throw new RevertRefusedError(`Entry ${entry.seq} is a ${entry.type}, not a tool call: only writes can be reverted`);
  const call = entry.body;
  if (call.kind !== 'write') throw new RevertRefusedError(`Entry ${entry.seq} is a ${call.tool} call, which changed nothing: only writes can be reverted`);
  if (call.outcome !== 'ok') throw new RevertRefusedError(`Entry ${entry.seq} is a ${call.outcome} ${call.tool}: it wrote nothing to revert`);
  if (call.replayed || call.events.length === 0) throw new RevertRefusedError(`Entry ${entry.seq} repeated an earlier write (idempotent retry): revert that write's own entry`);
  return call;
}

function describeChange(event: RecordedEvent): string {
  const m = event.metadata as Record<string, unknown>;
  const { who, at } = whoAndWhen(event);
  const what = m.toolName === 'revert' ? 'a revert' : String(m.toolName ?? event.type);
  return `${event.type} by ${who} (${what}) at ${at}`;
}

function whoAndWhen(event: RecordedEvent): { who: string; at: string } {
  const m = event.metadata as Record<string, unknown> & { actor?: { type?: string; id?: string; email?: string; name?: string } };
  const who = m.actor?.email ?? m.actor?.name ?? `${m.actor?.type ?? 'someone'} ${m.actor?.id ?? ''}`.trim();
  return { who, at: String(m.occurredAt ?? m.recordedAt) };
}

/** A compensating event of an earlier revert of one of these entries (its metadata names them). */
function revertsOneOf(event: RecordedEvent, seqs: readonly number[]): boolean {
  const m = event.metadata as { toolName?: unknown; revertedSeqs?: unknown };
  return m.toolName === 'revert' && Array.isArray(m.revertedSeqs) && m.revertedSeqs.some((s) => seqs.includes(Number(s)));
}
