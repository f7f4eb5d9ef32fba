import { CALL_OUTCOMES } from '../../../audit/domain/audit-entry';
import { QueryAuditLogQuery, type QueryAuditLogInput, type QueryAuditLogResult } from '../../../audit/queries/query-audit-log/query-audit-log.query';
import { readAnnotations } from '../shared/annotations';
import { CURSOR, LIMIT, id, inputSchema, oneOrMoreOf } from '../shared/input-schemas';
import { inSnakeCase, queryInput, type ReadArg } from '../shared/read-tool';
import type { ToolDefinition } from '../tool-definition';
import { requireAdmin } from './admin-tool';

const ARGS: Record<string, ReadArg> = {
  user: { schema: { type: 'string', maxLength: 200, description: "A user's email or id (or a machine client's id): only their calls." } },
  integration: { schema: id('An integration (connector) client id: only calls through it.') },
  tool: { schema: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 50 }], description: 'A tool name, e.g. create_cta, or a list.' } },
  entity: { schema: id('A CTA, task, success plan, timeline activity or company id: everything that concerned it.') },
  outcome: { schema: oneOrMoreOf(CALL_OUTCOMES, 'Only calls with this outcome.') },
  session: { schema: id('One MCP session id.') },
  since: { schema: { type: 'string', description: 'From this date (YYYY-MM-DD, UTC) or ISO 8601 date-time, inclusive.' } },
  until: { schema: { type: 'string', description: 'Up to this date (the whole day) or date-time, inclusive.' } },
  limit: { schema: LIMIT },
  cursor: { schema: CURSOR },
};

export const queryAuditLogTool: ToolDefinition = {
  name: 'query_audit_log',
  title: 'Query the audit log',
  description:
    'Admins only. The audit log of every MCP tool call (who, through which connector, what arguments, outcome, credits, the events written and each ' +
    'field changed with its old and new value) and every credit grant, limit and price change, newest first. Answers "what did the LLM change, for whom, ' +
    'and when?": filter by user, integration, tool, entity (everything that happened to CTA X), outcome and time range; follow next_cursor for more. Free of charge.',
  inputSchema: inputSchema(Object.fromEntries(Object.entries(ARGS).map(([name, a]) => [name, a.schema]))),
  outputSchema: {
    type: 'object',
    properties: {
      items: { type: 'array', items: { type: 'object', properties: { seq: { type: 'integer' }, type: { type: 'string' }, at: { type: 'string' }, actor: { type: 'object' }, entry: { type: 'object' }, hash: { type: 'string' } } } },
      next_cursor: { type: ['string', 'null'] },
    },
    required: ['items', 'next_cursor'],
  },
  annotations: readAnnotations('Query the audit log'),
  scope: 'admin',
  kind: 'read',
  async run(args, context) {
    requireAdmin(context, 'query_audit_log');
    const input = queryInput(ARGS, args, undefined) as QueryAuditLogInput;
    const page = await inSnakeCase(ARGS, () => context.queries.execute<QueryAuditLogQuery, QueryAuditLogResult>(new QueryAuditLogQuery(input)));
    return { structured: { items: page.items, next_cursor: page.nextCursor }, text: page.items.map(line).join('\n') || 'No audit entries match.' };
  },
};

function line(item: QueryAuditLogResult['items'][number]): string {
  const e = item.entry as unknown as Record<string, any>;
  const who = item.actor.email ?? `${item.actor.type}:${item.actor.id}`;
  if (item.type !== 'ToolCallRecorded') return `#${item.seq} ${item.at} ${who} ${item.type} ${JSON.stringify(e)}`;
  const changes = (e.changes as Array<{ field: string; from: unknown; to: unknown }>).map((c) => `${c.field}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`).join('; ');
  return `#${item.seq} ${item.at} ${who} via ${e.integrationName ?? e.integrationId ?? '-'}: ${e.tool} ${e.outcome}${e.code ? ` (${e.code})` : ''}, ${e.credits} credits${e.subject ? ` on ${e.subject.type} ${e.subject.id}` : ''}${changes ? ` — ${changes}` : ''}`;
}
