import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import { EVENT_STORE } from '../../../infrastructure/tokens';
import { successPlanDecider, type SuccessPlanState } from '../../success-plans/success-plan.decider';
import { successPlanStreamName } from '../../success-plans/success-plan.events';
import { isCompanyVisible } from '../shared/company-reads';
import { inputObject, requiredDateTime, requiredIdInput } from '../shared/input';
import { stateAsOf } from '../shared/point-in-time';
import { notFound } from '../shared/query-error';
import { ReadModelReader } from '../shared/read-model-reader';
import { checkViewer } from '../shared/viewer';
import { GetSuccessPlanAsOfQuery, type GetSuccessPlanAsOfResult } from './get-success-plan-as-of.query';

const HINT = 'list_success_plans finds plans by company, owner or status';

/** The success plan as it was at a past instant, folded from its own events (audit, undo). */
@QueryHandler(GetSuccessPlanAsOfQuery)
export class GetSuccessPlanAsOfHandler implements IQueryHandler<GetSuccessPlanAsOfQuery> {
  constructor(
    private readonly reader: ReadModelReader,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async execute(query: GetSuccessPlanAsOfQuery): Promise<GetSuccessPlanAsOfResult> {
    const viewer = checkViewer(query.viewer);
    const input = inputObject(query.input, ['successPlanId', 'asOf', 'after']);
    const successPlanId = requiredIdInput('successPlanId', input.successPlanId);
    const asOf = requiredDateTime('asOf', input.asOf);
    const db = await this.reader.ready(input.after);
    const found = await stateAsOf<SuccessPlanState, Parameters<typeof successPlanDecider.evolve>[1]>(
      this.store,
      successPlanStreamName(successPlanId),
      asOf,
      successPlanDecider,
      (s) => s.exists,
    );
    const companyId = found?.first.data.companyId;
    if (!found || typeof companyId !== 'string' || !(await isCompanyVisible(db, viewer, companyId)))
      throw notFound('success plan', successPlanId, HINT);
    const { state, ...at } = found.at;
    return { successPlanId, asOf, ...at, successPlan: state.exists ? state.plan : null };
  }
}
