import type { JsonObject } from '@csmcp/event-store';
import { ctaDecider } from '../../customer-success/ctas/cta.decider';
import { CTA_UPDATABLE_FIELDS, ctaStreamName } from '../../customer-success/ctas/cta.events';
import { successPlanDecider } from '../../customer-success/success-plans/success-plan.decider';
import { SUCCESS_PLAN_UPDATABLE_FIELDS, successPlanStreamName } from '../../customer-success/success-plans/success-plan.events';
import { timelineActivityDecider } from '../../customer-success/timeline/timeline-activity.decider';
import { TIMELINE_ACTIVITY_UPDATABLE_FIELDS, timelineActivityStreamName } from '../../customer-success/timeline/timeline-activity.events';

/** A decider whose commands and events are plain `{ type, data }` objects. */
export interface AnyDecider {
  decide(command: { type: string; data: object; metadata: { now: string } }, state: unknown): Array<{ type: string; data: JsonObject }>;
  evolve(state: unknown, event: { type: string; data: JsonObject }): unknown;
  initialState(): unknown;
}

/**
 * How a write to each kind of record is undone: its update command with the fields restored, and for
 * a record the write created, the update that withdraws it (csmcp deletes nothing). Records without
 * a way to withdraw them (a task, a timeline activity) cannot have their creation reverted.
 */
export interface RevertTarget {
  readonly entity: string;
  readonly streamName: (id: string) => string;
  readonly decider: AnyDecider;
  readonly updatable: readonly string[];
  update(id: string, fields: Record<string, unknown>, now: string): { type: string; data: object; metadata: { now: string } };
  /** The fields that withdraw a created record, or why its creation cannot be reverted. */
  readonly withdraw: Record<string, unknown> | { readonly impossible: string };
}

export const REVERT_TARGETS: Readonly<Record<string, RevertTarget>> = {
  cta: {
    entity: 'CTA',
    streamName: ctaStreamName,
    decider: ctaDecider as unknown as AnyDecider,
    updatable: CTA_UPDATABLE_FIELDS,
    // An admin's revert may reopen a CTA the write closed.
    update: (ctaId, fields, now) => ({ type: 'UpdateCta', data: { ctaId, ...fields, allowReopen: true }, metadata: { now } }),
    withdraw: { status: 'ClosedInvalid' },
  },
  success_plan: {
    entity: 'success plan',
    streamName: successPlanStreamName,
    decider: successPlanDecider as unknown as AnyDecider,
    updatable: SUCCESS_PLAN_UPDATABLE_FIELDS,
    update: (successPlanId, fields, now) => ({ type: 'UpdateSuccessPlan', data: { successPlanId, ...fields }, metadata: { now } }),
    withdraw: { status: 'Cancelled' },
  },
  timeline_activity: {
    entity: 'timeline activity',
    streamName: timelineActivityStreamName,
    decider: timelineActivityDecider as unknown as AnyDecider,
    updatable: TIMELINE_ACTIVITY_UPDATABLE_FIELDS,
    update: (activityId, fields, now) => ({ type: 'UpdateTimelineActivity', data: { activityId, ...fields }, metadata: { now } }),
    withdraw: { impossible: 'a timeline activity cannot be withdrawn (csmcp deletes nothing); correct it with update_timeline_activity instead' },
  },
  cta_task: {
    entity: 'task',
    streamName: ctaStreamName,
    decider: ctaDecider as unknown as AnyDecider,
    updatable: [],
    update: () => {
      throw new Error('tasks have no update command');
    },
    withdraw: { impossible: 'a task cannot be withdrawn (csmcp deletes nothing, and tasks have no update through MCP)' },
  },
};
