import { DeciderSpecification } from '@csmcp/testing';
import { DomainError } from '../shared/domain-error';
import type { CreateSuccessPlan, UpdateSuccessPlan } from './success-plan.commands';
import { successPlanDecider } from './success-plan.decider';
import type { SuccessPlanCreated, SuccessPlanUpdated } from './success-plan.events';

const spec = DeciderSpecification.for(successPlanDecider);

const created = '2025-03-01T09:00:00.000Z';
const now = '2025-03-05T16:30:00.000Z';
const later = '2025-06-30T17:00:00.000Z';

const createPlan = (data: Partial<CreateSuccessPlan['data']> = {}): CreateSuccessPlan => ({
  type: 'CreateSuccessPlan',
  data: { successPlanId: 'plan-1', companyId: 'acme', name: 'Onboarding 2025', ownerId: 'u-anna', ...data },
  metadata: { now: created },
});

const planCreated = (data: Partial<SuccessPlanCreated['data']> = {}): SuccessPlanCreated => ({
  type: 'SuccessPlanCreated',
  data: {
    successPlanId: 'plan-1',
    companyId: 'acme',
    relationshipId: null,
    name: 'Onboarding 2025',
    planType: null,
    status: 'Draft',
    ownerId: 'u-anna',
    startDate: null,
    dueDate: null,
    description: null,
    createdAt: created,
    ...data,
  },
});

const updatePlan = (data: Omit<UpdateSuccessPlan['data'], 'successPlanId'>, at = now): UpdateSuccessPlan => ({
  type: 'UpdateSuccessPlan',
  data: { successPlanId: 'plan-1', ...data },
  metadata: { now: at },
});

const planUpdated = (changes: SuccessPlanUpdated['data']['changes'], at = now): SuccessPlanUpdated => ({
  type: 'SuccessPlanUpdated',
  data: { successPlanId: 'plan-1', changes, updatedAt: at },
});

const completed = planUpdated([
  { field: 'status', from: 'Active', to: 'Completed' },
  { field: 'closedAt', from: null, to: now },
]);

