import { MAX_PARTICIPANTS, TEXT_LIMITS, TIMELINE_ACTIVITY_TYPES } from '../../../customer-success/shared/values';
import { CONTEXT_KINDS_ASKED } from '../../../customer-success/timeline/commands/create-timeline-activity/create-timeline-activity.dto';
import { CreateTimelineActivityCommand } from '../../../customer-success/timeline/commands/create-timeline-activity/create-timeline-activity.command';
import { dateTime, IDEMPOTENCY_KEY, id, inputSchema, nullableText, oneOf, requiredText } from '../shared/input-schemas';
import { companyLabel, givenFields, show, showField, writeTool } from '../shared/write-tool';

export const createTimelineActivityTool = writeTool({
  name: 'create_timeline_activity',
  title: 'Log a timeline activity',
  operation: 'create',
  description:
    'Log something that happened with a company on its timeline: a Call, Meeting, Email, Update or Milestone, with subject, notes, participants and when it took place ' +
    '(default now; not more than a day ahead). Attach it to the company itself (default) or to one of its relationships, success plans or CTAs with context_kind and context_id. ' +
    'Activities cannot be attached to a scorecard (refused). Use it for "log this call", meeting notes, status updates. ' +
    'Returns the new activity id (entity_id). Pass an idempotency_key so a retry does not log the activity twice.',
  inputSchema: inputSchema(
    {
      company_id: id('The company it happened with (from search_companies).'),
      // The DTO accepts `scorecard` so that the write policy refuses it with a reason and records the attempt.
      context_kind: oneOf(CONTEXT_KINDS_ASKED, 'What it is attached to; default company. relationship, success_plan and cta need context_id; scorecard is always refused.'),
      context_id: id("The id of the relationship, success plan or CTA (of this company) it is attached to; for company, the company id or leave out."),
      type: oneOf(TIMELINE_ACTIVITY_TYPES, 'The kind of activity.'),
      subject: requiredText(TEXT_LIMITS.name, `A one-line subject, e.g. "QBR with the CFO" (at most ${TEXT_LIMITS.name} characters).`),
      notes: nullableText(TEXT_LIMITS.notes, `Notes: what was said, decided, next steps (at most ${TEXT_LIMITS.notes} characters)`),
      occurred_at: dateTime('When it took place; default now'),
      participants: {
        type: 'array',
        items: { type: 'string', maxLength: TEXT_LIMITS.participant },
        maxItems: MAX_PARTICIPANTS,
        description: `Who took part: names or email addresses (at most ${MAX_PARTICIPANTS}).`,
      },
      idempotency_key: IDEMPOTENCY_KEY,
    },
    ['company_id', 'type', 'subject'],
  ),
  command: (input, context) => new CreateTimelineActivityCommand(input, context),
  done: (r, args) => `Logged ${show(args.type)} ${show(args.subject)} [${r.entityId}] on company ${String(args.company_id)}.`,
  describeChange: async (args, context) => {
    const attached =
      args.context_kind !== undefined && args.context_kind !== 'company' ? `, attached to ${String(args.context_kind)} ${showField('context_id', args.context_id)}` : '';
    const details = givenFields(args, ['occurred_at', 'participants', 'notes']);
    return `Log a ${String(args.type)} ${show(args.subject)} on the timeline of ${await companyLabel(args.company_id, context)}${attached}${details.length ? `: ${details.join(', ')}` : ''}.`;
  },
});
