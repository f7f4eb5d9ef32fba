import { describeOnEachDatabase } from '../testing/read-side.fixture';
import { BOB, errorOf, EVERYONE, seedBook } from '../testing/book';
import type { ViewerScope } from '../shared/viewer';
import { GetSuccessPlanHandler } from './get-success-plan.handler';
import { GetSuccessPlanQuery } from './get-success-plan.query';

describeOnEachDatabase('GetSuccessPlan', (fx) => {
  let handler: GetSuccessPlanHandler;
  const get = (successPlanId: string, viewer: ViewerScope = EVERYONE) => handler.execute(new GetSuccessPlanQuery(viewer, { successPlanId }));

  beforeAll(async () => {
    const f = fx();
    await seedBook(f);
    await f.createPlan({
      successPlanId: 'onboard', companyId: 'acme', name: 'Onboarding', planType: 'Onboarding', ownerId: 'alice', status: 'Active',
      startDate: '2025-01-01', dueDate: '2025-06-30', description: 'Get Acme live',
    });
    const objective = (ctaId: string, name: string, dueDate: string | null) =>
      f.createCta({ ctaId, companyId: 'acme', successPlanId: 'onboard', name, type: 'Objective', ownerId: 'alice', dueDate });
    await objective('obj-3', 'Expand to EU', null);
    await objective('obj-2', 'Go live', '2025-04-01');
    await objective('obj-1', 'Admins trained', '2025-02-01');
    await f.updateCta({ ctaId: 'obj-1', status: 'ClosedSuccess' });
    await f.createCta({ ctaId: 'not-objective', companyId: 'acme', name: 'Unrelated', type: 'Risk', ownerId: 'alice' });
    await f.createPlan({ successPlanId: 'empty', companyId: 'acme', name: 'Empty', ownerId: 'alice' });
    await f.settle();
    handler = new GetSuccessPlanHandler(f.reader());
  });

  it('answers the plan with its objectives by due date, those without one last', async () => {
    const plan = await get('onboard');
    expect(plan).toMatchObject({
      successPlanId: 'onboard',
      companyName: 'Acme Corp',
      name: 'Onboarding',
      planType: 'Onboarding',
      status: 'Active',
      description: 'Get Acme live',
      objectiveCount: 3,
      openObjectiveCount: 2,
    });
    expect(plan.objectives.map((o) => [o.ctaId, o.type, o.isOpen])).toEqual([
      ['obj-1', 'Objective', false],
      ['obj-2', 'Objective', true],
      ['obj-3', 'Objective', true],
    ]);
    expect((await get('empty')).objectives).toEqual([]);
  });

  it('answers NOT_FOUND for an unknown plan and for one the viewer may not see', async () => {
    expect(await errorOf(get('nope'))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'There is no success plan with id "nope" that you can see; list_success_plans finds plans by company, owner or status',
    });
    expect(await errorOf(get('onboard', BOB))).toMatchObject({ code: 'NOT_FOUND' });
  });
});
