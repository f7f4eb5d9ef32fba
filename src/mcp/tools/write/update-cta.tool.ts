import { UpdateCtaCommand } from '../../../customer-success/ctas/commands/update-cta/update-cta.command';
import { GetCtaQuery } from '../../../customer-success/queries/get-cta/get-cta.query';
import { CTA_STATUSES, PRIORITIES, TEXT_LIMITS } from '../../../customer-success/shared/values';
import { IDEMPOTENCY_KEY, id, inputSchema, nullableDate, nullableText, oneOf, requiredText } from '../shared/input-schemas';
import { afterOf, fieldChanges, lookup, show, writeTool } from '../shared/write-tool';

const FIELDS = ['name', 'priority', 'status', 'owner_id', 'due_date', 'reason', 'comments'] as const;

export const updateCtaTool = writeTool({
  name: 'update_cta',
  title: 'Update a CTA',
  operation: 'update',
  description:
    'Change fields of an existing CTA: name, priority, status (close it with ClosedSuccess, ClosedLost or ClosedInvalid), owner, due date, reason, comments. ' +
    'Send the cta_id and only the fields to change; null clears due_date, reason or comments. The company, type and relationship are fixed; CTAs cannot be deleted through MCP ' +
    '(close them instead). Reopening a closed CTA is refused unless an admin allows it. Returns each changed field with its old and new value. ' +
    'Read the CTA first with get_cta. Pass an idempotency_key so a retry is safe.',
  inputSchema: inputSchema(
    {
      cta_id: id('The CTA to change (from list_ctas or get_account_summary).'),
      name: requiredText(TEXT_LIMITS.name, `New title (at most ${TEXT_LIMITS.name} characters).`),
      priority: oneOf(PRIORITIES, 'New priority.'),
      status: oneOf(CTA_STATUSES, 'New status: New or WorkInProgress (open), ClosedSuccess, ClosedLost or ClosedInvalid (closed).'),
      owner_id: id('New owner: a user id.'),
      due_date: nullableDate('New due date'),
      reason: nullableText(TEXT_LIMITS.reason, `New reason (at most ${TEXT_LIMITS.reason} characters)`),
      comments: nullableText(TEXT_LIMITS.comments, `New comments, replacing the old ones (at most ${TEXT_LIMITS.comments} characters)`),
      idempotency_key: IDEMPOTENCY_KEY,
    },
    ['cta_id'],
  ),
  command: (input, context) => new UpdateCtaCommand(input, context),
  done: (r) => `Updated CTA [${r.entityId}]${r.changes && r.changes.length > 0 ? ':' : ''}`,
  describeChange: async (args, context) => {
    const cta =
      typeof args.cta_id === 'string' ? await lookup(() => context.queries.execute(new GetCtaQuery(context.viewer, { ctaId: args.cta_id as string, ...afterOf(context) }))) : null;
    const label = cta ? `CTA ${show(cta.name)} on ${cta.companyName ?? cta.companyId} [${cta.ctaId}]` : `CTA ${show(args.cta_id)}`;
    const changes = fieldChanges(args, FIELDS, cta as unknown as Record<string, unknown> | null);
    return `Update ${label}: ${changes.length > 0 ? changes.join('; ') : 'no field given'}.`;
  },
});
