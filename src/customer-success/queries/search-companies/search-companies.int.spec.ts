import { describeOnEachDatabase } from '../testing/read-side.fixture';
import { colorOf } from '../../scorecards/scorecard.events';
import { ALICE, ALL_COMPANY_IDS, allPages, BOB, errorOf, EVERYONE, expectedIds, NOBODY, seedBook } from '../testing/book';
import { SearchCompaniesHandler } from './search-companies.handler';
import { COMPANY_SORTS, SearchCompaniesQuery, type SearchCompaniesInput } from './search-companies.query';
import type { ViewerScope } from '../shared/viewer';
import type { CompanyView } from '../shared/views';

describeOnEachDatabase('SearchCompanies', (fx) => {
  let handler: SearchCompaniesHandler;
  const search = (input: SearchCompaniesInput = {}, viewer: ViewerScope = EVERYONE) => handler.execute(new SearchCompaniesQuery(viewer, input));
  const ids = async (input: SearchCompaniesInput, viewer: ViewerScope = EVERYONE) =>
    (await search({ limit: 100, ...input }, viewer)).items.map((c) => c.companyId);

  beforeAll(async () => {
    await seedBook(fx());
    handler = new SearchCompaniesHandler(fx().reader());
  });

  it('answers a page of 25 by name with a cursor to the next, every company once across pages', async () => {
    const first = await search();
    expect(first.items).toHaveLength(25);
    expect(first.nextCursor).toEqual(expect.any(String));
    const { items, pages } = await allPages((cursor) => search({ cursor }), (c) => c.companyId);
    expect(pages).toBe(2);
    expect(items.map((c) => c.companyId).sort()).toEqual([...ALL_COMPANY_IDS].sort());
    const names = items.map((c) => c.name.toLowerCase());
    expect(names).toEqual([...names].sort());
  });

  it('returns the company profile with owner, health and counters', async () => {
    const [acme] = (await search({ text: 'acme' })).items;
    expect(acme).toEqual<CompanyView>({
      companyId: 'acme',
      name: 'Acme Corp',
      externalId: null,
      industry: 'Software',
      segment: 'Enterprise',
      lifecycleStage: 'Adoption',
      region: 'EMEA',
      employees: 250,
      arr: 500_000,
      renewalDate: '2025-04-15',
      ownerId: 'alice',
      ownerName: 'User alice',
      ownerEmail: 'alice@example.com',
      healthScore: 35,
      healthColor: 'Red',
      healthAsOf: '2025-01-01',
      openCtaCount: 0,
      openRiskCtaCount: 0,
      activePlanCount: 0,
      activityCount: 0,
      lastActivityAt: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
  });

  describe('filters', () => {
    const color = (h: number | null) => (h === null ? null : colorOf(h));

    it('text: part of the name, any case; % and _ are literal', async () => {
      expect(await ids({ text: 'ACME' })).toEqual(['acme']);
      expect(await ids({ text: ' glob ' })).toEqual(['globex']);
      expect(await ids({ text: '100%' })).toEqual(['initech']);
      expect(await ids({ text: '%' })).toEqual(['initech']);
      expect(await ids({ text: '_' })).toEqual([]);
      expect(await ids({ text: 'generated 1' })).toEqual(expectedIds((c) => c.name.startsWith('Generated 1')));
    });

    it('segment and lifecycle stage: one value or a list', async () => {
      expect(await ids({ segment: 'Enterprise', lifecycleStage: ['Adoption', 'AtRisk'] })).toEqual(['acme', 'umbrella']);
      expect(await ids({ lifecycleStage: ['AtRisk', 'Renewal'] })).toEqual(['globex', 'umbrella']);
      expect(await ids({ segment: ['SMB', 'MidMarket'] })).toEqual(expectedIds((c) => c.segment === 'SMB' || c.segment === 'MidMarket'));
    });

    it('owner: one or several', async () => {
      expect(await ids({ ownerId: 'carol' })).toEqual(expectedIds((c) => c.ownerId === 'carol'));
      expect(await ids({ ownerId: ['alice', 'bob'] })).toEqual(expectedIds((c) => c.ownerId === 'alice' || c.ownerId === 'bob'));
    });

    it('renewal window (inclusive), ARR range, health score range and color', async () => {
      expect(await ids({ renewalFrom: '2025-02-20', renewalTo: '2025-04-15' })).toEqual(
        expectedIds((c) => c.renewalDate !== null && c.renewalDate >= '2025-02-20' && c.renewalDate <= '2025-04-15'),
      );
      expect(await ids({ arrMin: 120_000, arrMax: 500_000 })).toEqual(['acme', 'globex', 'hooli']);
      expect(await ids({ arrMin: 20_000, arrMax: 20_000 })).toEqual(expectedIds((c) => c.arr === 20_000));
      expect(await ids({ healthScoreMin: 20, healthScoreMax: 35 })).toEqual(expectedIds((c) => c.health !== null && c.health >= 20 && c.health <= 35));
      expect(await ids({ healthColor: 'Red', segment: 'Enterprise' })).toEqual(expectedIds((c) => color(c.health) === 'Red' && c.segment === 'Enterprise'));
      expect(await ids({ healthColor: ['Green', 'Yellow'], ownerId: 'bob', renewalTo: '2025-06-30' })).toEqual(
        expectedIds((c) => (color(c.health) === 'Green' || color(c.health) === 'Yellow') && c.ownerId === 'bob' && c.renewalDate !== null && c.renewalDate <= '2025-06-30'),
      );
    });
  });

  describe('sorting and pagination', () => {
    const full = async (sort: (typeof COMPANY_SORTS)[number], order?: 'asc' | 'desc') => (await search({ sort, order, limit: 100 })).items;

    it.each(COMPANY_SORTS.flatMap((sort) => [[sort, 'asc'] as const, [sort, 'desc'] as const]))(
      'by %s %s: pages of 7 give the same rows as one page, without duplicates or gaps',
      async (sort, order) => {
        const expected = (await full(sort, order)).map((c) => c.companyId);
        expect(expected).toHaveLength(ALL_COMPANY_IDS.length);
        const { items, pages } = await allPages((cursor) => search({ sort, order, limit: 7, cursor }), (c) => c.companyId);
        expect(pages).toBe(Math.ceil(ALL_COMPANY_IDS.length / 7));
        expect(items.map((c) => c.companyId)).toEqual(expected);
      },
    );

    it('sorts numbers by value, puts missing values last, breaks ties by id', async () => {
      const byArr = await full('arr');
      const arrs = byArr.map((c) => c.arr);
      expect(arrs).toEqual([...arrs].sort((a, b) => b - a));
      const tied = byArr.filter((c) => c.arr === 10_000).map((c) => c.companyId);
      expect(tied).toEqual([...tied].sort().reverse());

      const byHealth = await full('healthScore');
      const firstMissing = byHealth.findIndex((c) => c.healthScore === null);
      expect(firstMissing).toBeGreaterThan(0);
      expect(byHealth.slice(firstMissing).every((c) => c.healthScore === null)).toBe(true);
      const scores = byHealth.slice(0, firstMissing).map((c) => c.healthScore!);
      expect(scores).toEqual([...scores].sort((a, b) => a - b));

      const byRenewalDesc = await full('renewalDate', 'desc');
      expect(byRenewalDesc[0].renewalDate).toBe('2025-12-10');
      expect(byRenewalDesc[byRenewalDesc.length - 1].renewalDate).toBeNull();
    });
  });

  describe('viewer scope', () => {
    it('a personal caller sees only the companies of its owners, on every page', async () => {
      const { items } = await allPages((cursor) => search({ limit: 5, cursor }, ALICE), (c) => c.companyId);
      expect(items.map((c) => c.companyId)).toEqual(expectedIds((c) => c.ownerId === 'alice'));
      expect(items.every((c) => c.ownerId === 'alice')).toBe(true);
      expect(await ids({ ownerId: 'bob' }, ALICE)).toEqual([]);
      expect(await ids({ text: 'umbrella' }, ALICE)).toEqual([]);
      expect(await ids({}, NOBODY)).toEqual([]);
      expect(await ids({ text: 'orphan' }, BOB)).toEqual([]);
    });

    it('a cursor made on a wider scope does not widen a narrower one', async () => {
      const page = await search({ limit: 3 });
      const next = await search({ limit: 100, cursor: page.nextCursor! }, BOB);
      expect(next.items.every((c) => c.ownerId === 'bob')).toBe(true);
    });
  });

  describe('bad input', () => {
    it.each<[string, SearchCompaniesInput, string, string]>([
      ['limit above 100', { limit: 101 }, 'limit', 'limit must be an integer from 1 to 100; got 101. To read more, follow nextCursor page by page'],
      ['limit 0', { limit: 0 }, 'limit', 'limit must be an integer from 1 to 100; got 0. To read more, follow nextCursor page by page'],
      ['a fractional limit', { limit: 2.5 }, 'limit', 'limit must be an integer from 1 to 100; got 2.5. To read more, follow nextCursor page by page'],
      ['an unknown segment', { segment: 'Huge' as never }, 'segment', 'segment must be one of Enterprise, MidMarket, SMB (or a list of them); got "Huge"'],
      ['an unknown health color', { healthColor: ['Red', 'Blue'] as never }, 'healthColor', 'healthColor must be one of Red, Yellow, Green (or a list of them); got "Blue"'],
      ['a date in another format', { renewalFrom: '15/04/2025' }, 'renewalFrom', 'renewalFrom must be a calendar date written YYYY-MM-DD, for example 2025-03-31; got "15/04/2025"'],
      ['a date that does not exist', { renewalTo: '2025-02-30' }, 'renewalTo', 'renewalTo must be a calendar date written YYYY-MM-DD, for example 2025-03-31; got "2025-02-30"'],
      ['ARR as text', { arrMin: '1000' as never }, 'arrMin', 'arrMin must be a number from 0 to 9007199254740991; got "1000"'],
      ['a health score above 100', { healthScoreMax: 101 }, 'healthScoreMax', 'healthScoreMax must be a number from 0 to 100; got 101'],
      ['a reversed range', { arrMin: 10, arrMax: 5 }, 'arrMin', 'arrMin (10) must not be after arrMax (5)'],
      ['an unknown sort', { sort: 'revenue' as never }, 'sort', 'sort must be one of name, arr, renewalDate, healthScore, lastActivityAt, openCtaCount, updatedAt; got "revenue"'],
      ['an unknown order', { order: 'up' as never }, 'order', 'order must be asc or desc; got "up"'],
      ['an unknown field', { owner: 'alice' } as never, 'owner', expect.stringContaining('owner is not a field of this query; allowed: text, segment') as never],
      ['text that is too long', { text: 'x'.repeat(201) }, 'text', 'text must be at most 200 characters; got 201'],
    ])('refuses %s (INVALID_QUERY)', async (_, input, field, message) => {
      expect(await errorOf(search(input))).toMatchObject({ code: 'INVALID_QUERY', field, message });
    });

    it.each([
      ['garbage', 'not a cursor!'],
      ['base64 of something else', Buffer.from('{"hello":1}').toString('base64url')],
      ['a cursor with SQL in it', Buffer.from(JSON.stringify({ s: 'companies:name:asc', k: "x' OR 1=1 --", id: 5 })).toString('base64url')],
      ['a cursor with a number for a text sort', Buffer.from(JSON.stringify({ s: 'companies:name:asc', k: 5, id: 'a' })).toString('base64url')],
    ])('refuses %s as cursor (INVALID_CURSOR), without SQL in the message', async (_, cursor) => {
      const error = await errorOf(search({ cursor }));
      expect(error).toMatchObject({ code: 'INVALID_CURSOR', field: 'cursor' });
      expect(error.message).toMatch(/^cursor is not valid for this query/);
      expect(error.message).not.toMatch(/SELECT|WHERE|cs_companies/i);
    });

    it('refuses a cursor of another sort or order', async () => {
      const { nextCursor } = await search({ sort: 'arr', limit: 2 });
      expect(await errorOf(search({ sort: 'name', cursor: nextCursor! }))).toMatchObject({ code: 'INVALID_CURSOR' });
      expect(await errorOf(search({ sort: 'arr', order: 'asc', cursor: nextCursor! }))).toMatchObject({ code: 'INVALID_CURSOR' });
    });

    it('refuses a query without a viewer rather than showing everything', async () => {
      expect(await errorOf(handler.execute(new SearchCompaniesQuery(undefined as never, {})))).toMatchObject({ code: 'INVALID_QUERY' });
      expect(await errorOf(handler.execute(new SearchCompaniesQuery({ userId: 'x', visibleOwnerIds: 'alice' } as never, {})))).toMatchObject({
        code: 'INVALID_QUERY',
      });
    });
  });

  it('reads its own write: with `after`, a company imported just before is found', async () => {
    const position = await fx().importCompany({ companyId: 'fresh', name: 'Freshly Imported', ownerId: 'alice' });
    expect(await ids({ text: 'freshly', after: position } as SearchCompaniesInput)).toEqual(['fresh']);
    expect(await errorOf(search({ after: { commit: -1 } as never }))).toMatchObject({ code: 'INVALID_QUERY', field: 'after' });
  });
});
