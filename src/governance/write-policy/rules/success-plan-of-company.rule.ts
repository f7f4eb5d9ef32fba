import { targetCompanyId } from '../target';
import { refuse, type WritePolicyRule } from '../write-request';

/** An objective's success plan (or a timeline activity attached to a plan) exists and belongs to the write's company. */
export const successPlanOfCompany: WritePolicyRule = async (request, { lookups }) => {
  const successPlanId =
    request.entity === 'cta' && request.operation === 'create'
      ? request.successPlanId
      : request.entity === 'timeline_activity' && request.operation === 'create' && request.contextKind === 'success_plan'
        ? request.contextId
        : undefined;
  if (successPlanId === undefined || successPlanId === null) return null;
  const companyId = await targetCompanyId(request, lookups);
  const plan = await lookups.findSuccessPlan(successPlanId);
  if (plan === null)
    return refuse(
      'SUCCESS_PLAN_NOT_FOUND',
      `There is no success plan with id ${successPlanId}; check the id (list_success_plans finds plans by company)`,
    );
  if (plan.companyId === companyId) return null;
  return refuse(
    'SUCCESS_PLAN_NOT_OF_COMPANY',
    `Success plan ${successPlanId} does not belong to company ${companyId}; use a plan of that company (list_success_plans lists them)`,
  );
};
