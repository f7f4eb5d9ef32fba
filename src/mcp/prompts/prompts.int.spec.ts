import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { AnalyzeAccountsQuery } from '../../customer-success/analysis/analyze-accounts.query';
import { errorOf } from '../../customer-success/queries/testing/book';
import { MCP_ERROR_CODES, type ReadContext } from '../resources/resource-definition';
import { openReadBook, STORE_KINDS, type ReadBook } from '../resources/testing/read-context.fixture';
import { getPrompt, listPrompts } from './cs-prompts';
import { PromptArgumentError, PromptNotFoundError } from './prompt-definition';

function texts(result: GetPromptResult): string[] {
  return result.messages.flatMap((m) => (m.content.type === 'text' ? [m.content.text] : []));
}

/** The analyze_accounts queries a prompt hands the model, as the model would send them. */
function embeddedQueries(result: GetPromptResult): unknown[] {
  return texts(result).flatMap((text) => [...text.matchAll(/```json\n(.*)\n```/g)].map((m) => JSON.parse(m[1]) as unknown));
}

describe('prompts/list', () => {
  it('lists the three prompts with titles, descriptions and described arguments', () => {
    expect(listPrompts()).toEqual([
      expect.objectContaining({
        name: 'qbr_preparation',
        title: 'Prepare a QBR',
        arguments: [expect.objectContaining({ name: 'company', required: true, description: expect.stringContaining('company id') })],
      }),
      expect.objectContaining({ name: 'renewal_risk_review', arguments: [expect.objectContaining({ name: 'within_days', required: false })] }),
      expect.objectContaining({ name: 'weekly_portfolio_check', arguments: [expect.objectContaining({ name: 'owner', required: false })] }),
    ]);
    for (const p of listPrompts()) expect(p.description!.length).toBeGreaterThan(40);
  });
});

