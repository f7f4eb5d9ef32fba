import { companyStream } from '../../customer-success/companies/company.events';
import { analysisGuide } from '../../customer-success/analysis/analysis-guide';
import { errorOf } from '../../customer-success/queries/testing/book';
import {
  CS_RESOURCE_TEMPLATES,
  CS_STATIC_RESOURCES,
  listResources,
  listResourceTemplates,
  matchResource,
  readResource,
  resourceUri,
} from './cs-resources';
import { MCP_ERROR_CODES, ResourceNotFoundError, type ReadContext } from './resource-definition';
import { openReadBook, STORE_KINDS, type ReadBook } from './testing/read-context.fixture';

function only(result: Awaited<ReturnType<typeof readResource>>): { uri: string; mimeType?: string; text: string } {
  expect(result.contents).toHaveLength(1);
  const [content] = result.contents;
  if (!('text' in content)) throw new Error('expected a text resource');
  return content;
}

describe('matchResource', () => {
  it('matches each template and the static resource, decoding the variables', () => {
    expect(matchResource('csmcp://companies/c-acme/summary')).toMatchObject({ definition: { name: 'account_summary' }, params: { company_id: 'c-acme' } });
    expect(matchResource('csmcp://companies/c-acme/summary.json')).toMatchObject({ definition: { name: 'account_summary_json' }, params: { company_id: 'c-acme' } });
    expect(matchResource('csmcp://companies/a%2Fb%20c/timeline')).toMatchObject({ definition: { name: 'company_timeline' }, params: { company_id: 'a/b c' } });
    expect(matchResource('csmcp://ctas/x.json')).toMatchObject({ definition: { name: 'cta' }, params: { cta_id: 'x.json' } });
    expect(matchResource('csmcp://guides/analysis')).toMatchObject({ definition: { kind: 'static', name: 'analysis_guide' }, params: {} });
  });

  it('matches nothing else: other paths, extra segments, a query string, a malformed escape', () => {
    for (const uri of [
      'csmcp://companies/c-acme',
      'csmcp://companies/c-acme/summary/extra',
      'csmcp://companies//summary',
      'csmcp://companies/c-acme/summary?x=1',
      'csmcp://ctas/%E0%A4%A',
      'https://companies/c-acme/summary',
      'csmcp://guides/analysis/',
    ])
      expect(matchResource(uri)).toBeNull();
  });

  it('expands a template as level 1 says, and reads back what it expanded', () => {
    const uri = resourceUri('csmcp://companies/{company_id}/summary', { company_id: "a/b c'" });
    expect(uri).toBe('csmcp://companies/a%2Fb%20c%27/summary');
    expect(matchResource(uri)?.params).toEqual({ company_id: "a/b c'" });
  });

  it('lists every template with its metadata; templates use level 1 variables only', () => {
    expect(listResourceTemplates().map((t) => t.uriTemplate)).toEqual([
      'csmcp://companies/{company_id}/summary',
      'csmcp://companies/{company_id}/summary.json',
      'csmcp://companies/{company_id}/timeline',
      'csmcp://companies/{company_id}/scorecard',
      'csmcp://ctas/{cta_id}',
      'csmcp://success-plans/{success_plan_id}',
    ]);
    for (const t of listResourceTemplates()) expect(t).toEqual(expect.objectContaining({ name: expect.any(String), title: expect.any(String), description: expect.any(String), mimeType: expect.any(String) }));
    for (const t of CS_RESOURCE_TEMPLATES) expect(t.uriTemplate.replace(/\{[a-z_]+\}/g, '')).not.toMatch(/[{}]/);
    expect(CS_STATIC_RESOURCES.map((r) => [r.uri, r.mimeType])).toEqual([['csmcp://guides/analysis', 'text/markdown']]);
  });
});

