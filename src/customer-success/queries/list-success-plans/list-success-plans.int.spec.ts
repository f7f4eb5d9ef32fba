import { SUCCESS_PLAN_STATUSES, type SuccessPlanStatus } from '../../shared/values';
import { describeOnEachDatabase } from '../testing/read-side.fixture';
import { ALICE, allPages, errorOf, EVERYONE, generated, NOBODY, seedBook } from '../testing/book';
import type { ViewerScope } from '../shared/viewer';
import { ListSuccessPlansHandler } from './list-success-plans.handler';
import { ListSuccessPlansQuery, SUCCESS_PLAN_SORTS, type ListSuccessPlansInput } from './list-success-plans.query';

interface Seeded {
  successPlanId: string;
  companyId: string;
  ownerOfCompany: string;
  ownerId: string;
  status: SuccessPlanStatus;
}

describeOnEachDatabase('ListSuccessPlans', (fx) => {
  let handler: ListSuccessPlansHandler;
  const seeded: Seeded[] = [];
  const list = (input: ListSuccessPlansInput = {}, viewer: ViewerScope = EVERYONE) => handler.execute(new ListSuccessPlansQuery(viewer, input));
  const ids = async (input: ListSuccessPlansInput, viewer: ViewerScope = EVERYONE) =>
    (await list({ limit: 100, ...input }, viewer)).items.map((p) => p.successPlanId).sort();
  const expected = (keep: (p: Seeded) => boolean) => seeded.filter(keep).map((p) => p.successPlanId).sort();

  beforeAll(async () => {
    const f = fx();
    await seedBook(f);
    for (let i = 0; i < 30; i++) {
      const company = generated(i % 9);
      const p: Seeded = {
        successPlanId: `plan-${String(i).padStart(2, '0')}`,
        companyId: company.companyId,
        ownerOfCompany: company.ownerId,
        ownerId: i % 5 === 0 ? 'carol' : company.ownerId,
        status: SUCCESS_PLAN_STATUSES[i % 4],
      };
      seeded.push(p);
      await f.createPlan({
        successPlanId: p.successPlanId, companyId: p.companyId, name: `Plan ${30 - i}`, ownerId: p.ownerId, planType: 'Adoption',
        status: p.status === 'Active' ? 'Active' : 'Draft', dueDate: i % 6 === 0 ? null : `2025-0${(i % 4) + 5}-01`, startDate: '2025-01-01',
      });
      if (p.status === 'Completed' || p.status === 'Cancelled') await f.updatePlan({ successPlanId: p.successPlanId, status: p.status });
    }
    await f.settle();
    handler = new ListSuccessPlansHandler(f.reader());
  });

  it('lists plans with their company name, type and counters', async () => {
    const { items } = await list({ companyId: 'gen-00', sort: 'createdAt', order: 'asc', limit: 1 });
    expect(items[0]).toMatchObject({
      successPlanId: 'plan-00',
      companyId: 'gen-00',
      companyName: 'Generated 00',
      name: 'Plan 30',
      planType: 'Adoption',
      status: 'Draft',
      ownerId: 'carol',
      startDate: '2025-01-01',
      dueDate: null,
      closedAt: null,
      objectiveCount: 0,
      openObjectiveCount: 0,
    });
  });

  it('filters by company, owner and status (one or several)', async () => {
    expect(await ids({ companyId: 'gen-04' })).toEqual(expected((p) => p.companyId === 'gen-04'));
    expect(await ids({ ownerId: 'carol' })).toEqual(expected((p) => p.ownerId === 'carol'));
    expect(await ids({ status: 'Active' })).toEqual(expected((p) => p.status === 'Active'));
    expect(await ids({ status: ['Completed', 'Cancelled'], ownerId: ['alice', 'bob'] })).toEqual(
      expected((p) => (p.status === 'Completed' || p.status === 'Cancelled') && p.ownerId !== 'carol'),
    );
  });

  it.each(SUCCESS_PLAN_SORTS.flatMap((sort) => [[sort, 'asc'] as const, [sort, 'desc'] as const]))(
    'by %s %s: pages of 4 give the same rows as one page, without duplicates or gaps',
    async (sort, order) => {
      const all = (await list({ sort, order, limit: 100 })).items.map((p) => p.successPlanId);
      expect(all).toHaveLength(seeded.length);
      const { items } = await allPages((cursor) => list({ sort, order, limit: 4, cursor }), (p) => p.successPlanId);
      expect(items.map((p) => p.successPlanId)).toEqual(all);
    },
  );

  it('shows a personal caller only the plans of its companies', async () => {
    expect(await ids({}, ALICE)).toEqual(expected((p) => p.ownerOfCompany === 'alice'));
    expect(await ids({ companyId: 'gen-01' }, ALICE)).toEqual([]);
    expect(await ids({}, NOBODY)).toEqual([]);
  });

  it('refuses bad input', async () => {
    expect(await errorOf(list({ status: 'Open' as never }))).toMatchObject({
      code: 'INVALID_QUERY',
      field: 'status',
      message: 'status must be one of Draft, Active, Completed, Cancelled (or a list of them); got "Open"',
    });
    expect(await errorOf(list({ limit: -1 }))).toMatchObject({ code: 'INVALID_QUERY', field: 'limit' });
    expect(await errorOf(list({ cursor: 'abc' }))).toMatchObject({ code: 'INVALID_CURSOR' });
  });
});
