import { applyChanges, changedFieldNames, collectChanges } from '../shared/changes';
import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import {
  calendarDate,
  commandNow,
  notCleared,
  oneOf,
  onlyUpdatableFields,
  optionalCalendarDate,
  optionalId,
  optionalText,
  requiredId,
  requiredText,
} from '../shared/validation';
import { SUCCESS_PLAN_STATUSES, TEXT_LIMITS, isFinishedSuccessPlanStatus } from '../shared/values';
import type { CreateSuccessPlan, SuccessPlanCommand, UpdateSuccessPlan } from './success-plan.commands';
import {
  SUCCESS_PLAN_UPDATABLE_FIELDS,
  type SuccessPlanCreated,
  type SuccessPlanEvent,
  type SuccessPlanFieldChange,
  type SuccessPlanFields,
  type SuccessPlanUpdatableField,
  type SuccessPlanUpdated,
} from './success-plan.events';

export type SuccessPlan = SuccessPlanFields;
export type SuccessPlanState = { exists: false } | { exists: true; plan: SuccessPlan };

export const initialState = (): SuccessPlanState => ({ exists: false });

export function evolve(state: SuccessPlanState, event: SuccessPlanEvent): SuccessPlanState {
  switch (event.type) {
    case 'SuccessPlanCreated':
      return { exists: true, plan: { ...event.data, updatedAt: event.data.createdAt, closedAt: null } };
    case 'SuccessPlanUpdated':
      if (!state.exists) return state;
      return { exists: true, plan: { ...applyChanges(state.plan, event.data.changes), updatedAt: event.data.updatedAt } };
    default:
      return state;
  }
}

export function decide(command: SuccessPlanCommand, state: SuccessPlanState): SuccessPlanEvent[] {
  switch (command.type) {
    case 'CreateSuccessPlan':
      return [createSuccessPlan(command, state)];
    case 'UpdateSuccessPlan':
      return [updateSuccessPlan(command, state)];
    default: {
      const unknown: never = command;
      throw new DomainError('VALIDATION', `Unknown success plan command ${JSON.stringify((unknown as { type?: unknown }).type)}`);
    }
  }
}

export const successPlanDecider: Decider<SuccessPlanState, SuccessPlanCommand, SuccessPlanEvent> = {
  decide,
  evolve,
  initialState,
};

function createSuccessPlan({ data, metadata }: CreateSuccessPlan, state: SuccessPlanState): SuccessPlanCreated {
  const now = commandNow(metadata);
  const successPlanId = requiredId('successPlanId', data.successPlanId);
  const status = data.status === undefined ? 'Draft' : oneOf('status', data.status, SUCCESS_PLAN_STATUSES);
  if (isFinishedSuccessPlanStatus(status))
    throw new DomainError(
      'VALIDATION',
      `status of a new success plan must be Draft or Active; got "${status}". Create it, then complete or cancel it with an update`,
      { field: 'status' },
    );
  const event: SuccessPlanCreated = {
    type: 'SuccessPlanCreated',
    data: {
      successPlanId,
      companyId: requiredId('companyId', data.companyId),
      relationshipId: optionalId('relationshipId', data.relationshipId),
      name: requiredText('name', data.name, TEXT_LIMITS.name),
      planType: optionalText('planType', data.planType, TEXT_LIMITS.label),
      status,
      ownerId: requiredId('ownerId', data.ownerId),
      startDate: optionalCalendarDate('startDate', data.startDate),
      dueDate: optionalCalendarDate('dueDate', data.dueDate),
      description: optionalText('description', data.description, TEXT_LIMITS.description),
      createdAt: now.iso,
    },
  };
  checkDates(event.data.startDate, event.data.dueDate);
  if (state.exists)
    throw new DomainError(
      'ALREADY_EXISTS',
      `A success plan with id ${successPlanId} already exists; use update_success_plan to change it, or create the new plan with another id`,
    );
  return event;
}

function updateSuccessPlan({ data, metadata }: UpdateSuccessPlan, state: SuccessPlanState): SuccessPlanUpdated {
  const now = commandNow(metadata);
  const successPlanId = requiredId('successPlanId', data.successPlanId);
  const requested = validateUpdate(data);
  if (!state.exists)
    throw new DomainError(
      'SUCCESS_PLAN_NOT_FOUND',
      `There is no success plan with id ${successPlanId}; check the id (list_success_plans finds plans by company)`,
    );
  const plan = state.plan;

  const changes: SuccessPlanFieldChange[] = collectChanges(plan, requested, SUCCESS_PLAN_UPDATABLE_FIELDS);
  if (changes.length === 0)
    throw new DomainError(
      'NOTHING_TO_CHANGE',
      `Success plan ${successPlanId} already has these values, so nothing was changed. Give at least one field with a new value (${SUCCESS_PLAN_UPDATABLE_FIELDS.join(', ')})`,
    );

  const wasFinished = isFinishedSuccessPlanStatus(plan.status);
  const newStatus = requested.status ?? plan.status;
  const finishes = !wasFinished && isFinishedSuccessPlanStatus(newStatus);
  const reopens = wasFinished && !isFinishedSuccessPlanStatus(newStatus);
  if (wasFinished && !reopens)
    throw new DomainError(
      'SUCCESS_PLAN_FINISHED',
      `Success plan ${successPlanId} is ${plan.status}, and a finished plan is read-only: ${changedFieldNames(changes)} cannot be changed. ` +
        'To change it, reopen it by setting status to Draft or Active',
    );
  checkDates(requested.startDate === undefined ? plan.startDate : requested.startDate, requested.dueDate === undefined ? plan.dueDate : requested.dueDate);

  if (finishes) changes.push({ field: 'closedAt', from: null, to: now.iso });
  if (reopens) changes.push({ field: 'closedAt', from: plan.closedAt, to: null });
  return { type: 'SuccessPlanUpdated', data: { successPlanId, changes, updatedAt: now.iso } };
}

function validateUpdate(data: UpdateSuccessPlan['data']): Partial<Pick<SuccessPlanFields, SuccessPlanUpdatableField>> {
  onlyUpdatableFields(data, ['successPlanId'], SUCCESS_PLAN_UPDATABLE_FIELDS);
  const requested: Partial<Pick<SuccessPlanFields, SuccessPlanUpdatableField>> = {};
  for (const field of ['name', 'status', 'ownerId'] as const) notCleared(field, data[field]);
  if (data.name !== undefined) requested.name = requiredText('name', data.name, TEXT_LIMITS.name);
  if (data.planType !== undefined) requested.planType = optionalText('planType', data.planType, TEXT_LIMITS.label);
  if (data.status !== undefined) requested.status = oneOf('status', data.status, SUCCESS_PLAN_STATUSES);
  if (data.ownerId !== undefined) requested.ownerId = requiredId('ownerId', data.ownerId);
  if (data.startDate !== undefined) requested.startDate = data.startDate === null ? null : calendarDate('startDate', data.startDate);
  if (data.dueDate !== undefined) requested.dueDate = data.dueDate === null ? null : calendarDate('dueDate', data.dueDate);
  if (data.description !== undefined)
    requested.description = optionalText('description', data.description, TEXT_LIMITS.description);
  return requested;
}

function checkDates(startDate: string | null, dueDate: string | null): void {
  // YYYY-MM-DD strings compare in calendar order.
  if (startDate !== null && dueDate !== null && dueDate < startDate)
    throw new DomainError(
      'DUE_DATE_BEFORE_START_DATE',
      `dueDate ${dueDate} is before startDate ${startDate}; a success plan cannot be due before it starts. Give a due date on or after the start date`,
      { field: 'dueDate' },
    );
}
