import type { TypedChange } from '../shared/changes';
import type { DomainEvent } from '../shared/decider';
import type { SuccessPlanStatus } from '../shared/values';

/**
 * A success plan. Its objectives are not stored here: they are CTAs of type Objective whose
 * `successPlanId` names the plan (see ctas/), so they keep their own status, owner and tasks.
 */
export type SuccessPlanFields = {
  successPlanId: string;
  companyId: string;
  relationshipId: string | null;
  name: string;
  /** Free text such as Onboarding, Adoption, Renewal (the read model's plan_type). */
  planType: string | null;
  status: SuccessPlanStatus;
  ownerId: string;
  /** YYYY-MM-DD; when both are set, dueDate is not before startDate. */
  startDate: string | null;
  dueDate: string | null;
  description: string | null;
  createdAt: string;
  updatedAt: string;
  /** When the plan became Completed or Cancelled; null while Draft or Active. */
  closedAt: string | null;
};

export const SUCCESS_PLAN_UPDATABLE_FIELDS = ['name', 'planType', 'status', 'ownerId', 'startDate', 'dueDate', 'description'] as const;
export type SuccessPlanUpdatableField = (typeof SUCCESS_PLAN_UPDATABLE_FIELDS)[number];
export type SuccessPlanFieldChange = TypedChange<SuccessPlanFields, SuccessPlanUpdatableField | 'closedAt'>;

export type SuccessPlanCreated = DomainEvent<'SuccessPlanCreated', Omit<SuccessPlanFields, 'updatedAt' | 'closedAt'>>;

export type SuccessPlanUpdated = DomainEvent<
  'SuccessPlanUpdated',
  {
    successPlanId: string;
    /** Each changed field with its old and new value, in the order of SUCCESS_PLAN_UPDATABLE_FIELDS, closedAt last. */
    changes: SuccessPlanFieldChange[];
    updatedAt: string;
  }
>;

export type SuccessPlanEvent = SuccessPlanCreated | SuccessPlanUpdated;
export type SuccessPlanEventType = SuccessPlanEvent['type'];
export const SUCCESS_PLAN_EVENT_TYPES: readonly SuccessPlanEventType[] = ['SuccessPlanCreated', 'SuccessPlanUpdated'];

/** One stream per plan: `success_plan-<successPlanId>`. */
export const SUCCESS_PLAN_STREAM_CATEGORY = 'success_plan';
export const successPlanStreamName = (successPlanId: string): string => `${SUCCESS_PLAN_STREAM_CATEGORY}-${successPlanId}`;
