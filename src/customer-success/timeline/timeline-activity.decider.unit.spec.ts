import { DeciderSpecification } from '@csmcp/testing';
import { DomainError } from '../shared/domain-error';
import type { CreateTimelineActivity, UpdateTimelineActivity } from './timeline-activity.commands';
import { timelineActivityDecider } from './timeline-activity.decider';
import type { TimelineActivityCreated, TimelineActivityUpdated } from './timeline-activity.events';

const spec = DeciderSpecification.for(timelineActivityDecider);

const now = '2025-03-05T16:30:00.000Z';
const later = '2025-03-06T10:00:00.000Z';

const createActivity = (data: Partial<CreateTimelineActivity['data']> = {}, at = now): CreateTimelineActivity => ({
  type: 'CreateTimelineActivity',
  data: {
    activityId: 'act-1',
    companyId: 'acme',
    context: { kind: 'company', id: 'acme' },
    type: 'Call',
    subject: 'QBR prep call',
    occurredAt: '2025-03-05T15:00:00Z',
    authorId: 'u-anna',
    ...data,
  },
  metadata: { now: at },
});

const activityCreated = (data: Partial<TimelineActivityCreated['data']> = {}): TimelineActivityCreated => ({
  type: 'TimelineActivityCreated',
  data: {
    activityId: 'act-1',
    companyId: 'acme',
    context: { kind: 'company', id: 'acme' },
    type: 'Call',
    subject: 'QBR prep call',
    notes: null,
    occurredAt: '2025-03-05T15:00:00.000Z',
    participants: [],
    authorId: 'u-anna',
    createdAt: now,
    ...data,
  },
});

const updateActivity = (data: Omit<UpdateTimelineActivity['data'], 'activityId'>, at = later): UpdateTimelineActivity => ({
  type: 'UpdateTimelineActivity',
  data: { activityId: 'act-1', ...data },
  metadata: { now: at },
});

const activityUpdated = (changes: TimelineActivityUpdated['data']['changes'], at = later): TimelineActivityUpdated => ({
  type: 'TimelineActivityUpdated',
  data: { activityId: 'act-1', changes, updatedAt: at },
});

