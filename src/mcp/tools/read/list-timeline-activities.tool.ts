import { ListTimelineActivitiesQuery, type ListTimelineActivitiesInput } from '../../../customer-success/queries/list-timeline-activities/list-timeline-activities.query';
import { TIMELINE_ACTIVITY_TYPES, TIMELINE_CONTEXT_KINDS } from '../../../customer-success/shared/values';
import { snakeKeys } from '../shared/case';
import { CURSOR, dateOrDateTime, id, LIMIT, oneOf, oneOrMoreOf } from '../shared/input-schemas';
import { page, TIMELINE_ACTIVITY } from '../shared/output-schemas';
import { readTool } from '../shared/read-tool';
import { activityLine, bullet, listText } from '../shared/render';

export const listTimelineActivitiesTool = readTool({
  name: 'list_timeline_activities',
  title: 'List timeline activities',
  description:
    'List timeline activities (calls, meetings, emails, updates, milestones), newest first, filtered by company, the record they are attached to ' +
    '(context_kind + context_id: a relationship, success plan or CTA), type, author or a time window; returns subject, notes, participants, when and who. ' +
    'Use it for "what happened with Acme lately" beyond the 10 activities get_account_summary shows. ' +
    'Pages of 25 by default (at most 100): pass next_cursor back as cursor for more.',
  args: {
    company_id: { schema: id('Only this company\'s activities (at any level).') },
    context_kind: { schema: oneOf(TIMELINE_CONTEXT_KINDS, 'Only activities attached to this kind of record; required with context_id.') },
    context_id: { schema: id('With context_kind: only activities attached to this record.') },
    type: { schema: oneOrMoreOf(TIMELINE_ACTIVITY_TYPES, 'Activity type.') },
    author_id: { schema: id('Only activities logged by this user id.') },
    from: { schema: dateOrDateTime('Took place at or after: a date YYYY-MM-DD (from the start of that UTC day) or an ISO 8601 date-time with a time zone.') },
    to: { schema: dateOrDateTime('Took place at or before: a date YYYY-MM-DD (to the end of that UTC day) or an ISO 8601 date-time with a time zone.') },
    limit: { schema: LIMIT },
    cursor: { schema: CURSOR },
  },
  outputSchema: page(TIMELINE_ACTIVITY, 'Timeline activities, newest first'),
  query: (viewer, input: ListTimelineActivitiesInput) => new ListTimelineActivitiesQuery(viewer, input),
  structured: (r) => ({ items: snakeKeys(r.items), next_cursor: r.nextCursor }),
  text: (r) =>
    listText(r.items.length, ['timeline activity', 'timeline activities'], r.nextCursor, r.items.map((a) => bullet(activityLine(a))), 'No timeline activities match.'),
});