describe('Success plan decider', () => {
  describe('CreateSuccessPlan', () => {
    it('creates a Draft plan with the time of the command', () => {
      spec.given([]).when(createPlan()).then([planCreated()]);
    });

    it('records every given field, trimmed', () => {
      spec
        .given([])
        .when(
          createPlan({
            relationshipId: 'acme-emea',
            name: ' EMEA adoption ',
            planType: 'Adoption',
            status: 'Active',
            startDate: '2025-03-01',
            dueDate: '2025-06-30',
            description: 'Three teams live by June',
          }),
        )
        .then([
          planCreated({
            relationshipId: 'acme-emea',
            name: 'EMEA adoption',
            planType: 'Adoption',
            status: 'Active',
            startDate: '2025-03-01',
            dueDate: '2025-06-30',
            description: 'Three teams live by June',
          }),
        ]);
    });

    it('accepts a plan due on the day it starts', () => {
      spec
        .given([])
        .when(createPlan({ startDate: '2025-03-01', dueDate: '2025-03-01' }))
        .then([planCreated({ startDate: '2025-03-01', dueDate: '2025-03-01' })]);
    });

    it('refuses a due date before the start date (DUE_DATE_BEFORE_START_DATE)', () => {
      spec
        .given([])
        .when(createPlan({ startDate: '2025-03-01', dueDate: '2025-02-28' }))
        .thenThrows(DomainError, {
          code: 'DUE_DATE_BEFORE_START_DATE',
          category: 'VALIDATION',
          field: 'dueDate',
          message:
            'dueDate 2025-02-28 is before startDate 2025-03-01; a success plan cannot be due before it starts. Give a due date on or after the start date',
        });
    });

    it.each(['Completed', 'Cancelled'] as const)('refuses to create a plan that is already %s', (status) => {
      spec
        .given([])
        .when(createPlan({ status }))
        .thenThrows(DomainError, {
          code: 'VALIDATION',
          field: 'status',
          message: `status of a new success plan must be Draft or Active; got "${status}". Create it, then complete or cancel it with an update`,
        });
    });

    it('refuses a plan id that already exists (ALREADY_EXISTS)', () => {
      spec
        .given([planCreated()])
        .when(createPlan())
        .thenThrows(DomainError, {
          code: 'ALREADY_EXISTS',
          message:
            'A success plan with id plan-1 already exists; use update_success_plan to change it, or create the new plan with another id',
        });
    });

    it.each([
      ['an unknown status', { status: 'Paused' as never }, 'status', 'status must be one of Draft, Active, Completed, Cancelled; got "Paused"'],
      ['a blank name', { name: ' ' }, 'name', 'name is required and must not be blank'],
      ['a missing company', { companyId: undefined as never }, 'companyId', 'companyId is required and must be a non-blank id; got nothing'],
      ['a blank owner', { ownerId: '' }, 'ownerId', 'ownerId is required and must be a non-blank id; got ""'],
      ['a plan type over 100 characters', { planType: 'x'.repeat(101) }, 'planType', 'planType must be at most 100 characters; got 101'],
      [
        'a start date that does not exist',
        { startDate: '2025-04-31' },
        'startDate',
        'startDate must be a calendar date written YYYY-MM-DD, for example 2025-03-31; got "2025-04-31"',
      ],
      [
        'a due date in another format',
        { dueDate: 'next Friday' },
        'dueDate',
        'dueDate must be a calendar date written YYYY-MM-DD, for example 2025-03-31; got "next Friday"',
      ],
      ['a description over 10000 characters', { description: 'x'.repeat(10_001) }, 'description', 'description must be at most 10000 characters; got 10001'],
    ])('refuses %s (VALIDATION on the field)', (_case, data, field, message) => {
      spec.given([]).when(createPlan(data)).thenThrows(DomainError, { code: 'VALIDATION', field, message });
    });
  });

  describe('UpdateSuccessPlan', () => {
    it('records each changed field with its old and new value', () => {
      spec
        .given([planCreated()])
        .when(updatePlan({ name: 'Onboarding', status: 'Active', ownerId: 'u-ben', startDate: '2025-03-10', description: 'Go live' }))
        .then([
          planUpdated([
            { field: 'name', from: 'Onboarding 2025', to: 'Onboarding' },
            { field: 'status', from: 'Draft', to: 'Active' },
            { field: 'ownerId', from: 'u-anna', to: 'u-ben' },
            { field: 'startDate', from: null, to: '2025-03-10' },
            { field: 'description', from: null, to: 'Go live' },
          ]),
        ]);
    });

    it('leaves out fields whose new value equals the current one, and clears optional fields given null', () => {
      spec
        .given([planCreated({ dueDate: '2025-06-30' })])
        .when(updatePlan({ name: 'Onboarding 2025', dueDate: null, planType: 'Onboarding' }))
        .then([
          planUpdated([
            { field: 'planType', from: null, to: 'Onboarding' },
            { field: 'dueDate', from: '2025-06-30', to: null },
          ]),
        ]);
    });

    it('refuses an update that changes nothing (NOTHING_TO_CHANGE)', () => {
      spec
        .given([planCreated()])
        .when(updatePlan({ status: 'Draft' }))
        .thenThrows(DomainError, {
          code: 'NOTHING_TO_CHANGE',
          message:
            'Success plan plan-1 already has these values, so nothing was changed. Give at least one field with a new value (name, planType, status, ownerId, startDate, dueDate, description)',
        });
    });

    it('refuses to update a plan that does not exist (SUCCESS_PLAN_NOT_FOUND)', () => {
      spec
        .given([])
        .when(updatePlan({ name: 'x' }))
        .thenThrows(DomainError, {
          code: 'SUCCESS_PLAN_NOT_FOUND',
          category: 'NOT_FOUND',
          message: 'There is no success plan with id plan-1; check the id (list_success_plans finds plans by company)',
        });
    });

    it('refuses a due date before the current start date (DUE_DATE_BEFORE_START_DATE)', () => {
      spec
        .given([planCreated({ startDate: '2025-03-01', dueDate: '2025-06-30' })])
        .when(updatePlan({ dueDate: '2025-01-31' }))
        .thenThrows(DomainError, {
          code: 'DUE_DATE_BEFORE_START_DATE',
          field: 'dueDate',
          message:
            'dueDate 2025-01-31 is before startDate 2025-03-01; a success plan cannot be due before it starts. Give a due date on or after the start date',
        });
    });

    it('refuses a start date after the current due date (DUE_DATE_BEFORE_START_DATE)', () => {
      spec
        .given([planCreated({ startDate: '2025-03-01', dueDate: '2025-06-30' })])
        .when(updatePlan({ startDate: '2025-07-01' }))
        .thenThrows(DomainError, { code: 'DUE_DATE_BEFORE_START_DATE' });
    });

    it('accepts moving both dates together', () => {
      spec
        .given([planCreated({ startDate: '2025-03-01', dueDate: '2025-06-30' })])
        .when(updatePlan({ startDate: '2025-07-01', dueDate: '2025-09-30' }))
        .then([
          planUpdated([
            { field: 'startDate', from: '2025-03-01', to: '2025-07-01' },
            { field: 'dueDate', from: '2025-06-30', to: '2025-09-30' },
          ]),
        ]);
    });

    it.each(['name', 'status', 'ownerId'] as const)('refuses to clear the required field %s', (field) => {
      spec
        .given([planCreated()])
        .when(updatePlan({ [field]: null }))
        .thenThrows(DomainError, {
          code: 'VALIDATION',
          field,
          message: `${field} cannot be cleared; give a new value or leave the field out`,
        });
    });

    it.each(['companyId', 'relationshipId', 'closedAt'])('refuses to change %s, which is fixed at creation (VALIDATION)', (field) => {
      spec
        .given([planCreated()])
        .when(updatePlan({ [field]: 'other' } as never))
        .thenThrows(DomainError, {
          code: 'VALIDATION',
          field,
          message: `${field} cannot be changed by an update; an update may change only name, planType, status, ownerId, startDate, dueDate, description`,
        });
    });

    it('completing or cancelling a plan records closedAt from the command time', () => {
      spec.given([planCreated({ status: 'Active' })]).when(updatePlan({ status: 'Completed' })).then([completed]);
      spec
        .given([planCreated()])
        .when(updatePlan({ status: 'Cancelled', description: 'Customer postponed' }))
        .then([
          planUpdated([
            { field: 'status', from: 'Draft', to: 'Cancelled' },
            { field: 'description', from: null, to: 'Customer postponed' },
            { field: 'closedAt', from: null, to: now },
          ]),
        ]);
    });

    it('a finished plan is read-only: other changes are refused (SUCCESS_PLAN_FINISHED)', () => {
      spec
        .given([planCreated({ status: 'Active' }), completed])
        .when(updatePlan({ name: 'Renamed', ownerId: 'u-ben' }, later))
        .thenThrows(DomainError, {
          code: 'SUCCESS_PLAN_FINISHED',
          category: 'ILLEGAL_STATE',
          message:
            'Success plan plan-1 is Completed, and a finished plan is read-only: name, ownerId cannot be changed. To change it, reopen it by setting status to Draft or Active',
        });
    });

    it('a finished plan cannot move to the other finished status (SUCCESS_PLAN_FINISHED)', () => {
      spec
        .given([planCreated({ status: 'Active' }), completed])
        .when(updatePlan({ status: 'Cancelled' }, later))
        .thenThrows(DomainError, { code: 'SUCCESS_PLAN_FINISHED' });
    });

    it('reopens a finished plan by setting it Active, clearing closedAt', () => {
      spec
        .given([planCreated({ status: 'Active' }), completed])
        .when(updatePlan({ status: 'Active', dueDate: '2025-12-31' }, later))
        .then([
          planUpdated(
            [
              { field: 'status', from: 'Completed', to: 'Active' },
              { field: 'dueDate', from: null, to: '2025-12-31' },
              { field: 'closedAt', from: now, to: null },
            ],
            later,
          ),
        ]);
    });
  });

  describe('evolve', () => {
    it('folds events into the plan', () => {
      const state = [planCreated({ status: 'Active' }), completed].reduce(successPlanDecider.evolve, successPlanDecider.initialState());
      expect(state).toEqual({
        exists: true,
        plan: { ...planCreated().data, status: 'Completed', closedAt: now, updatedAt: now },
      });
    });
  });
});
