import type { DomainCommand } from '../shared/decider';
import type { TimelineActivityType, TimelineContextKind } from '../shared/values';

export type CreateTimelineActivity = DomainCommand<
  'CreateTimelineActivity',
  {
    activityId: string;
    companyId: string;
    /** company, relationship, success_plan or cta (never scorecard); for company, id equals companyId. */
    context: { kind: TimelineContextKind; id: string };
    type: TimelineActivityType;
    subject: string;
    notes?: string | null;
    /** ISO 8601 date-time with a zone; default: the command's time. At most 1 day in the future. */
    occurredAt?: string;
    participants?: string[];
    authorId: string;
  }
>;

/** Only subject, notes, type and occurredAt can change; the context, company, author and participants are fixed. */
export type UpdateTimelineActivity = DomainCommand<
  'UpdateTimelineActivity',
  {
    activityId: string;
    subject?: string;
    notes?: string | null;
    type?: TimelineActivityType;
    occurredAt?: string;
  }
>;

export type TimelineActivityCommand = CreateTimelineActivity | UpdateTimelineActivity;
