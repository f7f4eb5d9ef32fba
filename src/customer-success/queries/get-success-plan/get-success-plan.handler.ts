import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { inputObject, requiredIdInput } from '../shared/input';
import { notFound } from '../shared/query-error';
import { ReadModelReader } from '../shared/read-model-reader';
import { canSeeOwner, checkViewer } from '../shared/viewer';
import { CTA_COLUMNS, CTA_FROM, PLAN_COLUMNS, PLAN_FROM, toCtaView, toPlanView, type CtaRow, type PlanRow } from '../shared/views';
import { GetSuccessPlanQuery, type GetSuccessPlanResult } from './get-success-plan.query';

export const SUCCESS_PLAN_HINT = 'list_success_plans finds plans by company, owner or status';

@QueryHandler(GetSuccessPlanQuery)
export class GetSuccessPlanHandler implements IQueryHandler<GetSuccessPlanQuery> {
  constructor(private readonly reader: ReadModelReader) {}

  async execute(query: GetSuccessPlanQuery): Promise<GetSuccessPlanResult> {
    const viewer = checkViewer(query.viewer);
    const input = inputObject(query.input, ['successPlanId', 'after']);
    const successPlanId = requiredIdInput('successPlanId', input.successPlanId);
    const db = await this.reader.ready(input.after);
    const row = await db.get<PlanRow & { company_owner_id: string | null }>(
      `SELECT ${PLAN_COLUMNS}, c.owner_id AS company_owner_id FROM ${PLAN_FROM} WHERE s.success_plan_id = ?`,
      [successPlanId],
    );
    if (!row || !canSeeOwner(viewer, row.company_owner_id)) throw notFound('success plan', successPlanId, SUCCESS_PLAN_HINT);
    const objectives = await db.all<CtaRow>(
      `SELECT ${CTA_COLUMNS} FROM ${CTA_FROM} WHERE t.success_plan_id = ? ORDER BY t.due_date ASC NULLS LAST, t.created_at, t.cta_id`,
      [successPlanId],
    );
    return { ...toPlanView(row), objectives: objectives.map(toCtaView) };
  }
}
