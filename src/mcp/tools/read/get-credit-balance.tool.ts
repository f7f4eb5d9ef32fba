import { GetCreditBalanceQuery } from '../../../audit/queries/get-credit-balance/get-credit-balance.query';
import type { BalanceView } from '../../../audit/credits/credits.service';
import { readAnnotations } from '../shared/annotations';
import { inputSchema } from '../shared/input-schemas';
import { queryInput } from '../shared/read-tool';
import type { ToolDefinition } from '../tool-definition';

const INT = { type: 'integer' };
const NULLABLE_INT = { type: ['integer', 'null'] };
const USE = {
  type: ['object', 'null'],
  properties: { id: { type: 'string' }, used: INT, monthly_limit: NULLABLE_INT },
};

export const getCreditBalanceTool: ToolDefinition = {
  name: 'get_credit_balance',
  title: 'Get the credit balance',
  description:
    "The organisation's credit balance, the price of each kind of call, and how many credits you (and the connector you use) have spent this month " +
    'against any monthly limit. Every call is charged in credits: by default a read 1, analyze_accounts 5, a write 2; refused or failed calls and ' +
    'this tool cost 0. A call the balance or a limit cannot cover is refused before it does anything. `limited: false` means no credits were ' +
    'granted yet: calls are counted but not limited. Takes no arguments.',
  inputSchema: inputSchema({}),
  outputSchema: {
    type: 'object',
    properties: {
      limited: { type: 'boolean' },
      balance: NULLABLE_INT,
      granted: INT,
      charged: INT,
      month: { type: 'string', description: 'YYYY-MM (UTC)' },
      prices: {
        type: 'object',
        properties: { by_kind: { type: 'object', additionalProperties: INT }, by_tool: { type: 'object', additionalProperties: INT } },
      },
      you: USE,
      integration: USE,
    },
    required: ['limited', 'balance', 'prices', 'month'],
  },
  annotations: readAnnotations('Get the credit balance'),
  scope: 'cs:read',
  kind: 'read',
  async run(args, context) {
    queryInput({}, args, undefined);
    const view = await context.queries.execute(new GetCreditBalanceQuery({ userId: context.principal.userId, integrationId: context.principal.integrationId }));
    return { structured: structured(view), text: text(view) };
  },
};

function structured(view: BalanceView): Record<string, unknown> {
  const use = (u: BalanceView['user']) => (u ? { id: u.id, used: u.used, monthly_limit: u.monthlyLimit } : null);
  return {
    limited: view.limited,
    balance: view.balance,
    granted: view.granted,
    charged: view.charged,
    month: view.month,
    prices: { by_kind: { ...view.prices.byKind }, by_tool: { ...view.prices.byTool } },
    you: use(view.user),
    integration: use(view.integration),
  };
}

function text(view: BalanceView): string {
  const lines = [
    view.balance === null ? 'Credits: not limited (none granted yet); every call is still counted.' : `Credits left for the organisation: ${view.balance}.`,
    `Prices: read ${view.prices.byKind.read}, analysis ${view.prices.byKind.analysis}, write ${view.prices.byKind.write} credits; refused and failed calls 0.`,
  ];
  if (view.user) lines.push(`You used ${view.user.used} in ${view.month}${view.user.monthlyLimit !== null ? ` of a monthly limit of ${view.user.monthlyLimit}` : ''}.`);
  if (view.integration)
    lines.push(`This connector used ${view.integration.used} in ${view.month}${view.integration.monthlyLimit !== null ? ` of a monthly limit of ${view.integration.monthlyLimit}` : ''}.`);
  return lines.join('\n');
}
