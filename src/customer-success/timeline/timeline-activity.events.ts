import type { TypedChange } from '../shared/changes';
import type { DomainEvent } from '../shared/decider';
import type { TimelineActivityType, TimelineContextKind } from '../shared/values';

/** The record an activity is attached to. Fixed at creation: an activity is never moved. */
export type TimelineContext = { kind: TimelineContextKind; id: string };

export type TimelineActivityFields = {
  activityId: string;
  /** The company the activity belongs to, whatever its context (for a company context, context.id). */
  companyId: string;
  context: TimelineContext;
  type: TimelineActivityType;
  subject: string;
  notes: string | null;
  /** When the call, meeting, ... took place: ISO 8601 UTC, at most one day after it was logged. */
  occurredAt: string;
  /** Who took part (names or emails), as given, without duplicates. */
  participants: string[];
  /** The user who logged the activity. */
  authorId: string;
  createdAt: string;
  updatedAt: string;
};

export const TIMELINE_ACTIVITY_UPDATABLE_FIELDS = ['subject', 'notes', 'type', 'occurredAt'] as const;
export type TimelineActivityUpdatableField = (typeof TIMELINE_ACTIVITY_UPDATABLE_FIELDS)[number];
export type TimelineActivityFieldChange = TypedChange<TimelineActivityFields, TimelineActivityUpdatableField>;

export type TimelineActivityCreated = DomainEvent<'TimelineActivityCreated', Omit<TimelineActivityFields, 'updatedAt'>>;

export type TimelineActivityUpdated = DomainEvent<
  'TimelineActivityUpdated',
  {
    activityId: string;
    /** Each changed field with its old and new value, in the order of TIMELINE_ACTIVITY_UPDATABLE_FIELDS. */
    changes: TimelineActivityFieldChange[];
    updatedAt: string;
  }
>;

export type TimelineActivityEvent = TimelineActivityCreated | TimelineActivityUpdated;
export type TimelineActivityEventType = TimelineActivityEvent['type'];
export const TIMELINE_ACTIVITY_EVENT_TYPES: readonly TimelineActivityEventType[] = [
  'TimelineActivityCreated',
  'TimelineActivityUpdated',
];

/** One stream per activity: `timeline_activity-<activityId>`. */
export const TIMELINE_ACTIVITY_STREAM_CATEGORY = 'timeline_activity';
export const timelineActivityStreamName = (activityId: string): string => `${TIMELINE_ACTIVITY_STREAM_CATEGORY}-${activityId}`;
