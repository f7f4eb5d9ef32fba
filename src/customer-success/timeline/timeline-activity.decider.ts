import { applyChanges, collectChanges } from '../shared/changes';
import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import {
  commandNow,
  dateTime,
  describeValue,
  notCleared,
  oneOf,
  onlyUpdatableFields,
  optionalText,
  requiredId,
  requiredText,
} from '../shared/validation';
import { MAX_PARTICIPANTS, TEXT_LIMITS, TIMELINE_ACTIVITY_TYPES, TIMELINE_CONTEXT_KINDS } from '../shared/values';
import type {
  CreateTimelineActivity,
  TimelineActivityCommand,
  UpdateTimelineActivity,
} from './timeline-activity.commands';
import {
  TIMELINE_ACTIVITY_UPDATABLE_FIELDS,
  type TimelineActivityCreated,
  type TimelineActivityEvent,
  type TimelineActivityFields,
  type TimelineActivityUpdatableField,
  type TimelineActivityUpdated,
  type TimelineContext,
} from './timeline-activity.events';

/** How far after the command's time an activity may be dated: a meeting logged ahead of a call later today. */
export const MAX_OCCURRED_AT_AHEAD_MS = 24 * 60 * 60 * 1000;

export type TimelineActivity = TimelineActivityFields;
export type TimelineActivityState = { exists: false } | { exists: true; activity: TimelineActivity };

export const initialState = (): TimelineActivityState => ({ exists: false });

export function evolve(state: TimelineActivityState, event: TimelineActivityEvent): TimelineActivityState {
  switch (event.type) {
    case 'TimelineActivityCreated':
      return { exists: true, activity: { ...event.data, updatedAt: event.data.createdAt } };
    case 'TimelineActivityUpdated':
      if (!state.exists) return state;
      return {
        exists: true,
        activity: { ...applyChanges(state.activity, event.data.changes), updatedAt: event.data.updatedAt },
      };
    default:
      return state;
  }
}

export function decide(command: TimelineActivityCommand, state: TimelineActivityState): TimelineActivityEvent[] {
  switch (command.type) {
    case 'CreateTimelineActivity':
      return [createActivity(command, state)];
    case 'UpdateTimelineActivity':
      return [updateActivity(command, state)];
    default: {
      const unknown: never = command;
      throw new DomainError('VALIDATION', `Unknown timeline command ${JSON.stringify((unknown as { type?: unknown }).type)}`);
    }
  }
}

export const timelineActivityDecider: Decider<TimelineActivityState, TimelineActivityCommand, TimelineActivityEvent> = {
  decide,
  evolve,
  initialState,
};

function createActivity({ data, metadata }: CreateTimelineActivity, state: TimelineActivityState): TimelineActivityCreated {
  const now = commandNow(metadata);
  const activityId = requiredId('activityId', data.activityId);
  const companyId = requiredId('companyId', data.companyId);
  const event: TimelineActivityCreated = {
    type: 'TimelineActivityCreated',
    data: {
      activityId,
      companyId,
      context: validateContext(data.context, companyId),
      type: oneOf('type', data.type, TIMELINE_ACTIVITY_TYPES),
      subject: requiredText('subject', data.subject, TEXT_LIMITS.name),
      notes: optionalText('notes', data.notes, TEXT_LIMITS.notes),
      occurredAt: data.occurredAt === undefined ? now.iso : occurredAt(data.occurredAt, now),
      participants: validateParticipants(data.participants),
      authorId: requiredId('authorId', data.authorId),
      createdAt: now.iso,
    },
  };
  if (state.exists)
    throw new DomainError(
      'ALREADY_EXISTS',
      `A timeline activity with id ${activityId} already exists; use update_timeline_activity to change it, or log the new activity with another id`,
    );
  return event;
}

function updateActivity({ data, metadata }: UpdateTimelineActivity, state: TimelineActivityState): TimelineActivityUpdated {
  const now = commandNow(metadata);
  const activityId = requiredId('activityId', data.activityId);
  onlyUpdatableFields(data, ['activityId'], TIMELINE_ACTIVITY_UPDATABLE_FIELDS);
  const requested: Partial<Pick<TimelineActivityFields, TimelineActivityUpdatableField>> = {};
  for (const field of ['subject', 'type', 'occurredAt'] as const) notCleared(field, data[field]);
  if (data.subject !== undefined) requested.subject = requiredText('subject', data.subject, TEXT_LIMITS.name);
  if (data.notes !== undefined) requested.notes = optionalText('notes', data.notes, TEXT_LIMITS.notes);
  if (data.type !== undefined) requested.type = oneOf('type', data.type, TIMELINE_ACTIVITY_TYPES);
  if (data.occurredAt !== undefined) requested.occurredAt = occurredAt(data.occurredAt, now);
  if (!state.exists)
    throw new DomainError(
      'TIMELINE_ACTIVITY_NOT_FOUND',
      `There is no timeline activity with id ${activityId}; check the id (list_timeline_activities finds activities by company or context)`,
    );

  const changes = collectChanges(state.activity, requested, TIMELINE_ACTIVITY_UPDATABLE_FIELDS);
  if (changes.length === 0)
    throw new DomainError(
      'NOTHING_TO_CHANGE',
      `Timeline activity ${activityId} already has these values, so nothing was changed. Give at least one field with a new value (${TIMELINE_ACTIVITY_UPDATABLE_FIELDS.join(', ')})`,
    );
  return { type: 'TimelineActivityUpdated', data: { activityId, changes, updatedAt: now.iso } };
}

function validateContext(value: unknown, companyId: string): TimelineContext {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new DomainError(
      'VALIDATION',
      `context is required: an object { kind, id } with kind one of ${TIMELINE_CONTEXT_KINDS.join(', ')}; got ${describeValue(value)}`,
      { field: 'context' },
    );
  const { kind, id } = value as { kind?: unknown; id?: unknown };
  if (kind === 'scorecard')
    throw new DomainError(
      'VALIDATION',
      `context.kind scorecard is not allowed: timeline activities cannot be attached to a scorecard. Attach it to the company, a relationship, a success plan or a CTA instead`,
      { field: 'context.kind' },
    );
  const context: TimelineContext = {
    kind: oneOf('context.kind', kind, TIMELINE_CONTEXT_KINDS),
    id: requiredId('context.id', id),
  };
  if (context.kind === 'company' && context.id !== companyId)
    throw new DomainError(
      'VALIDATION',
      `context.id must be the activity's company (${companyId}) when context.kind is company; got "${context.id}"`,
      { field: 'context.id' },
    );
  return context;
}

function occurredAt(value: unknown, now: { iso: string; ms: number }): string {
  const iso = dateTime('occurredAt', value);
  if (Date.parse(iso) - now.ms > MAX_OCCURRED_AT_AHEAD_MS)
    throw new DomainError(
      'OCCURRED_AT_IN_FUTURE',
      `occurredAt ${iso} is more than 1 day after now (${now.iso}); log activities that have happened or happen within a day. ` +
        'For something planned later, create a CTA or a task with a due date instead',
      { field: 'occurredAt' },
    );
  return iso;
}

function validateParticipants(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new DomainError('VALIDATION', `participants must be a list of names or emails; got ${describeValue(value)}`, {
      field: 'participants',
    });
  if (value.length > MAX_PARTICIPANTS)
    throw new DomainError('VALIDATION', `participants must have at most ${MAX_PARTICIPANTS} entries; got ${value.length}`, {
      field: 'participants',
    });
  const participants = value.map((entry, index) => requiredText(`participants[${index}]`, entry, TEXT_LIMITS.participant));
  return [...new Set(participants)];
}
