import { successPlanStreamName } from '../../success-plans/success-plan.events';
import { describeOnEachDatabase } from '../testing/read-side.fixture';
import { afterInstant, BOB, errorOf, EVERYONE, seedBook } from '../testing/book';
import { GetSuccessPlanAsOfHandler } from './get-success-plan-as-of.handler';
import { GetSuccessPlanAsOfQuery } from './get-success-plan-as-of.query';

describeOnEachDatabase('GetSuccessPlanAsOf', (fx) => {
  let handler: GetSuccessPlanAsOfHandler;
  const at: string[] = [];

  beforeAll(async () => {
    const f = fx();
    await seedBook(f);
    const stream = successPlanStreamName('plan');
    const mark = async () => {
      const events = await f.store.readStream(stream);
      const last = events[events.length - 1].metadata.recordedAt;
      await afterInstant(last);
      at.push(last);
    };
    await f.createPlan({ successPlanId: 'plan', companyId: 'acme', name: 'Adoption', ownerId: 'alice', dueDate: '2025-06-30' });
    await mark();
    await f.updatePlan({ successPlanId: 'plan', status: 'Active', name: 'Adoption 2025' });
    await mark();
    await f.updatePlan({ successPlanId: 'plan', status: 'Completed' });
    await mark();
    handler = new GetSuccessPlanAsOfHandler(f.reader(), f.store);
  });

  const asOf = (time: string, viewer = EVERYONE) => handler.execute(new GetSuccessPlanAsOfQuery(viewer, { successPlanId: 'plan', asOf: time }));

  it('answers the plan as it was at each moment of its history', async () => {
    expect((await asOf(at[0])).successPlan).toMatchObject({ name: 'Adoption', status: 'Draft', closedAt: null });
    expect((await asOf(at[1])).successPlan).toMatchObject({ name: 'Adoption 2025', status: 'Active' });
    const done = await asOf(at[2]);
    expect(done).toMatchObject({ successPlanId: 'plan', exists: true, eventCount: 3, lastChangedAt: at[2] });
    expect(done.successPlan).toMatchObject({ status: 'Completed', closedAt: expect.any(String) });
    expect(await asOf('2000-01-01T00:00:00Z')).toMatchObject({ exists: false, eventCount: 0, successPlan: null });
  });

  it('answers NOT_FOUND for an unknown plan and for one the viewer may not see', async () => {
    expect(await errorOf(asOf(at[2], BOB))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await errorOf(handler.execute(new GetSuccessPlanAsOfQuery(EVERYONE, { successPlanId: 'nope', asOf: at[2] })))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'There is no success plan with id "nope" that you can see; list_success_plans finds plans by company, owner or status',
    });
  });
});