describe.each(STORE_KINDS)('prompts/get on a real store (%s)', (kind) => {
  let book: ReadBook;
  let ann: ReadContext;
  let bob: ReadContext;

  beforeAll(async () => {
    book = await openReadBook(kind);
    ({ ann, bob } = book);
  });
  afterAll(() => book?.close());

  /** Runs every embedded query through the real analysis for this caller. */
  async function analyse(result: GetPromptResult, who: ReadContext) {
    const queries = embeddedQueries(result);
    expect(queries.length).toBeGreaterThan(0);
    return Promise.all(queries.map((query) => book.h.queries.execute(new AnalyzeAccountsQuery({ query, viewer: who.viewer }))));
  }

  describe('qbr_preparation', () => {
    it('embeds the account summary resource and says which tools to call next and what the deck needs', async () => {
      const result = await getPrompt('qbr_preparation', { company: 'acme' }, ann);
      expect(result.description).toBe('QBR preparation for Acme');
      expect(result.messages).toHaveLength(2);
      const [resource, instructions] = result.messages;
      expect(resource).toEqual({
        role: 'user',
        content: {
          type: 'resource',
          resource: { uri: 'csmcp://companies/c-acme/summary', mimeType: 'text/markdown', text: expect.stringMatching(/^# Acme: account summary\n/) },
        },
      });
      expect(instructions.role).toBe('user');
      const [text] = texts(result);
      for (const tool of ['get_scorecard', 'list_ctas', 'list_success_plans', 'list_timeline_activities']) expect(text).toContain(`${tool} with company_id "c-acme"`);
      expect(text).toContain('get_success_plan for each active one');
      for (const section of ['Executive summary', 'Health and adoption', 'Risks and open issues', 'Relationship map', 'Renewal and commercials', 'Plan for next quarter'])
        expect(text).toContain(section);
    });

    it('takes an id, an exact name in any case, or a part of one name', async () => {
      for (const [typed, id] of [
        ['c-acme-labs', 'c-acme-labs'],
        ['ACME LABS', 'c-acme-labs'],
        ['  Big  ', 'c-bigacme'],
        ['Globex', 'c-globex'],
      ] as const) {
        const who = id === 'c-globex' ? bob : ann;
        const result = await getPrompt('qbr_preparation', { company: typed }, who);
        expect(result.messages[0].content).toMatchObject({ type: 'resource', resource: { uri: `csmcp://companies/${id}/summary` } });
      }
    });

    it('asks which one when a part of a name matches several companies', async () => {
      const error = await errorOf(getPrompt('qbr_preparation', { company: 'ac' }, ann));
      expect(error).toBeInstanceOf(PromptArgumentError);
      expect(error).toMatchObject({ code: MCP_ERROR_CODES.INVALID_PARAMS, data: { prompt: 'qbr_preparation', argument: 'company' } });
      expect(error.message).toContain('Acme (id c-acme); Acme Labs (id c-acme-labs); Big Acme Holdings (id c-bigacme)');
      expect(error.message).not.toContain('Rival');
    });

    it("answers another owner's company, by name or id, exactly like one that does not exist", async () => {
      const messages = await Promise.all(
        ['Globex', 'c-globex', 'Nope Inc', 'c-nope'].map(async (typed) => {
          const error = await errorOf(getPrompt('qbr_preparation', { company: typed }, ann));
          expect(error).toBeInstanceOf(PromptArgumentError);
          return error.message.replace(JSON.stringify(typed), '<typed>');
        }),
      );
      expect(new Set(messages).size).toBe(1);
      expect(messages[0]).toContain('that you can see');
    });

    it('refuses a missing, blank or unknown argument with -32602', async () => {
      for (const args of [undefined, {}, { company: '   ' }]) {
        const error = await errorOf(getPrompt('qbr_preparation', args, ann));
        expect(error).toBeInstanceOf(PromptArgumentError);
        expect(error).toMatchObject({ code: -32602, message: expect.stringContaining('company is required') });
      }
      expect(await errorOf(getPrompt('qbr_preparation', { company: 'acme', quarter: 'Q3' }, ann))).toMatchObject({
        code: -32602,
        message: expect.stringContaining('quarter is not an argument of this prompt; its arguments: company'),
      });
    });
  });

  describe('renewal_risk_review', () => {
    it('hands analyze_accounts queries that run, then asks for Risk CTAs with idempotency keys', async () => {
      const result = await getPrompt('renewal_risk_review', {}, ann);
      expect(result.description).toBe('Renewal risk review, renewals in the next 90 days');
      const [text] = texts(result);
      expect(text).toContain('"renewal_in_days","op":"between","value":[0,90]');
      expect(text).toContain('create_cta');
      expect(text).toContain('type: "Risk"');
      expect(text).toContain('idempotency_key: "renewal-risk-<company_id>-<renewal_date>"');
      expect(text).toContain('csmcp://guides/analysis');
      const [rows, totals] = await analyse(result, ann);
      expect(rows.rows.map((r) => r.company_id)).toContain('c-bigacme');
      expect(totals.columns.map((c) => c.name)).toEqual(['health_color', 'accounts', 'arr_at_risk']);
    });

    it('finds the risky renewals of the caller only, within the window asked for', async () => {
      // Big Acme Holdings renews in 60 days and was never touched; Bob's Acme Rival renews in 10.
      const [in90] = await analyse(await getPrompt('renewal_risk_review', { within_days: '90' }, ann), ann);
      expect(in90.rows).toContainEqual(expect.objectContaining({ company_id: 'c-bigacme', renewal_in_days: expect.any(Number), days_since_last_activity: null }));
      expect(in90.rows.map((r) => r.company_id)).not.toContain('c-acme-rival');
      const in30 = await getPrompt('renewal_risk_review', { within_days: '30' }, ann);
      expect(in30.description).toBe('Renewal risk review, renewals in the next 30 days');
      expect((await analyse(in30, ann))[0].rows.map((r) => r.company_id)).not.toContain('c-bigacme');
      expect((await analyse(in30, bob))[0].rows.map((r) => r.company_id)).toContain('c-acme-rival');
    });

    it('refuses a window that is not a whole number of days from 1 to 730', async () => {
      for (const within_days of ['0', '731', '-5', 'ninety', '1.5']) {
        const error = await errorOf(getPrompt('renewal_risk_review', { within_days }, ann));
        expect(error).toBeInstanceOf(PromptArgumentError);
        expect(error).toMatchObject({ code: -32602, data: { argument: 'within_days' } });
      }
    });
  });

  describe('weekly_portfolio_check', () => {
    it('hands four analyze_accounts queries that run: overdue CTAs, red accounts, renewals in 30 days, stale accounts', async () => {
      const result = await getPrompt('weekly_portfolio_check', undefined, ann);
      expect(result.description).toBe('Weekly portfolio check: every account I can see');
      const [text] = texts(result);
      for (const words of ['Overdue CTAs', 'Red accounts', 'Renewals in the next 30 days', 'Stale accounts', 'list_ctas']) expect(text).toContain(words);
      const [overdue, red, renewals, stale] = await analyse(result, ann);
      expect(overdue.rows.map((r) => r.cta_id)).toEqual([book.annCta]);
      expect(red.rows.map((r) => r.company_id)).toEqual(['c-acme']);
      expect(renewals.rows.map((r) => r.company_id)).not.toContain('c-bigacme');
      const [, , bobRenewals] = await analyse(result, bob);
      expect(bobRenewals.rows.map((r) => r.company_id)).toContain('c-acme-rival');
      // Ann's accounts other than Acme (touched 2026-01-15, more than 30 days before any run of this suite) were never touched.
      expect(stale.rows.map((r) => r.company_id).sort()).toEqual(['c-acme', 'c-acme-labs', 'c-bigacme', 'c-pipe']);
    });

    it('narrows the checks to one owner; "me" is the caller', async () => {
      const mine = await getPrompt('weekly_portfolio_check', { owner: 'me' }, ann);
      expect(mine.description).toBe('Weekly portfolio check: the accounts owned by u-ann');
      expect(texts(mine)[0]).toContain('"field":"owner_id","op":"eq","value":"u-ann"');
      // Ann asking about Bob's accounts still sees none of them.
      const bobs = await getPrompt('weekly_portfolio_check', { owner: 'u-bob' }, ann);
      for (const result of await analyse(bobs, ann)) expect(result.rows).toEqual([]);
      expect(await errorOf(getPrompt('weekly_portfolio_check', { owner: 'two words' }, ann))).toMatchObject({ code: -32602, data: { argument: 'owner' } });
    });
  });

  it('refuses an unknown prompt with -32602, naming the prompts there are', async () => {
    const error = await errorOf(getPrompt('qbr', {}, ann));
    expect(error).toBeInstanceOf(PromptNotFoundError);
    expect(error).toMatchObject({ code: -32602, message: 'There is no prompt named "qbr"; prompts: qbr_preparation, renewal_risk_review, weekly_portfolio_check' });
  });
});
