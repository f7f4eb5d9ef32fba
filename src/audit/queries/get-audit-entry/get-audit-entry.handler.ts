import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { SqlExecutor } from '@csmcp/projections';
import { READ_MODEL_DB } from '../../../infrastructure/tokens';
import { describeValue } from '../../../customer-success/shared/validation';
import { invalidQuery, QueryError } from '../../../customer-success/queries/shared/query-error';
import type { AuditRow } from '../../read-model/audit-row';
import { viewOf } from '../query-audit-log/query-audit-log.handler';
import { GetAuditEntryQuery, type AuditEntryDetail } from './get-audit-entry.query';

@QueryHandler(GetAuditEntryQuery)
export class GetAuditEntryHandler implements IQueryHandler<GetAuditEntryQuery> {
  constructor(@Inject(READ_MODEL_DB) private readonly db: SqlExecutor) {}

  async execute(query: GetAuditEntryQuery): Promise<AuditEntryDetail> {
    const seq = query.seq;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0)
      throw invalidQuery('seq', `must be an audit entry's number: a whole number from 0; got ${describeValue(seq)}`);
    const row = await this.db.get<AuditRow>('SELECT * FROM audit_log WHERE seq = ?', [seq]);
    if (!row) {
      const last = await this.db.get<{ seq: number | string | null }>('SELECT max(seq) AS seq FROM audit_log');
      const held = last?.seq === null || last?.seq === undefined ? 'the audit log is empty' : `the audit log holds entries 0 to ${Number(last.seq)}`;
      throw new QueryError('NOT_FOUND', `There is no audit entry ${seq}; ${held}`, { field: 'seq' });
    }
    return { ...viewOf(row), prevHash: row.prev_hash };
  }
}
