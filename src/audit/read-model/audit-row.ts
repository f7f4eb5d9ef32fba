import { canonicalJson, type AuditEntry } from '../domain/audit-entry';

/** The columns of an audit_log row, all derived from the entry (and checked against it by verify). */
export interface AuditRow {
  readonly seq: number;
  readonly type: string;
  readonly at: string;
  readonly actor_type: string;
  readonly actor_id: string;
  readonly actor_email: string | null;
  readonly integration_id: string | null;
  readonly integration_name: string | null;
  readonly access_context: string | null;
  readonly session_id: string | null;
  readonly request_id: string | null;
  readonly source_ip: string | null;
  readonly tool: string | null;
  readonly kind: string | null;
  readonly outcome: string | null;
  readonly code: string | null;
  /** A call's charge, or a grant's amount. */
  readonly credits: number;
  readonly duration_ms: number | null;
  readonly subject_type: string | null;
  readonly subject_id: string | null;
  readonly company_id: string | null;
  readonly replayed: boolean;
  readonly body: string;
  readonly prev_hash: string;
  readonly hash: string;
}

export const AUDIT_COLUMNS = [
  'seq', 'type', 'at', 'actor_type', 'actor_id', 'actor_email', 'integration_id', 'integration_name', 'access_context',
  'session_id', 'request_id', 'source_ip', 'tool', 'kind', 'outcome', 'code', 'credits', 'duration_ms', 'subject_type',
  'subject_id', 'company_id', 'replayed', 'body', 'prev_hash', 'hash',
] as const satisfies readonly (keyof AuditRow)[];

export function rowOf(entry: AuditEntry): AuditRow {
  const base = { seq: entry.seq, type: entry.type, body: canonicalJson(entry.body), prev_hash: entry.prevHash, hash: entry.hash };
  const none = {
    integration_id: null, integration_name: null, access_context: null, session_id: null, request_id: null, source_ip: null,
    tool: null, kind: null, outcome: null, code: null, duration_ms: null, subject_type: null, subject_id: null, company_id: null, replayed: false,
  };
  switch (entry.type) {
    case 'ToolCallRecorded': {
      const b = entry.body;
      return {
        ...base,
        at: b.at,
        actor_type: b.actor.type,
        actor_id: b.actor.id,
        actor_email: b.actor.email,
        integration_id: b.integrationId,
        integration_name: b.integrationName,
        access_context: b.accessContext,
        session_id: b.sessionId,
        request_id: b.requestId,
        source_ip: b.sourceIp,
        tool: b.tool,
        kind: b.kind,
        outcome: b.outcome,
        code: b.code,
        credits: b.credits,
        duration_ms: b.durationMs,
        subject_type: b.subject?.type ?? null,
        subject_id: b.subject?.id ?? null,
        company_id: b.companyId,
        replayed: b.replayed,
      };
    }
    case 'CreditsGranted':
      return { ...base, ...none, at: entry.body.at, actor_type: entry.body.by.type, actor_id: entry.body.by.id, actor_email: entry.body.by.email, credits: entry.body.amount };
    case 'CreditLimitSet':
      return {
        ...base, ...none, at: entry.body.at, actor_type: entry.body.by.type, actor_id: entry.body.by.id, actor_email: entry.body.by.email, credits: 0,
        subject_type: entry.body.scope, subject_id: entry.body.id,
      };
    case 'CreditPricesSet':
      return { ...base, ...none, at: entry.body.at, actor_type: entry.body.by.type, actor_id: entry.body.by.id, actor_email: entry.body.by.email, credits: 0 };
    case 'WriteReverted':
      return {
        ...base, ...none, at: entry.body.at, actor_type: entry.body.by.type, actor_id: entry.body.by.id, actor_email: entry.body.by.email, credits: 0,
        subject_type: 'audit_entry', subject_id: entry.body.revertedSeqs.join(','),
      };
  }
}

/** Every record an entry concerns: what it wrote (and that record's stream's entity), its subject, its company. */
export function subjectsOf(entry: AuditEntry): string[] {
  const ids = new Set<string>();
  if (entry.type === 'ToolCallRecorded') {
    if (entry.body.subject) ids.add(entry.body.subject.id);
    if (entry.body.companyId) ids.add(entry.body.companyId);
    for (const e of entry.body.events) ids.add(entityOfStream(e.stream));
  } else if (entry.type === 'WriteReverted') {
    for (const e of entry.body.events) ids.add(entityOfStream(e.stream));
  }
  return [...ids].filter((id) => id.length > 0 && id.length <= 200);
}

/** `cta-<uuid>` → `<uuid>`: a stream's category prefix off. */
function entityOfStream(stream: string): string {
  const dash = stream.indexOf('-');
  return dash < 0 ? stream : stream.slice(dash + 1);
}
