import { check, context, request } from '../policy-spec.helpers';
import { successPlanOfCompany } from './success-plan-of-company.rule';

describe('rule success-plan-of-company (SUCCESS_PLAN_NOT_FOUND, SUCCESS_PLAN_NOT_OF_COMPANY)', () => {
  it("refuses an objective on a success plan that does not exist", async () => {
    await expect(check(successPlanOfCompany, request({ successPlanId: 'plan-x' }), context())).resolves.toEqual({
      code: 'SUCCESS_PLAN_NOT_FOUND',
      message: 'There is no success plan with id plan-x; check the id (list_success_plans finds plans by company)',
    });
  });

  it("refuses an objective on another company's success plan", async () => {
    await expect(check(successPlanOfCompany, request({ successPlanId: 'plan-globex' }), context())).resolves.toEqual({
      code: 'SUCCESS_PLAN_NOT_OF_COMPANY',
      message: 'Success plan plan-globex does not belong to company acme; use a plan of that company (list_success_plans lists them)',
    });
  });

  it('checks a timeline activity attached to a success plan', async () => {
    const onPlan = (contextId: string) => request({ entity: 'timeline_activity', contextKind: 'success_plan', contextId });
    await expect(check(successPlanOfCompany, onPlan('plan-globex'), context())).resolves.toMatchObject({ code: 'SUCCESS_PLAN_NOT_OF_COMPANY' });
    await expect(check(successPlanOfCompany, onPlan('plan-x'), context())).resolves.toMatchObject({ code: 'SUCCESS_PLAN_NOT_FOUND' });
    await expect(check(successPlanOfCompany, onPlan('plan-acme'), context())).resolves.toBeNull();
  });

  it("lets the company's own plan, or none, through", async () => {
    await expect(check(successPlanOfCompany, request({ successPlanId: 'plan-acme' }), context())).resolves.toBeNull();
    await expect(check(successPlanOfCompany, request({ successPlanId: null }), context())).resolves.toBeNull();
  });
});
