import { CTA_TYPES, PRIORITIES, type CtaType, type Priority } from '../../shared/values';
import { GetCompanyHandler } from '../get-company/get-company.handler';
import { GetCompanyQuery } from '../get-company/get-company.query';
import { describeOnEachDatabase } from '../testing/read-side.fixture';
import { ALICE, allPages, BOB, errorOf, EVERYONE, generated, NOBODY, seedBook } from '../testing/book';
import type { ViewerScope } from '../shared/viewer';
import type { CtaView } from '../shared/views';
import { ListCtasHandler } from './list-ctas.handler';
import { CTA_SORTS, ListCtasQuery, type ListCtasInput } from './list-ctas.query';

interface Seeded {
  ctaId: string;
  companyId: string;
  ownerOfCompany: string;
  ownerId: string;
  type: CtaType;
  priority: Priority;
  dueDate: string | null;
  open: boolean;
}

describeOnEachDatabase('ListCtas', (fx) => {
  let handler: ListCtasHandler;
  const seeded: Seeded[] = [];
  const list = (input: ListCtasInput = {}, viewer: ViewerScope = EVERYONE) => handler.execute(new ListCtasQuery(viewer, input));
  const ids = async (input: ListCtasInput, viewer: ViewerScope = EVERYONE) =>
    (await list({ limit: 100, ...input }, viewer)).items.map((c) => c.ctaId).sort();
  const expected = (keep: (c: Seeded) => boolean) => seeded.filter(keep).map((c) => c.ctaId).sort();

  beforeAll(async () => {
    const f = fx();
    await seedBook(f);
    for (let i = 0; i < 45; i++) {
      const company = generated(i % 12);
      const type = CTA_TYPES.filter((t) => t !== 'Objective')[i % 5];
      const c: Seeded = {
        ctaId: `cta-${String(i).padStart(2, '0')}`,
        companyId: company.companyId,
        ownerOfCompany: company.ownerId,
        ownerId: i % 4 === 0 ? 'carol' : company.ownerId,
        type,
        priority: PRIORITIES[i % 4],
        // Many CTAs share a due date (ties), some have none.
        dueDate: i % 7 === 0 ? null : `2025-0${(i % 3) + 3}-15`,
        open: i % 5 !== 4,
      };
      seeded.push(c);
      await f.createCta({ ctaId: c.ctaId, companyId: c.companyId, name: `CTA ${i}`, type, priority: c.priority, ownerId: c.ownerId, dueDate: c.dueDate });
      if (!c.open) await f.updateCta({ ctaId: c.ctaId, status: i % 2 ? 'ClosedLost' : 'ClosedSuccess' });
      else if (i % 3 === 0) await f.updateCta({ ctaId: c.ctaId, status: 'WorkInProgress' });
    }
    await f.settle();
    handler = new ListCtasHandler(f.reader());
  });

  it('lists CTAs by due date, CTAs without one last, 25 to a page', async () => {
    const page = await list();
    expect(page.items).toHaveLength(25);
    const { items } = await allPages((cursor) => list({ cursor }), (c) => c.ctaId);
    expect(items.map((c) => c.ctaId).sort()).toEqual(expected(() => true));
    const dates = items.map((c) => c.dueDate);
    const firstNull = dates.indexOf(null);
    expect(dates.slice(firstNull).every((d) => d === null)).toBe(true);
    expect(dates.slice(0, firstNull)).toEqual([...dates.slice(0, firstNull)].sort());
  });

  it('answers each CTA with its company name and counters', async () => {
    const [cta] = (await list({ companyId: 'gen-00', limit: 1, sort: 'createdAt', order: 'asc' })).items;
    expect(cta).toEqual<CtaView>({
      ctaId: 'cta-00',
      companyId: 'gen-00',
      companyName: 'Generated 00',
      relationshipId: null,
      successPlanId: null,
      name: 'CTA 0',
      type: 'Risk',
      priority: 'Low',
      status: 'WorkInProgress',
      isOpen: true,
      ownerId: 'carol',
      dueDate: null,
      reason: null,
      comments: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      closedAt: null,
      taskCount: 0,
      openTaskCount: 0,
    });
  });

  it('filters by company, owner, status, type, priority, due window and open only', async () => {
    expect(await ids({ companyId: 'gen-03' })).toEqual(expected((c) => c.companyId === 'gen-03'));
    expect(await ids({ ownerId: 'carol' })).toEqual(expected((c) => c.ownerId === 'carol'));
    expect(await ids({ ownerId: ['alice', 'bob'], openOnly: true })).toEqual(expected((c) => c.ownerId !== 'carol' && c.open));
    expect(await ids({ status: ['ClosedLost', 'ClosedSuccess'] })).toEqual(expected((c) => !c.open));
    expect(await ids({ status: 'WorkInProgress' })).toEqual(expected((c) => c.open && Number(c.ctaId.slice(4)) % 3 === 0));
    expect(await ids({ type: 'Risk', priority: ['High', 'Urgent'] })).toEqual(expected((c) => c.type === 'Risk' && (c.priority === 'High' || c.priority === 'Urgent')));
    expect(await ids({ dueFrom: '2025-04-01', dueTo: '2025-04-15' })).toEqual(expected((c) => c.dueDate === '2025-04-15'));
    expect(await ids({ dueTo: '2025-04-14', openOnly: true })).toEqual(expected((c) => c.dueDate === '2025-03-15' && c.open));
  });

  it.each(CTA_SORTS.flatMap((sort) => [[sort, 'asc'] as const, [sort, 'desc'] as const]))(
    'by %s %s: pages of 6 give the same rows as one page, without duplicates or gaps',
    async (sort, order) => {
      const all = (await list({ sort, order, limit: 100 })).items.map((c) => c.ctaId);
      const { items } = await allPages((cursor) => list({ sort, order, limit: 6, cursor, openOnly: false }), (c) => c.ctaId);
      expect(items.map((c) => c.ctaId)).toEqual(all);
      expect(all).toHaveLength(seeded.length);
    },
  );

  it('shows a personal caller only the CTAs of its companies, whatever the filters', async () => {
    expect(await ids({}, ALICE)).toEqual(expected((c) => c.ownerOfCompany === 'alice'));
    // Carol owns CTAs on Alice's and Bob's companies, and Alice can see only those on hers.
    expect(await ids({ ownerId: 'carol' }, ALICE)).toEqual(expected((c) => c.ownerId === 'carol' && c.ownerOfCompany === 'alice'));
    expect(await ids({ companyId: 'gen-01' }, ALICE)).toEqual([]);
    expect(await ids({}, NOBODY)).toEqual([]);
    const { items } = await allPages((cursor) => list({ limit: 4, cursor }, BOB), (c) => c.ctaId);
    expect(items.map((c) => c.ctaId).sort()).toEqual(expected((c) => c.ownerOfCompany === 'bob'));
  });

  it('keeps the company counters in step when a CTA closes and reopens, and lists it accordingly (read-your-writes)', async () => {
    const f = fx();
    const company = new GetCompanyHandler(f.reader());
    const counters = async () => {
      const c = await company.execute(new GetCompanyQuery(EVERYONE, { companyId: 'globex' }));
      return [c.openCtaCount, c.openRiskCtaCount];
    };
    expect(await counters()).toEqual([0, 0]);
    let after = await f.createCta({ ctaId: 'flip', companyId: 'globex', name: 'Flip', type: 'Risk', ownerId: 'alice' });
    expect(await ids({ companyId: 'globex', openOnly: true, after })).toEqual(['flip']);
    expect(await counters()).toEqual([1, 1]);
    after = await f.updateCta({ ctaId: 'flip', status: 'ClosedInvalid' });
    expect(await ids({ companyId: 'globex', openOnly: true, after })).toEqual([]);
    expect(await ids({ companyId: 'globex', status: 'ClosedInvalid' })).toEqual(['flip']);
    expect(await counters()).toEqual([0, 0]);
    after = await f.updateCta({ ctaId: 'flip', status: 'WorkInProgress', allowReopen: true });
    expect(await ids({ companyId: 'globex', openOnly: true, after })).toEqual(['flip']);
    expect(await counters()).toEqual([1, 1]);
  });

  it.each<[string, ListCtasInput, string, string]>([
    ['limit above 100', { limit: 1000 }, 'limit', 'limit must be an integer from 1 to 100; got 1000. To read more, follow nextCursor page by page'],
    ['an unknown status', { status: 'Open' as never }, 'status', 'status must be one of New, WorkInProgress, ClosedSuccess, ClosedLost, ClosedInvalid (or a list of them); got "Open"'],
    ['an unknown type', { type: ['Risk', 'Churn'] as never }, 'type', 'type must be one of Risk, Expansion, Renewal, Lifecycle, Activity, Objective (or a list of them); got "Churn"'],
    ['an unknown priority', { priority: 'P1' as never }, 'priority', 'priority must be one of Low, Medium, High, Urgent (or a list of them); got "P1"'],
    ['a due date with a time', { dueFrom: '2025-03-01T00:00:00Z' }, 'dueFrom', 'dueFrom must be a calendar date written YYYY-MM-DD, for example 2025-03-31; got "2025-03-01T00:00:00Z"'],
    ['a reversed due window', { dueFrom: '2025-05-01', dueTo: '2025-04-01' }, 'dueFrom', 'dueFrom (2025-05-01) must not be after dueTo (2025-04-01)'],
    ['openOnly as text', { openOnly: 'yes' as never }, 'openOnly', 'openOnly must be true or false; got "yes"'],
    ['an empty list', { ownerId: [] }, 'ownerId', 'ownerId must be an id or a list of 1 to 100 ids; got 0 entries'],
  ])('refuses %s (INVALID_QUERY)', async (_, input, field, message) => {
    expect(await errorOf(list(input))).toMatchObject({ code: 'INVALID_QUERY', field, message });
  });

  it('refuses a cursor of another list (INVALID_CURSOR)', async () => {
    const { nextCursor } = await list({ limit: 1 });
    expect(await errorOf(list({ cursor: `${nextCursor}x` }))).toMatchObject({ code: 'INVALID_CURSOR' });
    const companyCursor = Buffer.from(JSON.stringify({ s: 'companies:name:asc', k: 'a', id: 'acme' })).toString('base64url');
    expect(await errorOf(list({ cursor: companyCursor }))).toMatchObject({ code: 'INVALID_CURSOR' });
  });
});
