import { Query } from '@nestjs/cqrs';
import type { AuditBody, CallOutcome } from '../../domain/audit-entry';

export interface QueryAuditLogInput {
  /** A user's id or email (the actor), or a machine client's id. */
  readonly user?: string;
  /** An integration's client id. */
  readonly integration?: string;
  /** One tool or a list of them. */
  readonly tool?: string | string[];
  /** Everything that concerned this record: a CTA, task, plan, activity or company id. */
  readonly entity?: string;
  readonly outcome?: CallOutcome | CallOutcome[];
  /** Entry types; default all (tool calls, grants, limits, prices, reverts). */
  readonly type?: AuditBody['type'] | AuditBody['type'][];
  readonly session?: string;
  /** Inclusive lower and upper bounds: a date (YYYY-MM-DD, whole day, UTC) or an ISO date-time. */
  readonly since?: string;
  readonly until?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface AuditRecordView {
  readonly seq: number;
  readonly type: AuditBody['type'];
  readonly at: string;
  readonly actor: { readonly type: string; readonly id: string; readonly email: string | null };
  /** The entry as recorded: a call's tool, arguments, outcome, credits, events and changes; a grant's amount and reason... */
  readonly entry: AuditBody['body'];
  readonly hash: string;
}

export interface QueryAuditLogResult {
  readonly items: AuditRecordView[];
  readonly nextCursor: string | null;
}

/** The audit log, newest first, filtered. Admins only: the caller checks the admin scope. */
export class QueryAuditLogQuery extends Query<QueryAuditLogResult> {
  constructor(readonly input: QueryAuditLogInput = {}) {
    super();
  }
}
