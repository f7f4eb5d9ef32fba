import type { QueryAuditLogInput } from '../../audit/queries/query-audit-log/query-audit-log.query';
import { commaList, queryParams } from '../http/query-params';

/** GET /admin/api/audit's query parameters: QueryAuditLogQuery's filters, named as the query names them. */
export const AUDIT_LOG_PARAMS = ['user', 'integration', 'tool', 'entity', 'outcome', 'type', 'session', 'since', 'until', 'limit', 'cursor'] as const;

/**
 * The query's input from the URL: lists (tool, outcome, type) comma-separated, limit a number when it
 * is digits. Values are otherwise passed as given: the query checks them and names the parameter.
 */
export function auditLogInput(query: Record<string, unknown>): QueryAuditLogInput {
  const p = queryParams(query, AUDIT_LOG_PARAMS);
  const input: Record<keyof QueryAuditLogInput, unknown> = {
    user: p.user,
    integration: p.integration,
    tool: commaList(p.tool),
    entity: p.entity,
    outcome: commaList(p.outcome),
    type: commaList(p.type),
    session: p.session,
    since: p.since,
    until: p.until,
    // Anything else stays text, so the query's refusal quotes what was sent.
    limit: p.limit !== undefined && /^\d{1,6}$/.test(p.limit) ? Number(p.limit) : p.limit,
    cursor: p.cursor,
  };
  // Checked by the query, which names the parameter of any value it refuses.
  return input as QueryAuditLogInput;
}
