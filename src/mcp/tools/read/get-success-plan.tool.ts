import { GetSuccessPlanQuery, type GetSuccessPlanInput } from '../../../customer-success/queries/get-success-plan/get-success-plan.query';
import { snakeObject } from '../shared/case';
import { id } from '../shared/input-schemas';
import { SUCCESS_PLAN_WITH_OBJECTIVES } from '../shared/output-schemas';
import { readTool } from '../shared/read-tool';
import { bullet, clip, ctaLine, planLine } from '../shared/render';

export const getSuccessPlanTool = readTool({
  name: 'get_success_plan',
  title: 'Get a success plan with its objectives',
  description:
    'One success plan (status, owner, start and due dates, description) with its objectives: the CTAs of type Objective attached to it, by due date. ' +
    'Use it before update_success_plan; add an objective with create_cta (type Objective, success_plan_id). Find plan ids with list_success_plans.',
  args: { success_plan_id: { schema: id('The success plan id (from list_success_plans or get_account_summary).'), required: true } },
  outputSchema: SUCCESS_PLAN_WITH_OBJECTIVES,
  query: (viewer, input: GetSuccessPlanInput) => new GetSuccessPlanQuery(viewer, input),
  structured: (r) => snakeObject(r),
  text: (r) =>
    [
      planLine(r),
      `Owner ${r.ownerId}${r.startDate ? `, starts ${r.startDate}` : ''}${r.description ? `; ${clip(r.description)}` : ''}`,
      r.objectives.length === 0 ? 'No objectives.' : 'Objectives:',
      ...r.objectives.map((t) => bullet(ctaLine(t))),
    ].join('\n'),
});
