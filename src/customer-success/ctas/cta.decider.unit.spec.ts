import { DeciderSpecification } from '@csmcp/testing';
import { DomainError } from '../shared/domain-error';
import type { CreateCta, CreateCtaTask, UpdateCta } from './cta.commands';
import { ctaDecider } from './cta.decider';
import type { CtaCreated, CtaTaskCreated, CtaUpdated } from './cta.events';

const spec = DeciderSpecification.for(ctaDecider);

const created = '2025-03-01T09:00:00.000Z';
const now = '2025-03-05T16:30:00.000Z';
const later = '2025-03-09T08:00:00.000Z';

const createCta = (data: Partial<CreateCta['data']> = {}, at = created): CreateCta => ({
  type: 'CreateCta',
  data: { ctaId: 'cta-1', companyId: 'acme', name: 'Usage dropped 40%', type: 'Risk', ownerId: 'u-anna', ...data },
  metadata: { now: at },
});

const ctaCreated = (data: Partial<CtaCreated['data']> = {}): CtaCreated => ({
  type: 'CtaCreated',
  data: {
    ctaId: 'cta-1',
    companyId: 'acme',
    relationshipId: null,
    successPlanId: null,
    name: 'Usage dropped 40%',
    type: 'Risk',
    priority: 'Medium',
    status: 'New',
    ownerId: 'u-anna',
    dueDate: null,
    reason: null,
    comments: null,
    createdAt: created,
    ...data,
  },
});

const updateCta = (data: Omit<UpdateCta['data'], 'ctaId'> & { ctaId?: string }, at = now): UpdateCta => ({
  type: 'UpdateCta',
  data: { ctaId: 'cta-1', ...data },
  metadata: { now: at },
});

const ctaUpdated = (changes: CtaUpdated['data']['changes'], at = now): CtaUpdated => ({
  type: 'CtaUpdated',
  data: { ctaId: 'cta-1', changes, updatedAt: at },
});

const closed: CtaUpdated = ctaUpdated([
  { field: 'status', from: 'New', to: 'ClosedSuccess' },
  { field: 'closedAt', from: null, to: now },
]);

const createTask = (data: Partial<CreateCtaTask['data']> = {}, at = now): CreateCtaTask => ({
  type: 'CreateCtaTask',
  data: { ctaId: 'cta-1', taskId: 'task-1', title: 'Call the sponsor', ...data },
  metadata: { now: at },
});

const taskCreated = (data: Partial<CtaTaskCreated['data']> = {}): CtaTaskCreated => ({
  type: 'CtaTaskCreated',
  data: {
    ctaId: 'cta-1',
    taskId: 'task-1',
    title: 'Call the sponsor',
    description: null,
    ownerId: 'u-anna',
    dueDate: null,
    priority: 'Medium',
    status: 'Open',
    createdAt: now,
    ...data,
  },
});