describe.each(STORE_KINDS)('MCP resources on a real store (%s)', (kind) => {
  let book: ReadBook;
  let ann: ReadContext;
  let bob: ReadContext;

  beforeAll(async () => {
    book = await openReadBook(kind);
    ({ ann, bob } = book);
  });
  afterAll(() => book?.close());

  it('reads the account summary as Markdown: profile, health, CTAs, plans, timeline, contacts', async () => {
    const uri = 'csmcp://companies/c-acme/summary';
    const content = only(await readResource(uri, ann));
    expect(content).toMatchObject({ uri, mimeType: 'text/markdown' });
    const text = content.text;
    expect(text).toMatch(/^# Acme: account summary\n/);
    expect(text).toContain('| ARR | 120,000 |');
    expect(text).toContain('Renewal | 2027-03-31');
    expect(text).toContain('Overall **32 (Red)** as of 2026-02-01, down from 55.');
    expect(text).toContain('| Adoption | 22 | Red | down | Logins down |');
    expect(text).toContain('## Open CTAs (1, ');
    expect(text).toContain(`- **Usage dropped**: Risk, High, New, due 2020-01-01 **(overdue)**; owner \`u-ann\`; id \`${book.annCta}\``);
    expect(text).toContain('- **Adoption plan**: due 2026-12-31');
    // Line breaks in notes are folded: one activity, one line.
    expect(text).toContain('- 2026-01-15 **Meeting** Kick-off: Agreed on the plan (by `u-ann`');
    expect(text).toContain('- Road Runner (primary): VP Ops, Champion; sentiment Positive; rr@acme.test');
  });

  it('reads the same summary as JSON at .../summary.json', async () => {
    const uri = 'csmcp://companies/c-acme/summary.json';
    const content = only(await readResource(uri, ann));
    expect(content.mimeType).toBe('application/json');
    const summary = JSON.parse(content.text);
    expect(summary).toMatchObject({
      company: { companyId: 'c-acme', name: 'Acme', ownerId: 'u-ann' },
      health: { score: 32, color: 'Red', previousScore: 55, trend: 'down' },
      openCtas: { total: 1, items: [expect.objectContaining({ ctaId: book.annCta, isOverdue: true })] },
      activeSuccessPlans: [expect.objectContaining({ successPlanId: book.annPlan })],
      renewal: { renewalDate: '2027-03-31', arr: 120000 },
    });
  });

  it('escapes Markdown that comes from the data', async () => {
    const text = only(await readResource('csmcp://companies/c-pipe/summary', ann)).text;
    expect(text).toMatch(/^# Pipe \\\| \\\*Star\\\*: account summary\n/);
    expect(text).toContain('No scorecard recorded yet.');
    expect(text).toContain('No activity logged yet.');
  });

  it('reads the timeline, the scorecard, a CTA with its tasks and a success plan with its objectives', async () => {
    const timeline = only(await readResource('csmcp://companies/c-acme/timeline', ann));
    expect(timeline).toMatchObject({ uri: 'csmcp://companies/c-acme/timeline', mimeType: 'text/markdown' });
    expect(timeline.text).toContain('# Acme: timeline');
    expect(timeline.text).toContain('**Meeting** Kick-off');
    expect(timeline.text).not.toContain('Older activities');

    const scorecard = only(await readResource('csmcp://companies/c-acme/scorecard', ann)).text;
    expect(scorecard).toContain('Overall **32 (Red)** as of 2026-02-01, down from 55.');
    expect(scorecard).toContain('History: 2026-01-01 55 Yellow; 2026-02-01 32 Red');
    expect(scorecard).toContain('| Adoption | 22 | Red | down | 2026-02-01 | Logins down | 45, 22 |');

    const cta = only(await readResource(`csmcp://ctas/${book.annCta}`, ann)).text;
    expect(cta).toContain('# CTA: Usage dropped');
    expect(cta).toContain('| Company | Acme (`c-acme`) |');
    expect(cta).toContain('Reason: Logins halved');
    expect(cta).toContain('## Tasks (1 of 1 open)');
    expect(cta).toContain('| Call the champion | Open |');

    const plan = only(await readResource(`csmcp://success-plans/${book.annPlan}`, ann)).text;
    expect(plan).toContain('# Success plan: Adoption plan');
    expect(plan).toContain('| Status | Active |');
    expect(plan).toContain('## Objectives (0 of 0 open)');
  });

  it('reads the analysis guide', async () => {
    const content = only(await readResource('csmcp://guides/analysis', ann));
    expect(content).toMatchObject({ uri: 'csmcp://guides/analysis', mimeType: 'text/markdown' });
    expect(content.text).toContain(analysisGuide());
  });

  it("answers another owner's records exactly like records that do not exist (-32002)", async () => {
    const pairs: Array<[string, string]> = [
      ['csmcp://companies/c-globex/summary', 'csmcp://companies/c-nope/summary'],
      ['csmcp://companies/c-globex/summary.json', 'csmcp://companies/c-nope/summary.json'],
      ['csmcp://companies/c-globex/timeline', 'csmcp://companies/c-nope/timeline'],
      ['csmcp://companies/c-globex/scorecard', 'csmcp://companies/c-nope/scorecard'],
      [`csmcp://ctas/${book.bobCta}`, 'csmcp://ctas/cta-nope'],
      [`csmcp://success-plans/${book.bobPlan}`, 'csmcp://success-plans/plan-nope'],
    ];
    for (const [hidden, missing] of pairs) {
      const [a, b] = [await errorOf(readResource(hidden, ann)), await errorOf(readResource(missing, ann))];
      expect(a).toBeInstanceOf(ResourceNotFoundError);
      expect(b).toBeInstanceOf(ResourceNotFoundError);
      expect(a).toMatchObject({ code: MCP_ERROR_CODES.RESOURCE_NOT_FOUND, data: { uri: hidden } });
      // Same words, only the id differs.
      const hiddenId = decodeURIComponent(hidden.split('/')[3]);
      const missingId = decodeURIComponent(missing.split('/')[3]);
      expect(a.message.replace(hiddenId, '<id>')).toBe(b.message.replace(missingId, '<id>'));
      expect(a.message).toContain('that you can see');
    }
    // Bob, who owns them, reads them.
    expect(only(await readResource('csmcp://companies/c-globex/summary', bob)).text).toContain('# Globex: account summary');
    expect(only(await readResource(`csmcp://ctas/${book.bobCta}`, bob)).text).toContain('# CTA: Globex risk');
  });

  it('answers an unknown URI and an id no query accepts with -32002 too', async () => {
    const unknown = await errorOf(readResource('csmcp://companies/c-acme/invoices', ann));
    expect(unknown).toBeInstanceOf(ResourceNotFoundError);
    expect(unknown).toMatchObject({ code: -32002, data: { uri: 'csmcp://companies/c-acme/invoices' } });
    expect(unknown.message).toContain('csmcp://companies/{company_id}/summary');
    expect(await errorOf(readResource('csmcp://ctas/has%20space', ann))).toMatchObject({ code: -32002 });
  });

  it('stops before querying when the request was cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(readResource('csmcp://companies/c-acme/summary', { ...ann, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it("lists the guide and the summaries of the caller's companies only, a page at a time", async () => {
    const first = await listResources(ann);
    expect(first.resources.map((r) => r.uri)).toEqual([
      'csmcp://guides/analysis',
      'csmcp://companies/c-acme/summary',
      'csmcp://companies/c-acme-labs/summary',
      'csmcp://companies/c-bigacme/summary',
      'csmcp://companies/c-pipe/summary',
    ]);
    expect(first.resources[1]).toMatchObject({ name: 'account_summary:c-acme', title: 'Acme: account summary', mimeType: 'text/markdown' });
    expect(first.nextCursor).toBeUndefined();
    expect((await listResources(bob)).resources.map((r) => r.uri)).toEqual([
      'csmcp://guides/analysis',
      'csmcp://companies/c-acme-rival/summary',
      'csmcp://companies/c-globex/summary',
    ]);
    expect((await listResources(ann, undefined, { companies: false })).resources.map((r) => r.uri)).toEqual(['csmcp://guides/analysis']);
    expect(await errorOf(listResources(ann, 'not-a-cursor'))).toMatchObject({ code: MCP_ERROR_CODES.INVALID_PARAMS, name: 'InvalidParamsError' });
  });

  // Last: it adds companies the other tests do not expect.
  it('pages resources/list with the cursor it returns', async () => {
    const { h, admin } = book;
    for (let i = 0; i < 120; i++) {
      const companyId = `c-zeta-${String(i).padStart(3, '0')}`;
      const data = {
        companyId, name: `Zeta ${String(i).padStart(3, '0')}`, externalId: null, industry: null, segment: null, lifecycleStage: null,
        region: null, employees: null, arr: 0, renewalDate: null, ownerId: 'u-vic', importedAt: '2026-01-01T00:00:00.000Z',
      };
      await h.store.appendToStream(companyStream(companyId), [{ type: 'CompanyImported', data }], { expectedRevision: 'no_stream' });
    }
    await h.projections.runner.waitForPosition((await h.store.headPosition())!);

    const first = await listResources(admin);
    expect(first.resources).toHaveLength(1 + 100);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await listResources(admin, first.nextCursor);
    // 6 companies of the book and 120 new ones; the guide only on the first page.
    expect(second.resources).toHaveLength(26);
    expect(second.resources.at(-1)?.uri).toBe('csmcp://companies/c-zeta-119/summary');
    expect(second.nextCursor).toBeUndefined();
    expect((await listResources(ann)).resources).toHaveLength(5);
  });
});
