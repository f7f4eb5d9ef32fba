import { CreateCtaCommand } from '../../../customer-success/ctas/commands/create-cta/create-cta.command';
import { CTA_STATUSES, CTA_TYPES, PRIORITIES, TEXT_LIMITS } from '../../../customer-success/shared/values';
import { IDEMPOTENCY_KEY, id, inputSchema, nullableDate, nullableId, nullableText, oneOf, requiredText } from '../shared/input-schemas';
import { companyLabel, givenFields, show, writeTool } from '../shared/write-tool';

export const createCtaTool = writeTool({
  name: 'create_cta',
  title: 'Create a CTA',
  operation: 'create',
  description:
    'Create a CTA (call to action) on a company: a Risk to mitigate, an Expansion or Renewal opportunity, a Lifecycle step, an Activity, or an Objective of a success plan ' +
    '(type Objective with success_plan_id). Status defaults to New, priority to Medium, owner to you. Returns the new CTA id (entity_id); add tasks with create_cta_task. ' +
    'Check first with list_ctas that a similar open CTA does not already exist. Company fields cannot be changed through MCP: to record something about a company, create a CTA or a timeline activity. ' +
    'Pass an idempotency_key so a retry after a timeout or error returns the first result instead of creating a duplicate. May be refused by the write policy (e.g. read-only role, company not visible to you).',
  inputSchema: inputSchema(
    {
      company_id: id('The company the CTA is about (from search_companies).'),
      relationship_id: nullableId('Optional: the relationship (business unit / product line) of that company it concerns (from get_company).'),
      success_plan_id: nullableId('For type Objective: the success plan of that company it is an objective of (from list_success_plans).'),
      name: requiredText(TEXT_LIMITS.name, `A short title, e.g. "Renewal at risk: usage down 40%" (at most ${TEXT_LIMITS.name} characters).`),
      type: oneOf(CTA_TYPES, `The kind of CTA: ${CTA_TYPES.join(', ')}. Fixed once created.`),
      priority: oneOf(PRIORITIES, 'Default Medium.'),
      status: oneOf(CTA_STATUSES, 'Default New. New and WorkInProgress are open; the Closed* statuses close it.'),
      owner_id: id('The user id who owns it (e.g. a company\'s owner_id); default you.'),
      due_date: nullableDate('When it is due'),
      reason: nullableText(TEXT_LIMITS.reason, `Why it exists, e.g. the risk signal (at most ${TEXT_LIMITS.reason} characters)`),
      comments: nullableText(TEXT_LIMITS.comments, `Free comments (at most ${TEXT_LIMITS.comments} characters)`),
      idempotency_key: IDEMPOTENCY_KEY,
    },
    ['company_id', 'name', 'type'],
  ),
  command: (input, context) => new CreateCtaCommand(input, context),
  done: (r, args) => `Created ${show(args.type)} CTA ${show(args.name)} [${r.entityId}] on company ${String(args.company_id)}.`,
  describeChange: async (args, context) => {
    const details = givenFields(args, ['priority', 'status', 'owner_id', 'due_date', 'relationship_id', 'success_plan_id', 'reason', 'comments']);
    return `Create a ${String(args.type)} CTA ${show(args.name)} on ${await companyLabel(args.company_id, context)}${details.length ? `: ${details.join(', ')}` : ''}.`;
  },
});