describe('CTA decider', () => {
  describe('CreateCta', () => {
    it('creates a New, Medium-priority CTA with the time of the command', () => {
      spec.given([]).when(createCta()).then([ctaCreated()]);
    });

    it('records every given field, trimmed; blank optional text counts as none', () => {
      spec
        .given([])
        .when(
          createCta({
            relationshipId: 'acme-emea',
            name: '  Renewal at risk  ',
            priority: 'Urgent',
            status: 'WorkInProgress',
            dueDate: '2025-04-30',
            reason: ' Champion left ',
            comments: '   ',
          }),
        )
        .then([
          ctaCreated({
            relationshipId: 'acme-emea',
            name: 'Renewal at risk',
            priority: 'Urgent',
            status: 'WorkInProgress',
            dueDate: '2025-04-30',
            reason: 'Champion left',
          }),
        ]);
    });

    it('creates an Objective CTA linked to its success plan', () => {
      spec
        .given([])
        .when(createCta({ type: 'Objective', successPlanId: 'plan-1', name: 'Roll out to 3 teams' }))
        .then([ctaCreated({ type: 'Objective', successPlanId: 'plan-1', name: 'Roll out to 3 teams' })]);
    });

    it('refuses an Objective CTA without a success plan', () => {
      spec
        .given([])
        .when(createCta({ type: 'Objective' }))
        .thenThrows(DomainError, {
          code: 'VALIDATION',
          field: 'successPlanId',
          message:
            'successPlanId is required for a CTA of type Objective: an objective belongs to a success plan. Give the id of the plan, or choose another type',
        });
    });

    it('refuses a success plan on a CTA that is not an Objective', () => {
      spec
        .given([])
        .when(createCta({ type: 'Risk', successPlanId: 'plan-1' }))
        .thenThrows(DomainError, {
          code: 'VALIDATION',
          field: 'successPlanId',
          message: "successPlanId is only for CTAs of type Objective (a success plan's objectives); leave it out for a Risk CTA",
        });
    });

    it('refuses to create a CTA that is already closed', () => {
      spec
        .given([])
        .when(createCta({ status: 'ClosedLost' }))
        .thenThrows(DomainError, {
          code: 'VALIDATION',
          field: 'status',
          message: 'status of a new CTA must be New or WorkInProgress; got "ClosedLost". Create it open, then close it with an update',
        });
    });

    it('refuses a CTA id that already exists (ALREADY_EXISTS)', () => {
      spec
        .given([ctaCreated()])
        .when(createCta())
        .thenThrows(DomainError, {
          code: 'ALREADY_EXISTS',
          category: 'CONFLICT',
          message: 'A CTA with id cta-1 already exists; use update_cta to change it, or create the new CTA with another id',
        });
    });

    it.each([
      ['an unknown type', { type: 'Bug' as never }, 'type', 'type must be one of Risk, Expansion, Renewal, Lifecycle, Activity, Objective; got "Bug"'],
      ['an unknown priority', { priority: 'Critical' as never }, 'priority', 'priority must be one of Low, Medium, High, Urgent; got "Critical"'],
      [
        'an unknown status',
        { status: 'Open' as never },
        'status',
        'status must be one of New, WorkInProgress, ClosedSuccess, ClosedLost, ClosedInvalid; got "Open"',
      ],
      ['a blank name', { name: '   ' }, 'name', 'name is required and must not be blank'],
      ['a name that is not text', { name: 42 as never }, 'name', 'name is required and must be text; got 42'],
      ['a name over 255 characters', { name: 'x'.repeat(256) }, 'name', 'name must be at most 255 characters; got 256'],
      ['control characters in text', { name: 'bell\u0007' }, 'name', 'name must not contain control characters (tabs and line breaks are fine)'],
      ['a reason over 1000 characters', { reason: 'x'.repeat(1001) }, 'reason', 'reason must be at most 1000 characters; got 1001'],
      ['comments over 10000 characters', { comments: 'x'.repeat(10_001) }, 'comments', 'comments must be at most 10000 characters; got 10001'],
      ['a blank company id', { companyId: '' }, 'companyId', 'companyId is required and must be a non-blank id; got ""'],
      ['an id with spaces', { ctaId: 'a b' }, 'ctaId', 'ctaId must not contain spaces or control characters'],
      ['a missing owner', { ownerId: undefined as never }, 'ownerId', 'ownerId is required and must be a non-blank id; got nothing'],
      ['an id over 200 characters', { relationshipId: 'r'.repeat(201) }, 'relationshipId', 'relationshipId must be at most 200 characters; got 201'],
      [
        'a due date that does not exist',
        { dueDate: '2025-02-30' },
        'dueDate',
        'dueDate must be a calendar date written YYYY-MM-DD, for example 2025-03-31; got "2025-02-30"',
      ],
      [
        'a due date in another format',
        { dueDate: '31/03/2025' },
        'dueDate',
        'dueDate must be a calendar date written YYYY-MM-DD, for example 2025-03-31; got "31/03/2025"',
      ],
      [
        'a date-time as due date',
        { dueDate: '2025-03-31T00:00:00Z' },
        'dueDate',
        'dueDate must be a calendar date written YYYY-MM-DD, for example 2025-03-31; got "2025-03-31T00:00:00Z"',
      ],
      ['a due date before 1900', { dueDate: '1899-12-31' }, 'dueDate', 'dueDate must be in the year 1900 or later; got "1899-12-31"'],
    ])('refuses %s (VALIDATION on the field)', (_case, data, field, message) => {
      spec.given([]).when(createCta(data)).thenThrows(DomainError, { code: 'VALIDATION', category: 'VALIDATION', field, message });
    });

    it('accepts 29 February in a leap year only', () => {
      spec.given([]).when(createCta({ dueDate: '2028-02-29' })).then([ctaCreated({ dueDate: '2028-02-29' })]);
      spec.given([]).when(createCta({ dueDate: '2027-02-29' })).thenThrows(DomainError, { code: 'VALIDATION', field: 'dueDate' });
    });

    it('refuses a command without a valid clock (metadata.now)', () => {
      spec
        .given([])
        .when(createCta({}, '2025-03-01 09:00'))
        .thenThrows(DomainError, {
          code: 'VALIDATION',
          field: 'metadata.now',
          message:
            'metadata.now must be an ISO 8601 date-time with a time zone, for example 2025-03-01T14:30:00Z or 2025-03-01T15:30:00+01:00; got "2025-03-01 09:00"',
        });
    });
  });

  describe('UpdateCta', () => {
    it('records each changed field with its old and new value', () => {
      spec
        .given([ctaCreated()])
        .when(updateCta({ name: 'Usage dropped 50%', priority: 'High', dueDate: '2025-03-31', ownerId: 'u-ben' }))
        .then([
          ctaUpdated([
            { field: 'name', from: 'Usage dropped 40%', to: 'Usage dropped 50%' },
            { field: 'priority', from: 'Medium', to: 'High' },
            { field: 'ownerId', from: 'u-anna', to: 'u-ben' },
            { field: 'dueDate', from: null, to: '2025-03-31' },
          ]),
        ]);
    });

    it('leaves out fields whose new value equals the current one', () => {
      spec
        .given([ctaCreated()])
        .when(updateCta({ name: ' Usage dropped 40% ', priority: 'Medium', status: 'WorkInProgress' }))
        .then([ctaUpdated([{ field: 'status', from: 'New', to: 'WorkInProgress' }])]);
    });

    it('clears an optional field given null or blank text', () => {
      spec
        .given([ctaCreated({ dueDate: '2025-03-31', reason: 'Champion left', comments: 'Call first' })])
        .when(updateCta({ dueDate: null, reason: null, comments: '  ' }))
        .then([
          ctaUpdated([
            { field: 'dueDate', from: '2025-03-31', to: null },
            { field: 'reason', from: 'Champion left', to: null },
            { field: 'comments', from: 'Call first', to: null },
          ]),
        ]);
    });

    it('refuses an update that changes nothing (NOTHING_TO_CHANGE)', () => {
      spec
        .given([ctaCreated()])
        .when(updateCta({ name: 'Usage dropped 40%', priority: 'Medium' }))
        .thenThrows(DomainError, {
          code: 'NOTHING_TO_CHANGE',
          message:
            'CTA cta-1 already has these values, so nothing was changed. Give at least one field with a new value (name, priority, status, ownerId, dueDate, reason, comments)',
        });
    });

    it('refuses an update that names no field (NOTHING_TO_CHANGE)', () => {
      spec.given([ctaCreated()]).when(updateCta({})).thenThrows(DomainError, { code: 'NOTHING_TO_CHANGE' });
    });

    it('refuses to update a CTA that does not exist (CTA_NOT_FOUND)', () => {
      spec
        .given([])
        .when(updateCta({ name: 'x' }))
        .thenThrows(DomainError, {
          code: 'CTA_NOT_FOUND',
          category: 'NOT_FOUND',
          message: 'There is no CTA with id cta-1; check the id (list_ctas finds CTAs by company)',
        });
    });

    it.each(['name', 'priority', 'status', 'ownerId'] as const)('refuses to clear the required field %s', (field) => {
      spec
        .given([ctaCreated()])
        .when(updateCta({ [field]: null }))
        .thenThrows(DomainError, {
          code: 'VALIDATION',
          field,
          message: `${field} cannot be cleared; give a new value or leave the field out`,
        });
    });

    it.each([
      ['an unknown status', { status: 'Done' as never }, 'status', 'status must be one of New, WorkInProgress, ClosedSuccess, ClosedLost, ClosedInvalid; got "Done"'],
      ['month 13', { dueDate: '2025-13-01' }, 'dueDate', 'dueDate must be a calendar date written YYYY-MM-DD, for example 2025-03-31; got "2025-13-01"'],
      ['an empty name', { name: '' }, 'name', 'name is required and must not be blank'],
      ['an allowReopen that is not true or false', { allowReopen: 'yes' as never }, 'allowReopen', 'allowReopen must be true or false; got "yes"'],
    ])('refuses %s (VALIDATION on the field)', (_case, data, field, message) => {
      spec.given([ctaCreated()]).when(updateCta(data)).thenThrows(DomainError, { code: 'VALIDATION', field, message });
    });

    it.each(['type', 'companyId', 'relationshipId', 'successPlanId', 'closedAt'])(
      'refuses to change %s, which is fixed at creation (VALIDATION)',
      (field) => {
        spec
          .given([ctaCreated()])
          .when(updateCta({ [field]: 'other' } as never))
          .thenThrows(DomainError, {
            code: 'VALIDATION',
            field,
            message: `${field} cannot be changed by an update; an update may change only name, priority, status, ownerId, dueDate, reason, comments`,
          });
      },
    );

    it('closing a CTA records closedAt from the command time', () => {
      spec
        .given([ctaCreated()])
        .when(updateCta({ status: 'ClosedSuccess' }))
        .then([closed]);
    });

    it('closing a CTA may change other fields in the same update', () => {
      spec
        .given([ctaCreated({ status: 'WorkInProgress' })])
        .when(updateCta({ status: 'ClosedLost', reason: 'Customer churned' }))
        .then([
          ctaUpdated([
            { field: 'status', from: 'WorkInProgress', to: 'ClosedLost' },
            { field: 'reason', from: null, to: 'Customer churned' },
            { field: 'closedAt', from: null, to: now },
          ]),
        ]);
    });

    it('a closed CTA is read-only: other changes are refused (CTA_CLOSED)', () => {
      spec
        .given([ctaCreated(), closed])
        .when(updateCta({ comments: 'Follow-up done', priority: 'Low' }, later))
        .thenThrows(DomainError, {
          code: 'CTA_CLOSED',
          category: 'ILLEGAL_STATE',
          message:
            'CTA cta-1 is closed (ClosedSuccess), and a closed CTA is read-only: priority, comments cannot be changed. ' +
            'To change it, reopen it by setting status to New or WorkInProgress, if your write policy allows reopening',
        });
    });

    it('a closed CTA cannot move to another closed status (CTA_CLOSED)', () => {
      spec
        .given([ctaCreated(), closed])
        .when(updateCta({ status: 'ClosedInvalid' }, later))
        .thenThrows(DomainError, {
          code: 'CTA_CLOSED',
          message:
            'CTA cta-1 is closed (ClosedSuccess), and a closed CTA is read-only: status cannot be changed. ' +
            'To change it, reopen it by setting status to New or WorkInProgress, if your write policy allows reopening',
        });
    });

    it('repeating the values of a closed CTA changes nothing (NOTHING_TO_CHANGE, not CTA_CLOSED)', () => {
      spec
        .given([ctaCreated(), closed])
        .when(updateCta({ status: 'ClosedSuccess' }, later))
        .thenThrows(DomainError, { code: 'NOTHING_TO_CHANGE' });
    });

    it('refuses to reopen a closed CTA without allowReopen (REOPEN_NOT_ALLOWED)', () => {
      spec
        .given([ctaCreated(), closed])
        .when(updateCta({ status: 'WorkInProgress' }, later))
        .thenThrows(DomainError, {
          code: 'REOPEN_NOT_ALLOWED',
          category: 'ILLEGAL_STATE',
          message:
            'CTA cta-1 is closed (ClosedSuccess) and reopening closed CTAs is not allowed for this caller; ' +
            'create a new CTA instead, or ask an admin to reopen it',
        });
      spec
        .given([ctaCreated(), closed])
        .when(updateCta({ status: 'New', allowReopen: false }, later))
        .thenThrows(DomainError, { code: 'REOPEN_NOT_ALLOWED' });
    });

    it('reopens a closed CTA with allowReopen, clearing closedAt, with other changes in the same update', () => {
      spec
        .given([ctaCreated(), closed])
        .when(updateCta({ status: 'WorkInProgress', allowReopen: true, dueDate: '2025-04-15' }, later))
        .then([
          ctaUpdated(
            [
              { field: 'status', from: 'ClosedSuccess', to: 'WorkInProgress' },
              { field: 'dueDate', from: null, to: '2025-04-15' },
              { field: 'closedAt', from: now, to: null },
            ],
            later,
          ),
        ]);
    });

    it('a reopened CTA can be changed and closed again', () => {
      const reopened = ctaUpdated(
        [
          { field: 'status', from: 'ClosedSuccess', to: 'New' },
          { field: 'closedAt', from: now, to: null },
        ],
        later,
      );
      spec
        .given([ctaCreated(), closed, reopened])
        .when(updateCta({ status: 'ClosedInvalid' }, '2025-03-10T00:00:00.000Z'))
        .then([
          ctaUpdated(
            [
              { field: 'status', from: 'New', to: 'ClosedInvalid' },
              { field: 'closedAt', from: null, to: '2025-03-10T00:00:00.000Z' },
            ],
            '2025-03-10T00:00:00.000Z',
          ),
        ]);
    });

    it('allowReopen on an open CTA is harmless', () => {
      spec
        .given([ctaCreated()])
        .when(updateCta({ priority: 'High', allowReopen: true }))
        .then([ctaUpdated([{ field: 'priority', from: 'Medium', to: 'High' }])]);
    });

    it('compares with the state after earlier updates', () => {
      spec
        .given([ctaCreated(), ctaUpdated([{ field: 'priority', from: 'Medium', to: 'High' }])])
        .when(updateCta({ priority: 'High' }))
        .thenThrows(DomainError, { code: 'NOTHING_TO_CHANGE' });
    });
  });

  describe('CreateCtaTask', () => {
    it("creates an Open task with the CTA's owner and priority by default", () => {
      spec.given([ctaCreated()]).when(createTask()).then([taskCreated()]);
    });

    it('records every given field', () => {
      spec
        .given([ctaCreated()])
        .when(
          createTask({
            title: ' Send the QBR deck ',
            description: 'Include usage charts',
            ownerId: 'u-ben',
            dueDate: '2025-03-20',
            priority: 'High',
            status: 'InProgress',
          }),
        )
        .then([
          taskCreated({
            title: 'Send the QBR deck',
            description: 'Include usage charts',
            ownerId: 'u-ben',
            dueDate: '2025-03-20',
            priority: 'High',
            status: 'InProgress',
          }),
        ]);
    });

    it('adds tasks to a CTA that already has some', () => {
      spec
        .given([ctaCreated({ status: 'WorkInProgress' }), taskCreated()])
        .when(createTask({ taskId: 'task-2' }))
        .then([taskCreated({ taskId: 'task-2' })]);
    });

    it('refuses a task on a CTA that does not exist (CTA_NOT_FOUND)', () => {
      spec
        .given([])
        .when(createTask())
        .thenThrows(DomainError, {
          code: 'CTA_NOT_FOUND',
          message: 'There is no CTA with id cta-1; check the id (list_ctas finds CTAs by company)',
        });
    });

    it('refuses a task on a closed CTA (TASK_ON_CLOSED_CTA)', () => {
      spec
        .given([ctaCreated(), closed])
        .when(createTask({}, later))
        .thenThrows(DomainError, {
          code: 'TASK_ON_CLOSED_CTA',
          category: 'ILLEGAL_STATE',
          message: 'CTA cta-1 is closed (ClosedSuccess); tasks can be added only to an open CTA (New or WorkInProgress)',
        });
    });

    it('refuses a task id the CTA already has (TASK_ALREADY_EXISTS)', () => {
      spec
        .given([ctaCreated(), taskCreated()])
        .when(createTask({ title: 'Another' }))
        .thenThrows(DomainError, {
          code: 'TASK_ALREADY_EXISTS',
          category: 'CONFLICT',
          message: 'CTA cta-1 already has a task with id task-1; create the task with another id',
        });
    });

    it.each([
      ['an empty title', { title: '' }, 'title', 'title is required and must not be blank'],
      ['an empty task id', { taskId: '' }, 'taskId', 'taskId is required and must be a non-blank id; got ""'],
      ['an unknown task status', { status: 'Done' as never }, 'status', 'status must be one of Open, InProgress, Completed; got "Done"'],
      ['an unknown priority', { priority: 'P1' as never }, 'priority', 'priority must be one of Low, Medium, High, Urgent; got "P1"'],
      ['a due date without leading zeros', { dueDate: '2025-3-1' }, 'dueDate', 'dueDate must be a calendar date written YYYY-MM-DD, for example 2025-03-31; got "2025-3-1"'],
      ['a null owner', { ownerId: null as never }, 'ownerId', 'ownerId is required and must be a non-blank id; got null'],
      ['a description over 10000 characters', { description: 'x'.repeat(10_001) }, 'description', 'description must be at most 10000 characters; got 10001'],
    ])('refuses %s (VALIDATION on the field)', (_case, data, field, message) => {
      spec.given([ctaCreated()]).when(createTask(data)).thenThrows(DomainError, { code: 'VALIDATION', field, message });
    });
  });

  describe('evolve', () => {
    it('folds events into the CTA with its tasks (point-in-time reads use the same fold)', () => {
      const { ctaId: _ctaId, ...task } = taskCreated().data;
      const state = [ctaCreated(), taskCreated(), closed].reduce(ctaDecider.evolve, ctaDecider.initialState());
      expect(state).toEqual({
        exists: true,
        cta: {
          ...ctaCreated().data,
          status: 'ClosedSuccess',
          closedAt: now,
          updatedAt: now,
          tasks: [task],
        },
      });
    });
  });
});
