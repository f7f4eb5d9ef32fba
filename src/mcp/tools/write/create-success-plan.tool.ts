import { SUCCESS_PLAN_STATUSES, TEXT_LIMITS } from '../../../customer-success/shared/values';
import { CreateSuccessPlanCommand } from '../../../customer-success/success-plans/commands/create-success-plan/create-success-plan.command';
import { IDEMPOTENCY_KEY, id, inputSchema, nullableDate, nullableId, nullableText, oneOf, requiredText } from '../shared/input-schemas';
import { companyLabel, givenFields, show, writeTool } from '../shared/write-tool';

export const createSuccessPlanTool = writeTool({
  name: 'create_success_plan',
  title: 'Create a success plan',
  operation: 'create',
  description:
    'Create a success plan for a company: a named plan (e.g. "FY27 adoption") with status (default Draft), owner (default you), start and due dates and a description. ' +
    'Its objectives are CTAs of type Objective: add them with create_cta (type Objective, success_plan_id = the new plan id, returned as entity_id). ' +
    'The due date must not be before the start date. Check list_success_plans first to avoid duplicates. ' +
    'Pass an idempotency_key so a retry after a timeout or error does not create a second plan.',
  inputSchema: inputSchema(
    {
      company_id: id('The company the plan is for (from search_companies).'),
      relationship_id: nullableId('Optional: the relationship (business unit / product line) of that company it is for (from get_company).'),
      name: requiredText(TEXT_LIMITS.name, `The plan's name (at most ${TEXT_LIMITS.name} characters).`),
      status: oneOf(SUCCESS_PLAN_STATUSES, 'Default Draft.'),
      owner_id: id('The user id who owns it; default you.'),
      start_date: nullableDate('When it starts'),
      due_date: nullableDate('When it is due; not before start_date'),
      description: nullableText(TEXT_LIMITS.description, `Goals and context (at most ${TEXT_LIMITS.description} characters)`),
      idempotency_key: IDEMPOTENCY_KEY,
    },
    ['company_id', 'name'],
  ),
  command: (input, context) => new CreateSuccessPlanCommand(input, context),
  done: (r, args) => `Created success plan ${show(args.name)} [${r.entityId}] on company ${String(args.company_id)}.`,
  describeChange: async (args, context) => {
    const details = givenFields(args, ['status', 'owner_id', 'start_date', 'due_date', 'relationship_id', 'description']);
    return `Create success plan ${show(args.name)} on ${await companyLabel(args.company_id, context)}${details.length ? `: ${details.join(', ')}` : ''}.`;
  },
});
