import { GetCreditUsageQuery, USAGE_DIMENSIONS, USAGE_PERIODS, type CreditUsageResult, type GetCreditUsageInput } from '../../../audit/queries/get-credit-usage/get-credit-usage.query';
import { readAnnotations } from '../shared/annotations';
import { snakeObject } from '../shared/case';
import { inputSchema, oneOf } from '../shared/input-schemas';
import { inSnakeCase, queryInput, type ReadArg } from '../shared/read-tool';
import type { ToolDefinition } from '../tool-definition';
import { requireAdmin } from './admin-tool';

const ARGS: Record<string, ReadArg> = {
  since: { schema: { type: 'string', description: 'From this date (YYYY-MM-DD, UTC) or ISO date-time; default the 1st of this month.' } },
  until: { schema: { type: 'string', description: 'Up to this date (the whole day) or date-time; default now.' } },
  group_by: {
    schema: { type: 'array', items: { type: 'string', enum: [...USAGE_DIMENSIONS] }, maxItems: 3, description: `Group by any of ${USAGE_DIMENSIONS.join(', ')}; default [user]; [] for totals per period.` },
  },
  period: { schema: oneOf(USAGE_PERIODS, 'Bucket by day, week (named by its Monday), month, or total (default).') },
};

export const getCreditUsageTool: ToolDefinition = {
  name: 'get_credit_usage',
  title: 'Get credit usage',
  description:
    'Admins only. Credits charged and calls made (with refused and failed counts) over a time range, grouped by user, integration and/or tool and ' +
    'by day, week or month: "who spent our credits on what?". The totals reconcile exactly with the credit ledger. Free of charge.',
  inputSchema: inputSchema(Object.fromEntries(Object.entries(ARGS).map(([name, a]) => [name, a.schema]))),
  outputSchema: {
    type: 'object',
    properties: {
      since: { type: 'string' },
      until: { type: 'string' },
      group_by: { type: 'array', items: { type: 'string' } },
      period: { type: 'string' },
      rows: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            period: { type: ['string', 'null'] },
            user: { type: 'object', properties: { id: { type: 'string' }, email: { type: ['string', 'null'] } } },
            integration: { type: 'object', properties: { id: { type: ['string', 'null'] }, name: { type: ['string', 'null'] } } },
            tool: { type: 'string' },
            calls: { type: 'integer' },
            charged_calls: { type: 'integer' },
            refused_calls: { type: 'integer' },
            failed_calls: { type: 'integer' },
            credits: { type: 'integer' },
          },
        },
      },
      totals: { type: 'object', properties: { calls: { type: 'integer' }, credits: { type: 'integer' } } },
    },
    required: ['since', 'until', 'rows', 'totals'],
  },
  annotations: readAnnotations('Get credit usage'),
  scope: 'admin',
  kind: 'read',
  async run(args, context) {
    requireAdmin(context, 'get_credit_usage');
    const input = queryInput(ARGS, args, undefined) as GetCreditUsageInput;
    const result = await inSnakeCase(ARGS, () => context.queries.execute<GetCreditUsageQuery, CreditUsageResult>(new GetCreditUsageQuery(input)));
    return {
      structured: { since: result.since, until: result.until, group_by: result.groupBy, period: result.period, rows: result.rows.map((r) => snakeObject(r)), totals: result.totals },
      text: [
        ...result.rows.map((r) => `${r.period ? `${r.period} ` : ''}${[r.user?.email ?? r.user?.id, r.integration?.name ?? r.integration?.id, r.tool].filter(Boolean).join(' / ') || 'all'}: ${r.credits} credits, ${r.calls} calls`),
        `Total ${result.totals.credits} credits, ${result.totals.calls} calls (${result.since} to ${result.until}).`,
      ].join('\n'),
    };
  },
};