describe('Timeline activity decider', () => {
  describe('CreateTimelineActivity', () => {
    it('logs an activity on a company, with occurredAt normalised to UTC', () => {
      spec.given([]).when(createActivity()).then([activityCreated()]);
    });

    it('records notes and participants (trimmed, duplicates dropped)', () => {
      spec
        .given([])
        .when(
          createActivity({
            notes: 'Discussed renewal.\nSponsor is positive.',
            participants: [' Jane Doe ', 'jane@acme.example', 'Jane Doe'],
            occurredAt: '2025-03-05T16:00:00+01:00',
          }),
        )
        .then([
          activityCreated({
            notes: 'Discussed renewal.\nSponsor is positive.',
            participants: ['Jane Doe', 'jane@acme.example'],
            occurredAt: '2025-03-05T15:00:00.000Z',
          }),
        ]);
    });

    it.each([
      ['relationship', 'acme-emea'],
      ['success_plan', 'plan-1'],
      ['cta', 'cta-1'],
    ] as const)('attaches an activity to a %s', (kind, id) => {
      spec
        .given([])
        .when(createActivity({ context: { kind, id }, type: 'Meeting' }))
        .then([activityCreated({ context: { kind, id }, type: 'Meeting' })]);
    });

    it('dates the activity now when occurredAt is left out', () => {
      spec.given([]).when(createActivity({ occurredAt: undefined })).then([activityCreated({ occurredAt: now })]);
    });

    it('accepts an activity up to 1 day ahead (a meeting logged before it starts)', () => {
      spec
        .given([])
        .when(createActivity({ occurredAt: '2025-03-06T16:30:00.000Z' }))
        .then([activityCreated({ occurredAt: '2025-03-06T16:30:00.000Z' })]);
    });

    it('refuses an activity more than 1 day in the future (OCCURRED_AT_IN_FUTURE)', () => {
      spec
        .given([])
        .when(createActivity({ occurredAt: '2025-03-06T16:30:00.001Z' }))
        .thenThrows(DomainError, {
          code: 'OCCURRED_AT_IN_FUTURE',
          category: 'VALIDATION',
          field: 'occurredAt',
          message:
            'occurredAt 2025-03-06T16:30:00.001Z is more than 1 day after now (2025-03-05T16:30:00.000Z); log activities that have happened or happen within a day. ' +
            'For something planned later, create a CTA or a task with a due date instead',
        });
    });

    it('refuses an activity on a scorecard (VALIDATION on context.kind)', () => {
      spec
        .given([])
        .when(createActivity({ context: { kind: 'scorecard' as never, id: 'sc-1' } }))
        .thenThrows(DomainError, {
          code: 'VALIDATION',
          field: 'context.kind',
          message:
            'context.kind scorecard is not allowed: timeline activities cannot be attached to a scorecard. Attach it to the company, a relationship, a success plan or a CTA instead',
        });
    });

    it("refuses a company context that is not the activity's company", () => {
      spec
        .given([])
        .when(createActivity({ context: { kind: 'company', id: 'globex' } }))
        .thenThrows(DomainError, {
          code: 'VALIDATION',
          field: 'context.id',
          message: 'context.id must be the activity\'s company (acme) when context.kind is company; got "globex"',
        });
    });

    it('refuses an activity id that already exists (ALREADY_EXISTS)', () => {
      spec
        .given([activityCreated()])
        .when(createActivity())
        .thenThrows(DomainError, {
          code: 'ALREADY_EXISTS',
          message:
            'A timeline activity with id act-1 already exists; use update_timeline_activity to change it, or log the new activity with another id',
        });
    });

    it.each([
      [
        'a missing context',
        { context: undefined as never },
        'context',
        'context is required: an object { kind, id } with kind one of company, relationship, success_plan, cta; got nothing',
      ],
      [
        'an unknown context kind',
        { context: { kind: 'contact' as never, id: 'c-1' } },
        'context.kind',
        'context.kind must be one of company, relationship, success_plan, cta; got "contact"',
      ],
      [
        'a context without id',
        { context: { kind: 'cta', id: '' } },
        'context.id',
        'context.id is required and must be a non-blank id; got ""',
      ],
      ['an unknown type', { type: 'Chat' as never }, 'type', 'type must be one of Call, Meeting, Email, Update, Milestone; got "Chat"'],
      ['a blank subject', { subject: '' }, 'subject', 'subject is required and must not be blank'],
      ['notes over 50000 characters', { notes: 'x'.repeat(50_001) }, 'notes', 'notes must be at most 50000 characters; got 50001'],
      [
        'an occurredAt without a time zone',
        { occurredAt: '2025-03-05T15:00:00' },
        'occurredAt',
        'occurredAt must be an ISO 8601 date-time with a time zone, for example 2025-03-01T14:30:00Z or 2025-03-01T15:30:00+01:00; got "2025-03-05T15:00:00"',
      ],
      [
        'an occurredAt that is only a date',
        { occurredAt: '2025-03-05' },
        'occurredAt',
        'occurredAt must be an ISO 8601 date-time with a time zone, for example 2025-03-01T14:30:00Z or 2025-03-01T15:30:00+01:00; got "2025-03-05"',
      ],
      [
        'an occurredAt that does not exist',
        { occurredAt: '2025-02-29T10:00:00Z' },
        'occurredAt',
        'occurredAt must be an ISO 8601 date-time with a time zone, for example 2025-03-01T14:30:00Z or 2025-03-01T15:30:00+01:00; got "2025-02-29T10:00:00Z"',
      ],
      [
        'an occurredAt at hour 24',
        { occurredAt: '2025-03-05T24:00:00Z' },
        'occurredAt',
        'occurredAt must be an ISO 8601 date-time with a time zone, for example 2025-03-01T14:30:00Z or 2025-03-01T15:30:00+01:00; got "2025-03-05T24:00:00Z"',
      ],
      ['participants that are not a list', { participants: 'Jane' as never }, 'participants', 'participants must be a list of names or emails; got "Jane"'],
      [
        'more than 100 participants',
        { participants: Array.from({ length: 101 }, (_, i) => `p${i}`) },
        'participants',
        'participants must have at most 100 entries; got 101',
      ],
      ['a blank participant', { participants: ['Jane', ' '] }, 'participants[1]', 'participants[1] is required and must not be blank'],
      ['a missing author', { authorId: '' }, 'authorId', 'authorId is required and must be a non-blank id; got ""'],
    ] as [string, Partial<CreateTimelineActivity['data']>, string, string][])('refuses %s (VALIDATION on the field)', (_case, data, field, message) => {
      spec.given([]).when(createActivity(data)).thenThrows(DomainError, { code: 'VALIDATION', field, message });
    });
  });

  describe('UpdateTimelineActivity', () => {
    it('records each changed field with its old and new value', () => {
      spec
        .given([activityCreated()])
        .when(updateActivity({ subject: 'QBR prep', notes: 'Agreed agenda', type: 'Meeting', occurredAt: '2025-03-05T14:00:00Z' }))
        .then([
          activityUpdated([
            { field: 'subject', from: 'QBR prep call', to: 'QBR prep' },
            { field: 'notes', from: null, to: 'Agreed agenda' },
            { field: 'type', from: 'Call', to: 'Meeting' },
            { field: 'occurredAt', from: '2025-03-05T15:00:00.000Z', to: '2025-03-05T14:00:00.000Z' },
          ]),
        ]);
    });

    it('compares occurredAt as an instant: the same time in another zone is no change', () => {
      spec
        .given([activityCreated()])
        .when(updateActivity({ occurredAt: '2025-03-05T16:00:00+01:00', notes: 'x' }))
        .then([activityUpdated([{ field: 'notes', from: null, to: 'x' }])]);
    });

    it('refuses an update that changes nothing (NOTHING_TO_CHANGE)', () => {
      spec
        .given([activityCreated()])
        .when(updateActivity({ subject: 'QBR prep call', type: 'Call' }))
        .thenThrows(DomainError, {
          code: 'NOTHING_TO_CHANGE',
          message:
            'Timeline activity act-1 already has these values, so nothing was changed. Give at least one field with a new value (subject, notes, type, occurredAt)',
        });
    });

    it('refuses to update an activity that does not exist (TIMELINE_ACTIVITY_NOT_FOUND)', () => {
      spec
        .given([])
        .when(updateActivity({ subject: 'x' }))
        .thenThrows(DomainError, {
          code: 'TIMELINE_ACTIVITY_NOT_FOUND',
          category: 'NOT_FOUND',
          message:
            'There is no timeline activity with id act-1; check the id (list_timeline_activities finds activities by company or context)',
        });
    });

    it('refuses to move occurredAt more than 1 day past the time of the update (OCCURRED_AT_IN_FUTURE)', () => {
      spec
        .given([activityCreated()])
        .when(updateActivity({ occurredAt: '2025-03-08T00:00:00Z' }))
        .thenThrows(DomainError, { code: 'OCCURRED_AT_IN_FUTURE', field: 'occurredAt' });
    });

    it.each(['context', 'companyId', 'participants', 'authorId'])(
      'refuses to change %s: an activity cannot be moved or re-attributed (VALIDATION)',
      (field) => {
        spec
          .given([activityCreated()])
          .when(updateActivity({ [field]: { kind: 'cta', id: 'cta-1' } } as never))
          .thenThrows(DomainError, {
            code: 'VALIDATION',
            field,
            message: `${field} cannot be changed by an update; an update may change only subject, notes, type, occurredAt`,
          });
      },
    );

    it.each(['subject', 'type', 'occurredAt'] as const)('refuses to clear the required field %s', (field) => {
      spec
        .given([activityCreated()])
        .when(updateActivity({ [field]: null }))
        .thenThrows(DomainError, {
          code: 'VALIDATION',
          field,
          message: `${field} cannot be cleared; give a new value or leave the field out`,
        });
    });

    it('clears the notes given null', () => {
      spec
        .given([activityCreated({ notes: 'Old notes' })])
        .when(updateActivity({ notes: null }))
        .then([activityUpdated([{ field: 'notes', from: 'Old notes', to: null }])]);
    });
  });

  describe('evolve', () => {
    it('folds events into the activity', () => {
      const state = [activityCreated(), activityUpdated([{ field: 'type', from: 'Call', to: 'Email' }])].reduce(
        timelineActivityDecider.evolve,
        timelineActivityDecider.initialState(),
      );
      expect(state).toEqual({ exists: true, activity: { ...activityCreated().data, type: 'Email', updatedAt: later } });
    });
  });
});
