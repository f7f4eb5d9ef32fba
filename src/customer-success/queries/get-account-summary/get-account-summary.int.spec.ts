import { describeOnEachDatabase } from '../testing/read-side.fixture';
import { ALICE, BOB, errorOf, EVERYONE, seedBook } from '../testing/book';
import type { ViewerScope } from '../shared/viewer';
import { GetAccountSummaryHandler } from './get-account-summary.handler';
import { GetAccountSummaryQuery, type GetAccountSummaryInput } from './get-account-summary.query';

describeOnEachDatabase('GetAccountSummary', (fx) => {
  let handler: GetAccountSummaryHandler;
  const get = (input: GetAccountSummaryInput, viewer: ViewerScope = EVERYONE) => handler.execute(new GetAccountSummaryQuery(viewer, input));
  const NOW = '2025-03-10T12:00:00.000Z';

  beforeAll(async () => {
    const f = fx();
    await seedBook(f);
    await f.recordScorecard('acme', '2025-03-01', 42, { Usage: 30, Support: 80 });
    await f.createCta({ ctaId: 'late', companyId: 'acme', name: 'Overdue risk', type: 'Risk', ownerId: 'alice', dueDate: '2025-03-01', priority: 'High' });
    await f.createCta({ ctaId: 'soon', companyId: 'acme', name: 'Renewal prep', type: 'Renewal', ownerId: 'alice', dueDate: '2025-03-20' });
    await f.createCta({ ctaId: 'undated', companyId: 'acme', name: 'Check in', type: 'Activity', ownerId: 'alice' });
    await f.createCta({ ctaId: 'done', companyId: 'acme', name: 'Old risk', type: 'Risk', ownerId: 'alice', dueDate: '2025-01-01' });
    await f.updateCta({ ctaId: 'done', status: 'ClosedSuccess' });
    await f.createCta({ ctaId: 'other', companyId: 'globex', name: 'Globex risk', type: 'Risk', ownerId: 'alice', dueDate: '2025-01-01' });
    await f.createPlan({ successPlanId: 'active', companyId: 'acme', name: 'Adoption plan', ownerId: 'alice', status: 'Active', dueDate: '2025-06-30' });
    await f.createPlan({ successPlanId: 'draft', companyId: 'acme', name: 'Draft plan', ownerId: 'alice' });
    f.setClock('2025-03-15T12:00:00.000Z');
    for (let i = 1; i <= 12; i++)
      await f.logActivity({
        activityId: `act-${String(i).padStart(2, '0')}`,
        companyId: 'acme',
        context: { kind: 'company', id: 'acme' },
        type: i % 2 ? 'Call' : 'Email',
        subject: `Touchpoint ${i}`,
        occurredAt: `2025-03-${String(i).padStart(2, '0')}T10:00:00.000Z`,
        authorId: 'alice',
        participants: ['rr@acme.test'],
      });
    await f.settle();
    handler = new GetAccountSummaryHandler(f.reader());
  });

  it('sums up the account: profile, health with measures, open CTAs, active plans, recent timeline, contacts, renewal', async () => {
    const summary = await get({ companyId: 'acme', now: NOW });
    expect(summary.today).toBe('2025-03-10');
    expect(summary.company).toMatchObject({
      companyId: 'acme',
      name: 'Acme Corp',
      openCtaCount: 3,
      openRiskCtaCount: 1,
      activePlanCount: 1,
      activityCount: 12,
      lastActivityAt: '2025-03-12T10:00:00.000Z',
      healthScore: 42,
      healthColor: 'Yellow',
    });
    expect(summary.health).toMatchObject({ score: 42, color: 'Yellow', asOf: '2025-03-01', previousScore: 35, trend: 'up' });
    expect(summary.health!.measures.map((m) => [m.name, m.score, m.trend])).toEqual([
      ['Support', 80, null],
      ['Usage', 30, null],
    ]);
    expect(summary.openCtas.total).toBe(3);
    expect(summary.openCtas.overdue).toBe(1);
    expect(summary.openCtas.items.map((c) => [c.ctaId, c.isOverdue])).toEqual([
      ['late', true],
      ['soon', false],
      ['undated', false],
    ]);
    expect(summary.activeSuccessPlans.map((p) => p.successPlanId)).toEqual(['active']);
    expect(summary.recentTimeline).toHaveLength(10);
    expect(summary.recentTimeline[0]).toMatchObject({ activityId: 'act-12', subject: 'Touchpoint 12', participants: ['rr@acme.test'], context: { kind: 'company', id: 'acme' } });
    expect(summary.recentTimeline[9].activityId).toBe('act-03');
    expect(summary.contacts.map((c) => c.contactId)).toEqual(['road', 'wile']);
    expect(summary.renewal).toEqual({ renewalDate: '2025-04-15', daysUntilRenewal: 36, arr: 500_000 });
  });

  it('counts the renewal down from `now`, negative once past, null without a renewal date', async () => {
    expect((await get({ companyId: 'acme', now: '2025-04-15T23:59:00+00:00' })).renewal.daysUntilRenewal).toBe(0);
    expect((await get({ companyId: 'acme', now: '2025-04-20T08:00:00Z' })).renewal.daysUntilRenewal).toBe(-5);
    // 2025-04-14T23:30 in New York is already the 15th in UTC.
    expect((await get({ companyId: 'acme', now: '2025-04-14T23:30:00-04:00' })).renewal.daysUntilRenewal).toBe(0);
    expect((await get({ companyId: 'hooli', now: NOW })).renewal).toEqual({ renewalDate: null, daysUntilRenewal: null, arr: 200_000 });
  });

  it('answers an account without any activity with empty lists and no health', async () => {
    const summary = await get({ companyId: 'hooli', now: NOW });
    expect(summary).toMatchObject({ health: null, openCtas: { total: 0, overdue: 0, items: [] }, activeSuccessPlans: [], recentTimeline: [], contacts: [] });
  });

  it('answers NOT_FOUND for an account the viewer may not see, and refuses a bad `now`', async () => {
    expect(await errorOf(get({ companyId: 'acme' }, BOB))).toMatchObject({ code: 'NOT_FOUND' });
    expect((await get({ companyId: 'acme' }, ALICE)).company.companyId).toBe('acme');
    expect(await errorOf(get({ companyId: 'acme', now: '2025-03-10' }))).toMatchObject({ code: 'INVALID_QUERY', field: 'now' });
  });
});
