import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { SqlExecutor } from '@csmcp/projections';
import { READ_MODEL_DB } from '../../../infrastructure/tokens';
import { enumList, inputObject, instantBound, optionalIdInput, optionalSearchText } from '../../../customer-success/queries/shared/input';
import { pageLimit } from '../../../customer-success/queries/shared/pagination';
import { invalidQuery, QueryError } from '../../../customer-success/queries/shared/query-error';
import { Where } from '../../../customer-success/queries/shared/where';
import { AUDIT_ENTRY_TYPES, CALL_OUTCOMES } from '../../domain/audit-entry';
import type { AuditRow } from '../../read-model/audit-row';
import { QueryAuditLogQuery, type AuditRecordView, type QueryAuditLogResult } from './query-audit-log.query';

const FIELDS = ['user', 'integration', 'tool', 'entity', 'outcome', 'type', 'session', 'since', 'until', 'limit', 'cursor'];
const TOOL = /^[a-z][a-z0-9_]{0,63}$/;

@QueryHandler(QueryAuditLogQuery)
export class QueryAuditLogHandler implements IQueryHandler<QueryAuditLogQuery> {
  constructor(@Inject(READ_MODEL_DB) private readonly db: SqlExecutor) {}

  async execute(query: QueryAuditLogQuery): Promise<QueryAuditLogResult> {
    const input = inputObject(query.input, FIELDS);
    const limit = pageLimit(input.limit);
    const user = optionalSearchText('user', input.user);
    const since = instantBound('since', input.since, 'from');
    const until = instantBound('until', input.until, 'to');
    if (since && until && since.iso > until.iso) throw new QueryError('INVALID_QUERY', `since (${String(input.since)}) must not be after until (${String(input.until)})`, { field: 'since' });
    const entity = optionalIdInput('entity', input.entity);
    const where = new Where()
      .add(user === null ? null : user.includes('@') ? 'lower(a.actor_email) = lower(?)' : 'a.actor_id = ?', ...(user === null ? [] : [user]))
      .compare('a.integration_id', '=', optionalIdInput('integration', input.integration))
      .in('a.tool', toolList(input.tool))
      .in('a.outcome', enumList('outcome', input.outcome, CALL_OUTCOMES))
      .in('a.type', enumList('type', input.type, AUDIT_ENTRY_TYPES))
      .compare('a.session_id', '=', optionalIdInput('session', input.session))
      .compare('a.at', '>=', since?.iso ?? null)
      .add(until ? `a.at ${until.exclusive ? '<' : '<='} ?` : null, ...(until ? [until.iso] : []))
      .add(entity === null ? null : 'a.seq IN (SELECT s.seq FROM audit_log_subjects s WHERE s.entity_id = ?)', ...(entity === null ? [] : [entity]))
      .compare('a.seq', '<', cursorSeq(input.cursor));
    const rows = await this.db.all<AuditRow>(`SELECT a.* FROM audit_log a ${where.toSql()} ORDER BY a.seq DESC LIMIT ?`, [...where.params, limit + 1]);
    const page = rows.slice(0, limit);
    return {
      items: page.map(viewOf),
      nextCursor: rows.length > limit ? encodeCursor(Number(page[page.length - 1].seq)) : null,
    };
  }
}

export function viewOf(row: AuditRow): AuditRecordView {
  return {
    seq: Number(row.seq),
    type: row.type as AuditRecordView['type'],
    at: row.at,
    actor: { type: row.actor_type, id: row.actor_id, email: row.actor_email },
    entry: JSON.parse(row.body) as AuditRecordView['entry'],
    hash: row.hash,
  };
}

function toolList(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  const tools = Array.isArray(value) ? value : [value];
  if (tools.length === 0 || tools.length > 50) throw invalidQuery('tool', 'must be a tool name or a list of 1 to 50 tool names');
  for (const t of tools) if (typeof t !== 'string' || !TOOL.test(t)) throw invalidQuery('tool', `must be tool names like create_cta; got ${JSON.stringify(t)}`);
  return tools as string[];
}

const CURSOR_PREFIX = 'audit:';

function encodeCursor(seq: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${seq}`, 'utf8').toString('base64url');
}

function cursorSeq(cursor: unknown): number | null {
  if (cursor === undefined || cursor === null) return null;
  const text = typeof cursor === 'string' && cursor.length <= 100 ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const seq = text.startsWith(CURSOR_PREFIX) ? Number(text.slice(CURSOR_PREFIX.length)) : NaN;
  if (!Number.isSafeInteger(seq) || seq < 0)
    throw new QueryError('INVALID_CURSOR', 'cursor is not a cursor of the audit log: pass the nextCursor of the previous page unchanged, or leave it out for the first page', { field: 'cursor' });
  return seq;
}
