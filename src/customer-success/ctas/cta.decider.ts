import { applyChanges, changedFieldNames, collectChanges } from '../shared/changes';
import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import {
  calendarDate,
  commandNow,
  notCleared,
  oneOf,
  onlyUpdatableFields,
  optionalBoolean,
  optionalCalendarDate,
  optionalId,
  optionalText,
  requiredId,
  requiredText,
} from '../shared/validation';
import {
  CTA_STATUSES,
  CTA_TYPES,
  OPEN_CTA_STATUSES,
  PRIORITIES,
  TASK_STATUSES,
  TEXT_LIMITS,
  isClosedCtaStatus,
  type CtaStatus,
} from '../shared/values';
import type { CreateCta, CreateCtaTask, CtaCommand, UpdateCta } from './cta.commands';
import {
  CTA_UPDATABLE_FIELDS,
  type CtaCreated,
  type CtaEvent,
  type CtaFieldChange,
  type CtaFields,
  type CtaTask,
  type CtaTaskCreated,
  type CtaUpdated,
} from './cta.events';

export type Cta = CtaFields & { tasks: CtaTask[] };
export type CtaState = { exists: false } | { exists: true; cta: Cta };

export const initialState = (): CtaState => ({ exists: false });

export function evolve(state: CtaState, event: CtaEvent): CtaState {
  switch (event.type) {
    case 'CtaCreated':
      return { exists: true, cta: { ...event.data, updatedAt: event.data.createdAt, closedAt: null, tasks: [] } };
    case 'CtaUpdated': {
      if (!state.exists) return state;
      const { tasks, ...fields } = state.cta;
      return { exists: true, cta: { ...applyChanges(fields, event.data.changes), updatedAt: event.data.updatedAt, tasks } };
    }
    case 'CtaTaskCreated': {
      if (!state.exists) return state;
      const { ctaId: _ctaId, ...task } = event.data;
      return { exists: true, cta: { ...state.cta, tasks: [...state.cta.tasks, task] } };
    }
    default:
      return state;
  }
}

export function decide(command: CtaCommand, state: CtaState): CtaEvent[] {
  switch (command.type) {
    case 'CreateCta':
      return [createCta(command, state)];
    case 'UpdateCta':
      return [updateCta(command, state)];
    case 'CreateCtaTask':
      return [createCtaTask(command, state)];
    default: {
      const unknown: never = command;
      throw new DomainError('VALIDATION', `Unknown CTA command ${JSON.stringify((unknown as { type?: unknown }).type)}`);
    }
  }
}

export const ctaDecider: Decider<CtaState, CtaCommand, CtaEvent> = { decide, evolve, initialState };

function createCta({ data, metadata }: CreateCta, state: CtaState): CtaCreated {
  const now = commandNow(metadata);
  const ctaId = requiredId('ctaId', data.ctaId);
  const type = oneOf('type', data.type, CTA_TYPES);
  const successPlanId = optionalId('successPlanId', data.successPlanId);
  if (type === 'Objective' && successPlanId === null)
    throw new DomainError(
      'VALIDATION',
      'successPlanId is required for a CTA of type Objective: an objective belongs to a success plan. Give the id of the plan, or choose another type',
      { field: 'successPlanId' },
    );
  if (type !== 'Objective' && successPlanId !== null)
    throw new DomainError(
      'VALIDATION',
      `successPlanId is only for CTAs of type Objective (a success plan's objectives); leave it out for a ${type} CTA`,
      { field: 'successPlanId' },
    );
  const status = data.status === undefined ? 'New' : oneOf('status', data.status, CTA_STATUSES);
  if (isClosedCtaStatus(status))
    throw new DomainError(
      'VALIDATION',
      `status of a new CTA must be ${OPEN_CTA_STATUSES.join(' or ')}; got "${status}". Create it open, then close it with an update`,
      { field: 'status' },
    );
  const event: CtaCreated = {
    type: 'CtaCreated',
    data: {
      ctaId,
      companyId: requiredId('companyId', data.companyId),
      relationshipId: optionalId('relationshipId', data.relationshipId),
      successPlanId,
      name: requiredText('name', data.name, TEXT_LIMITS.name),
      type,
      priority: data.priority === undefined ? 'Medium' : oneOf('priority', data.priority, PRIORITIES),
      status,
      ownerId: requiredId('ownerId', data.ownerId),
      dueDate: optionalCalendarDate('dueDate', data.dueDate),
      reason: optionalText('reason', data.reason, TEXT_LIMITS.reason),
      comments: optionalText('comments', data.comments, TEXT_LIMITS.comments),
      createdAt: now.iso,
    },
  };
  if (state.exists)
    throw new DomainError(
      'ALREADY_EXISTS',
      `A CTA with id ${ctaId} already exists; use update_cta to change it, or create the new CTA with another id`,
    );
  return event;
}

