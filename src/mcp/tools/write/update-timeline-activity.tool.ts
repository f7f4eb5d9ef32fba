import { TEXT_LIMITS, TIMELINE_ACTIVITY_TYPES } from '../../../customer-success/shared/values';
import { UpdateTimelineActivityCommand } from '../../../customer-success/timeline/commands/update-timeline-activity/update-timeline-activity.command';
import { dateTime, IDEMPOTENCY_KEY, id, inputSchema, nullableText, oneOf, requiredText } from '../shared/input-schemas';
import { fieldChanges, show, writeTool } from '../shared/write-tool';

const FIELDS = ['subject', 'notes', 'type', 'occurred_at'] as const;

export const updateTimelineActivityTool = writeTool({
  name: 'update_timeline_activity',
  title: 'Update a timeline activity',
  operation: 'update',
  description:
    'Correct a timeline activity: its subject, notes, type or when it took place. Send the activity_id and only the fields to change; null clears the notes. ' +
    'An activity cannot be moved to another company or record, and cannot be deleted through MCP. Returns each changed field with its old and new value. ' +
    'Find activity ids with list_timeline_activities. Pass an idempotency_key so a retry is safe.',
  inputSchema: inputSchema(
    {
      activity_id: id('The activity to change (from list_timeline_activities or get_account_summary).'),
      subject: requiredText(TEXT_LIMITS.name, `New subject (at most ${TEXT_LIMITS.name} characters).`),
      notes: nullableText(TEXT_LIMITS.notes, `New notes, replacing the old ones (at most ${TEXT_LIMITS.notes} characters)`),
      type: oneOf(TIMELINE_ACTIVITY_TYPES, 'New activity type.'),
      occurred_at: dateTime('When it actually took place'),
      idempotency_key: IDEMPOTENCY_KEY,
    },
    ['activity_id'],
  ),
  command: (input, context) => new UpdateTimelineActivityCommand(input, context),
  done: (r) => `Updated timeline activity [${r.entityId}]${r.changes && r.changes.length > 0 ? ':' : ''}`,
  // No query reads one activity by id, so the current values cannot be shown here; the result lists them.
  describeChange: async (args) => {
    const changes = fieldChanges(args, FIELDS, null);
    return `Update timeline activity ${show(args.activity_id)}: ${changes.length > 0 ? changes.join('; ') : 'no field given'}.`;
  },
});
