/** Value lists shared by the aggregates, the DTOs (`@IsIn(CTA_TYPES)`) and the read side. */

export const CTA_TYPES = ['Risk', 'Expansion', 'Renewal', 'Lifecycle', 'Activity', 'Objective'] as const;
export type CtaType = (typeof CTA_TYPES)[number];

export const PRIORITIES = ['Low', 'Medium', 'High', 'Urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const OPEN_CTA_STATUSES = ['New', 'WorkInProgress'] as const;
export const CLOSED_CTA_STATUSES = ['ClosedSuccess', 'ClosedLost', 'ClosedInvalid'] as const;
export const CTA_STATUSES = [...OPEN_CTA_STATUSES, ...CLOSED_CTA_STATUSES] as const;
export type CtaStatus = (typeof CTA_STATUSES)[number];
export type ClosedCtaStatus = (typeof CLOSED_CTA_STATUSES)[number];

export function isClosedCtaStatus(status: CtaStatus): status is ClosedCtaStatus {
  return (CLOSED_CTA_STATUSES as readonly string[]).includes(status);
}

export const TASK_STATUSES = ['Open', 'InProgress', 'Completed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const SUCCESS_PLAN_STATUSES = ['Draft', 'Active', 'Completed', 'Cancelled'] as const;
export type SuccessPlanStatus = (typeof SUCCESS_PLAN_STATUSES)[number];
/** A plan in one of these statuses is finished: read-only until its status goes back to Draft or Active. */
export const FINISHED_SUCCESS_PLAN_STATUSES = ['Completed', 'Cancelled'] as const;

export function isFinishedSuccessPlanStatus(status: SuccessPlanStatus): boolean {
  return (FINISHED_SUCCESS_PLAN_STATUSES as readonly string[]).includes(status);
}

export const TIMELINE_ACTIVITY_TYPES = ['Call', 'Meeting', 'Email', 'Update', 'Milestone'] as const;
export type TimelineActivityType = (typeof TIMELINE_ACTIVITY_TYPES)[number];

/** Where a timeline activity is attached. A scorecard is deliberately not one of them (PRODUCT.md). */
export const TIMELINE_CONTEXT_KINDS = ['company', 'relationship', 'success_plan', 'cta'] as const;
export type TimelineContextKind = (typeof TIMELINE_CONTEXT_KINDS)[number];

/** Limits on text fields: the decider enforces them and the DTOs reuse them (`@MaxLength`). */
export const TEXT_LIMITS = {
  id: 200,
  name: 255,
  label: 100,
  reason: 1_000,
  comments: 10_000,
  description: 10_000,
  notes: 50_000,
  participant: 320,
} as const;
export const MAX_PARTICIPANTS = 100;

/** One field an update changed, with its value before and after (JSON, as stored in the event). */
export type FieldChange<Field extends string = string, Value = unknown> = {
  field: Field;
  from: Value;
  to: Value;
};
