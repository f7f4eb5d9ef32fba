import { Query } from '@nestjs/cqrs';
import type { AuditRecordView } from '../query-audit-log/query-audit-log.query';

/** One entry whole, with its place in the chain: the detail view (a write's changes with old and new values). */
export interface AuditEntryDetail extends AuditRecordView {
  /** The hash of the entry before it (all zeros for the first). */
  readonly prevHash: string;
}

/** One audit entry by its seq (its place in the log, from 0). Admins only: the caller checks. NOT_FOUND when there is none. */
export class GetAuditEntryQuery extends Query<AuditEntryDetail> {
  constructor(readonly seq: unknown) {
    super();
  }
}
