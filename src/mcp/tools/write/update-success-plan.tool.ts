import { GetSuccessPlanQuery } from '../../../customer-success/queries/get-success-plan/get-success-plan.query';
import { SUCCESS_PLAN_STATUSES, TEXT_LIMITS } from '../../../customer-success/shared/values';
import { UpdateSuccessPlanCommand } from '../../../customer-success/success-plans/commands/update-success-plan/update-success-plan.command';
import { IDEMPOTENCY_KEY, id, inputSchema, nullableDate, nullableText, oneOf, requiredText } from '../shared/input-schemas';
import { afterOf, fieldChanges, lookup, show, writeTool } from '../shared/write-tool';

const FIELDS = ['name', 'status', 'owner_id', 'start_date', 'due_date', 'description'] as const;

export const updateSuccessPlanTool = writeTool({
  name: 'update_success_plan',
  title: 'Update a success plan',
  operation: 'update',
  description:
    'Change fields of a success plan: name, status (Draft, Active, Completed, Cancelled), owner, start and due dates, description. ' +
    'Send the success_plan_id and only the fields to change; null clears a date or the description. A Completed or Cancelled plan only accepts a status change back to Draft or Active. ' +
    'The company is fixed and plans cannot be deleted through MCP (cancel them instead); change objectives with update_cta. ' +
    'Returns each changed field with its old and new value. Read the plan first with get_success_plan. Pass an idempotency_key so a retry is safe.',
  inputSchema: inputSchema(
    {
      success_plan_id: id('The plan to change (from list_success_plans).'),
      name: requiredText(TEXT_LIMITS.name, `New name (at most ${TEXT_LIMITS.name} characters).`),
      status: oneOf(SUCCESS_PLAN_STATUSES, 'New status.'),
      owner_id: id('New owner: a user id.'),
      start_date: nullableDate('New start date'),
      due_date: nullableDate('New due date; not before the start date'),
      description: nullableText(TEXT_LIMITS.description, `New description, replacing the old one (at most ${TEXT_LIMITS.description} characters)`),
      idempotency_key: IDEMPOTENCY_KEY,
    },
    ['success_plan_id'],
  ),
  command: (input, context) => new UpdateSuccessPlanCommand(input, context),
  done: (r) => `Updated success plan [${r.entityId}]${r.changes && r.changes.length > 0 ? ':' : ''}`,
  describeChange: async (args, context) => {
    const plan =
      typeof args.success_plan_id === 'string'
        ? await lookup(() => context.queries.execute(new GetSuccessPlanQuery(context.viewer, { successPlanId: args.success_plan_id as string, ...afterOf(context) })))
        : null;
    const label = plan ? `success plan ${show(plan.name)} on ${plan.companyName ?? plan.companyId} [${plan.successPlanId}]` : `success plan ${show(args.success_plan_id)}`;
    const changes = fieldChanges(args, FIELDS, plan as unknown as Record<string, unknown> | null);
    return `Update ${label}: ${changes.length > 0 ? changes.join('; ') : 'no field given'}.`;
  },
});
