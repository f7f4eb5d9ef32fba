import { Query } from '@nestjs/cqrs';
import type { Position } from '@csmcp/event-store';
import type { ViewerScope } from '../shared/viewer';
import type { CtaView, SuccessPlanView } from '../shared/views';

export interface GetSuccessPlanInput {
  successPlanId: string;
  after?: Position;
}

/** The plan with its objectives (its CTAs of type Objective), by due date, those without one last. */
export type GetSuccessPlanResult = SuccessPlanView & { objectives: CtaView[] };

export class GetSuccessPlanQuery extends Query<GetSuccessPlanResult> {
  constructor(
    readonly viewer: ViewerScope,
    readonly input: GetSuccessPlanInput,
  ) {
    super();
  }
}
