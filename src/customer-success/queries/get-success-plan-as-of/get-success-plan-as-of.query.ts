import { Query } from '@nestjs/cqrs';
import type { Position } from '@csmcp/event-store';
import type { SuccessPlan } from '../../success-plans/success-plan.decider';
import type { ViewerScope } from '../shared/viewer';

export interface GetSuccessPlanAsOfInput {
  successPlanId: string;
  /** ISO 8601 date-time with a time zone: the plan as it was recorded at that instant. */
  asOf: string;
  after?: Position;
}

export interface GetSuccessPlanAsOfResult {
  successPlanId: string;
  asOf: string;
  /** False when the plan was created after `asOf` (then `successPlan` is null). */
  exists: boolean;
  eventCount: number;
  lastChangedAt: string | null;
  /** The plan's own fields at `asOf` (its objectives are CTAs: read them with GetCtaAsOf). */
  successPlan: SuccessPlan | null;
}

export class GetSuccessPlanAsOfQuery extends Query<GetSuccessPlanAsOfResult> {
  constructor(
    readonly viewer: ViewerScope,
    readonly input: GetSuccessPlanAsOfInput,
  ) {
    super();
  }
}
