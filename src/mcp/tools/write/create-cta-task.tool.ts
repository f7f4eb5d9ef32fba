import { CreateCtaTaskCommand } from '../../../customer-success/ctas/commands/create-cta-task/create-cta-task.command';
import { GetCtaQuery } from '../../../customer-success/queries/get-cta/get-cta.query';
import { PRIORITIES, TASK_STATUSES, TEXT_LIMITS } from '../../../customer-success/shared/values';
import { IDEMPOTENCY_KEY, id, inputSchema, nullableDate, nullableText, oneOf, requiredText } from '../shared/input-schemas';
import { afterOf, givenFields, lookup, show, writeTool } from '../shared/write-tool';

export const createCtaTaskTool = writeTool({
  name: 'create_cta_task',
  title: 'Add a task to a CTA',
  operation: 'create',
  description:
    'Add a task (a concrete step, e.g. "Send the usage report") to an open CTA. Owner defaults to the CTA\'s owner, status to Open. ' +
    'Refused on a closed CTA. Returns the new task id (entity_id) and its CTA (parent_id); get_cta shows the CTA with all its tasks. ' +
    'Changing tasks afterwards is not offered here. Pass an idempotency_key so a retry does not add the task twice.',
  inputSchema: inputSchema(
    {
      cta_id: id('The CTA to add the task to (from list_ctas or get_account_summary).'),
      title: requiredText(TEXT_LIMITS.name, `What to do (at most ${TEXT_LIMITS.name} characters).`),
      description: nullableText(TEXT_LIMITS.description, `Details (at most ${TEXT_LIMITS.description} characters)`),
      owner_id: id("Who does it: a user id; default the CTA's owner."),
      due_date: nullableDate('When it is due'),
      priority: oneOf(PRIORITIES, 'Default Medium.'),
      status: oneOf(TASK_STATUSES, 'Default Open.'),
      idempotency_key: IDEMPOTENCY_KEY,
    },
    ['cta_id', 'title'],
  ),
  command: (input, context) => new CreateCtaTaskCommand(input, context),
  done: (r, args) => `Added task ${show(args.title)} [${r.entityId}] to CTA [${r.parentId ?? String(args.cta_id)}].`,
  describeChange: async (args, context) => {
    const cta =
      typeof args.cta_id === 'string' ? await lookup(() => context.queries.execute(new GetCtaQuery(context.viewer, { ctaId: args.cta_id as string, ...afterOf(context) }))) : null;
    const label = cta ? `CTA ${show(cta.name)} on ${cta.companyName ?? cta.companyId} [${cta.ctaId}]` : `CTA ${show(args.cta_id)}`;
    const details = givenFields(args, ['owner_id', 'due_date', 'priority', 'status', 'description']);
    return `Add task ${show(args.title)} to ${label}${details.length ? `: ${details.join(', ')}` : ''}.`;
  },
});