function updateCta({ data, metadata }: UpdateCta, state: CtaState): CtaUpdated {
  const now = commandNow(metadata);
  const ctaId = requiredId('ctaId', data.ctaId);
  const requested = validateUpdate(data);
  const allowReopen = optionalBoolean('allowReopen', data.allowReopen);
  if (!state.exists) throw ctaNotFound(ctaId);
  const cta = state.cta;

  const changes: CtaFieldChange[] = collectChanges(cta, requested, CTA_UPDATABLE_FIELDS);
  if (changes.length === 0)
    throw new DomainError(
      'NOTHING_TO_CHANGE',
      `CTA ${ctaId} already has these values, so nothing was changed. Give at least one field with a new value (${CTA_UPDATABLE_FIELDS.join(', ')})`,
    );

  const wasClosed = isClosedCtaStatus(cta.status);
  const newStatus: CtaStatus = requested.status ?? cta.status;
  const closes = !wasClosed && isClosedCtaStatus(newStatus);
  const reopens = wasClosed && !isClosedCtaStatus(newStatus);

  if (wasClosed && !reopens)
    throw new DomainError(
      'CTA_CLOSED',
      `CTA ${ctaId} is closed (${cta.status}), and a closed CTA is read-only: ${changedFieldNames(changes)} cannot be changed. ` +
        `To change it, reopen it by setting status to ${OPEN_CTA_STATUSES.join(' or ')}, if your write policy allows reopening`,
    );
  if (reopens && !allowReopen)
    throw new DomainError(
      'REOPEN_NOT_ALLOWED',
      `CTA ${ctaId} is closed (${cta.status}) and reopening closed CTAs is not allowed for this caller; ` +
        'create a new CTA instead, or ask an admin to reopen it',
    );

  if (closes) changes.push({ field: 'closedAt', from: null, to: now.iso });
  if (reopens) changes.push({ field: 'closedAt', from: cta.closedAt, to: null });
  return { type: 'CtaUpdated', data: { ctaId, changes, updatedAt: now.iso } };
}

function validateUpdate(data: UpdateCta['data']): Partial<Pick<CtaFields, (typeof CTA_UPDATABLE_FIELDS)[number]>> {
  onlyUpdatableFields(data, ['ctaId', 'allowReopen'], CTA_UPDATABLE_FIELDS);
  const requested: Partial<Pick<CtaFields, (typeof CTA_UPDATABLE_FIELDS)[number]>> = {};
  for (const field of ['name', 'priority', 'status', 'ownerId'] as const) notCleared(field, data[field]);
  if (data.name !== undefined) requested.name = requiredText('name', data.name, TEXT_LIMITS.name);
  if (data.priority !== undefined) requested.priority = oneOf('priority', data.priority, PRIORITIES);
  if (data.status !== undefined) requested.status = oneOf('status', data.status, CTA_STATUSES);
  if (data.ownerId !== undefined) requested.ownerId = requiredId('ownerId', data.ownerId);
  if (data.dueDate !== undefined) requested.dueDate = data.dueDate === null ? null : calendarDate('dueDate', data.dueDate);
  if (data.reason !== undefined) requested.reason = optionalText('reason', data.reason, TEXT_LIMITS.reason);
  if (data.comments !== undefined) requested.comments = optionalText('comments', data.comments, TEXT_LIMITS.comments);
  return requested;
}

function createCtaTask({ data, metadata }: CreateCtaTask, state: CtaState): CtaTaskCreated {
  const now = commandNow(metadata);
  const ctaId = requiredId('ctaId', data.ctaId);
  const taskId = requiredId('taskId', data.taskId);
  const title = requiredText('title', data.title, TEXT_LIMITS.name);
  const description = optionalText('description', data.description, TEXT_LIMITS.description);
  const ownerId = data.ownerId === undefined ? undefined : requiredId('ownerId', data.ownerId);
  const dueDate = optionalCalendarDate('dueDate', data.dueDate);
  const priority = data.priority === undefined ? undefined : oneOf('priority', data.priority, PRIORITIES);
  const status = data.status === undefined ? 'Open' : oneOf('status', data.status, TASK_STATUSES);
  if (!state.exists) throw ctaNotFound(ctaId);
  const cta = state.cta;
  if (isClosedCtaStatus(cta.status))
    throw new DomainError(
      'TASK_ON_CLOSED_CTA',
      `CTA ${ctaId} is closed (${cta.status}); tasks can be added only to an open CTA (${OPEN_CTA_STATUSES.join(' or ')})`,
    );
  if (cta.tasks.some((task) => task.taskId === taskId))
    throw new DomainError('TASK_ALREADY_EXISTS', `CTA ${ctaId} already has a task with id ${taskId}; create the task with another id`);
  return {
    type: 'CtaTaskCreated',
    data: {
      ctaId,
      taskId,
      title,
      description,
      ownerId: ownerId ?? cta.ownerId,
      dueDate,
      priority: priority ?? cta.priority,
      status,
      createdAt: now.iso,
    },
  };
}

function ctaNotFound(ctaId: string): DomainError {
  return new DomainError('CTA_NOT_FOUND', `There is no CTA with id ${ctaId}; check the id (list_ctas finds CTAs by company)`);
}
