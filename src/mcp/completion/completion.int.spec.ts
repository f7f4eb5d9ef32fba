import { companyStream } from '../../customer-success/companies/company.events';
import { errorOf } from '../../customer-success/queries/testing/book';
import { PromptNotFoundError } from '../prompts/prompt-definition';
import { MCP_ERROR_CODES, type ReadContext } from '../resources/resource-definition';
import { openReadBook, STORE_KINDS, type ReadBook } from '../resources/testing/read-context.fixture';
import { completePromptArgument, completeResourceArgument, MAX_COMPLETIONS } from './completion';

const SUMMARY = 'csmcp://companies/{company_id}/summary';

describe.each(STORE_KINDS)('completion on a real store (%s)', (kind) => {
  let book: ReadBook;
  let ann: ReadContext;
  let bob: ReadContext;
  let admin: ReadContext;

  beforeAll(async () => {
    book = await openReadBook(kind);
    ({ ann, bob, admin } = book);
  });
  afterAll(() => book?.close());

  it('completes {company_id} with ids found by name: prefix matches first, then contains, only within the caller\'s scope', async () => {
    // Ann: Acme, Acme Labs (prefix), Big Acme Holdings (contains); Bob's "Acme Rival" never.
    expect(await completeResourceArgument(SUMMARY, 'company_id', 'acm', ann)).toEqual({
      values: ['c-acme', 'c-acme-labs', 'c-bigacme'],
      total: 3,
      hasMore: false,
    });
    expect(await completeResourceArgument(SUMMARY, 'company_id', 'ACME', bob)).toEqual({ values: ['c-acme-rival'], total: 1, hasMore: false });
    expect((await completeResourceArgument(SUMMARY, 'company_id', 'acme', admin)).values).toEqual([
      'c-acme', 'c-acme-labs', 'c-acme-rival', 'c-bigacme',
    ]);
    expect(await completeResourceArgument(SUMMARY, 'company_id', 'globex', ann)).toEqual({ values: [], total: 0, hasMore: false });
  });

  it('completes {company_id} from a typed id prefix, ids before names', async () => {
    expect((await completeResourceArgument(SUMMARY, 'company_id', 'c-acme', ann)).values).toEqual(['c-acme', 'c-acme-labs']);
    expect((await completeResourceArgument(SUMMARY, 'company_id', 'c-', bob)).values).toEqual(['c-acme-rival', 'c-globex']);
    // An id of another owner's company is not suggested, however exactly it is typed.
    expect((await completeResourceArgument(SUMMARY, 'company_id', 'c-globex', ann)).values).toEqual([]);
  });

  it('completes an empty value with the caller\'s companies by name, and every company template alike', async () => {
    expect((await completeResourceArgument(SUMMARY, 'company_id', '', ann)).values).toEqual(['c-acme', 'c-acme-labs', 'c-bigacme', 'c-pipe']);
    for (const uriTemplate of [
      'csmcp://companies/{company_id}/summary.json',
      'csmcp://companies/{company_id}/timeline',
      'csmcp://companies/{company_id}/scorecard',
    ])
      expect((await completeResourceArgument(uriTemplate, 'company_id', 'big', ann)).values).toEqual(['c-bigacme']);
  });

  it('completes CTA and success plan ids by id prefix or name, in scope', async () => {
    expect((await completeResourceArgument('csmcp://ctas/{cta_id}', 'cta_id', 'usage', ann)).values).toEqual([book.annCta]);
    expect((await completeResourceArgument('csmcp://ctas/{cta_id}', 'cta_id', book.annCta.slice(0, 6), ann)).values).toContain(book.annCta);
    expect((await completeResourceArgument('csmcp://ctas/{cta_id}', 'cta_id', '', ann)).values).toEqual([book.annCta]);
    expect((await completeResourceArgument('csmcp://ctas/{cta_id}', 'cta_id', 'globex', ann)).values).toEqual([]);
    expect((await completeResourceArgument('csmcp://success-plans/{success_plan_id}', 'success_plan_id', 'plan', ann)).values).toEqual([book.annPlan]);
    expect((await completeResourceArgument('csmcp://success-plans/{success_plan_id}', 'success_plan_id', 'plan', bob)).values).toEqual([book.bobPlan]);
  });

  it('completes the company prompt arguments with names, and owners with the owners the caller can see', async () => {
    expect(await completePromptArgument('qbr_preparation', 'company', 'acme', ann)).toEqual({
      values: ['Acme', 'Acme Labs', 'Big Acme Holdings'],
      total: 3,
      hasMore: false,
    });
    expect((await completePromptArgument('qbr_preparation', 'company', 'acme', bob)).values).toEqual(['Acme Rival']);
    expect((await completePromptArgument('weekly_portfolio_check', 'owner', '', admin)).values).toEqual(['u-ann', 'u-bob']);
    expect((await completePromptArgument('weekly_portfolio_check', 'owner', 'u-b', ann)).values).toEqual([]);
    expect((await completePromptArgument('weekly_portfolio_check', 'owner', '', ann)).values).toEqual(['u-ann']);
  });

  it('completes nothing for arguments without a completer, a static resource, or text no name can have', async () => {
    expect(await completePromptArgument('renewal_risk_review', 'within_days', '9', ann)).toEqual({ values: [], total: 0, hasMore: false });
    expect(await completePromptArgument('qbr_preparation', 'nope', 'a', ann)).toEqual({ values: [], total: 0, hasMore: false });
    expect(await completeResourceArgument('csmcp://guides/analysis', 'x', 'a', ann)).toEqual({ values: [], total: 0, hasMore: false });
    expect(await completeResourceArgument(SUMMARY, 'other', 'a', ann)).toEqual({ values: [], total: 0, hasMore: false });
    expect((await completeResourceArgument(SUMMARY, 'company_id', 'x'.repeat(500), ann)).values).toEqual([]);
  });

  it('refuses an unknown template or prompt with -32602', async () => {
    expect(await errorOf(completeResourceArgument('csmcp://nope/{id}', 'id', '', ann))).toMatchObject({
      code: MCP_ERROR_CODES.INVALID_PARAMS,
      message: expect.stringContaining('csmcp://companies/{company_id}/summary'),
    });
    const error = await errorOf(completePromptArgument('nope', 'company', '', ann));
    expect(error).toBeInstanceOf(PromptNotFoundError);
    expect(error).toMatchObject({ code: -32602, message: expect.stringContaining('qbr_preparation, renewal_risk_review, weekly_portfolio_check') });
  });

  // Last: it adds companies the other tests do not expect.
  it('caps the answer at 100 values and says how many there are, or that there are more', async () => {
    const { h } = book;
    for (let i = 0; i < 120; i++) {
      const companyId = `c-zeta-${String(i).padStart(3, '0')}`;
      const data = {
        companyId, name: `Zeta ${String(i).padStart(3, '0')}`, externalId: null, industry: null, segment: null, lifecycleStage: null,
        region: null, employees: null, arr: 0, renewalDate: null, ownerId: 'u-vic', importedAt: '2026-01-01T00:00:00.000Z',
      };
      await h.store.appendToStream(companyStream(companyId), [{ type: 'CompanyImported', data }], { expectedRevision: 'no_stream' });
    }
    const head = await h.store.headPosition();
    await h.projections.runner.waitForPosition(head!);

    const byName = await completeResourceArgument(SUMMARY, 'company_id', 'zeta', admin);
    expect(byName.values).toHaveLength(MAX_COMPLETIONS);
    expect(byName.values[0]).toBe('c-zeta-000');
    expect(byName).toMatchObject({ total: 120, hasMore: true });
    // Nothing typed: one page of names, more exist, the total is not counted.
    const everything = await completeResourceArgument(SUMMARY, 'company_id', '', admin);
    expect(everything.values).toHaveLength(MAX_COMPLETIONS);
    expect(everything.hasMore).toBe(true);
    expect(everything.total).toBeUndefined();
    // None of them is Ann's.
    expect((await completeResourceArgument(SUMMARY, 'company_id', 'zeta', ann)).values).toEqual([]);
  });
});
