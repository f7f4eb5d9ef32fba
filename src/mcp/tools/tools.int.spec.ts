import type { EventStore } from '@csmcp/event-store';
import { givenReferenceData, startApp, type AppHarness, type StoreKind } from '../../../test/support/app-harness';
import { CS_TOOLS, toToolError, type ToolError, type ToolOutput } from './index';
import { BriefRunner } from '../../connectors/briefs/brief-runner';
import { BriefSources } from '../../connectors/briefs/brief-sources';
import type { TemplateCompany } from '../../connectors/briefs/brief-template';
import { ConnectorRegistry } from '../../connectors/registry/connector.service';
import type { CallOrigin } from '../../audit/tool-call-recording';
import { schemaErrors } from './testing/schema-validator';
import { testPrincipal, toolNamed, ToolSession } from './testing/tool-session';

/** A contact and two scorecard readings for Acme, the way an admin import writes them. */
async function givenAcmeDetails(store: EventStore): Promise<void> {
  await store.appendToStream(
    'contact-p-carla',
    [{ type: 'ContactImported', data: { contactId: 'p-carla', companyId: 'c-acme', name: 'Carla Diaz', email: 'carla@acme.test', title: 'CFO', role: 'Executive sponsor', sentiment: 'Positive', isPrimary: true, importedAt: '2026-01-01T00:00:00.000Z' } }],
    { expectedRevision: 'no_stream' },
  );
  const reading = (asOf: string, overallScore: number, overallColor: string, usage: number, comment: string | null) => ({
    type: 'ScorecardRecorded',
    data: {
      companyId: 'c-acme', asOf, overallScore, overallColor, recordedAt: `${asOf}T06:00:00.000Z`,
      measures: [
        { name: 'Product usage', score: usage, color: usage < 40 ? 'Red' : usage < 70 ? 'Yellow' : 'Green', comment },
        { name: 'Support', score: 80, color: 'Green', comment: null },
      ],
    },
  });
  await store.appendToStream('scorecard-c-acme', [reading('2026-01-01', 64, 'Yellow', 62, null), reading('2026-02-01', 51, 'Yellow', 38, 'Logins down 40%')], {
    expectedRevision: 'no_stream',
  });
}

const ORIGIN: CallOrigin = {
  actor: { type: 'user', id: 'u-ann', email: 'ann@example.com' },
  integrationId: null,
  integrationName: null,
  accessContext: 'shared',
  sessionId: null,
  requestId: null,
  sourceIp: null,
};

/** The refusal a tool call ends with, as the server will answer it. */
async function refusal(call: Promise<unknown>): Promise<ToolError> {
  try {
    await call;
  } catch (error) {
    const mapped = toToolError(error);
    if (mapped === null) throw error;
    return mapped;
  }
  throw new Error('expected the call to be refused');
}

describe.each<StoreKind>(['sqlite', 'postgres'])('MCP tools on the real application (%s)', (kind) => {
  let h: AppHarness;
  let ann: ToolSession;
  const validated = new Set<string>();

  /** Calls a tool and checks its structured output against its own output schema (closed: no extra fields). */
  async function call(session: ToolSession, name: string, args: Record<string, unknown> = {}): Promise<ToolOutput> {
    const output = await session.call(name, args);
    expect([name, schemaErrors(toolNamed(name).outputSchema, output.structured)]).toEqual([name, []]);
    expect(output.text.length).toBeGreaterThan(0);
    validated.add(name);
    return output;
  }

  beforeAll(async () => {
    h = await startApp(kind, { runProjections: true });
    await givenReferenceData(h.store);
    await givenAcmeDetails(h.store);
    const head = await h.store.headPosition();
    if (head) await h.projections.runner.waitForPosition(head);
    ann = new ToolSession(h, testPrincipal());
  });
  afterAll(() => h?.close());

  describe('a CSM working an account, every output valid against its schema', () => {
    let ctaId: string;
    let planId: string;
    let activityId: string;

    it('finds the company, reads its profile, briefing and scorecard', async () => {
      const found = await call(ann, 'search_companies', { text: 'acm' });
      expect(found.structured).toMatchObject({ items: [{ company_id: 'c-acme', name: 'Acme', owner_name: 'ann@example.com', health_score: 51 }], next_cursor: null });
      expect(found.text).toMatch(/^1 company\n- Acme \[c-acme\] — Enterprise, Adoption, ARR 120,000, renews 2027-03-31, health 51 Yellow/);

      const company = await call(ann, 'get_company', { company_id: 'c-acme' });
      expect(company.structured).toMatchObject({
        company_id: 'c-acme',
        relationships: [{ relationship_id: 'r-acme-eu', name: 'Acme EU' }],
        contacts: [{ contact_id: 'p-carla', is_primary: true, sentiment: 'Positive' }],
      });
      expect(company.text).toContain('Carla Diaz (primary), CFO <carla@acme.test>');

      const scorecard = await call(ann, 'get_scorecard', { company_id: 'c-acme', history_limit: 5 });
      expect(scorecard.structured).toMatchObject({
        company_name: 'Acme',
        overall: { score: 51, previous_score: 64, trend: 'down', history: [{ as_of: '2026-01-01', score: 64 }, { as_of: '2026-02-01', score: 51 }] },
      });
      expect(scorecard.text).toContain('Product usage: 38 Red (down from 62) — Logins down 40% — history 62 → 38');
    });

    it('creates a CTA and reads it back at once (read-your-writes through the session)', async () => {
      const created = await call(ann, 'create_cta', {
        company_id: 'c-acme', name: 'Renewal at risk', type: 'Risk', priority: 'High', due_date: '2026-12-01', reason: 'Usage down 40%',
      });
      expect(created.structured).toMatchObject({ entity_type: 'cta', parent_id: null, revision: 0, replayed: false, changes: [], events: [{ type: 'CtaCreated' }] });
      expect(created.position).toEqual({ commit: expect.any(Number), prepare: expect.any(Number) });
      expect(created.text).toMatch(/^Created "Risk" CTA "Renewal at risk" \[.+\] on company c-acme\.$/);
      ctaId = created.structured.entity_id as string;

      const cta = await call(ann, 'get_cta', { cta_id: ctaId });
      expect(cta.structured).toMatchObject({ cta_id: ctaId, company_name: 'Acme', status: 'New', priority: 'High', owner_id: 'u-ann', is_open: true, tasks: [] });
      expect(cta.text).toContain('[High] Renewal at risk — Acme (Risk, due 2026-12-01, New)');
    });

    it('adds a task, then updates the CTA, describing the change as old → new first', async () => {
      const task = await call(ann, 'create_cta_task', { cta_id: ctaId, title: 'Send the usage report', due_date: '2026-11-15' });
      expect(task.structured).toMatchObject({ entity_type: 'cta_task', parent_id: ctaId, events: [{ type: 'CtaTaskCreated' }] });

      const description = await ann.describe('update_cta', { cta_id: ctaId, priority: 'Urgent', status: 'WorkInProgress', due_date: null, name: 'Renewal at risk' });
      expect(description).toBe(
        `Update CTA "Renewal at risk" on Acme [${ctaId}]: name: "Renewal at risk" (unchanged); priority: High → Urgent; status: New → WorkInProgress; due_date: 2026-12-01 → (none).`,
      );
      const updated = await call(ann, 'update_cta', { cta_id: ctaId, priority: 'Urgent', status: 'WorkInProgress' });
      expect(updated.structured.changes).toEqual([
        { field: 'priority', from: 'High', to: 'Urgent' },
        { field: 'status', from: 'New', to: 'WorkInProgress' },
      ]);
      expect(updated.text).toBe(`Updated CTA [${ctaId}]:\n- priority: High → Urgent\n- status: New → WorkInProgress`);
      const cta = await call(ann, 'get_cta', { cta_id: ctaId });
      expect(cta.structured).toMatchObject({ priority: 'Urgent', task_count: 1, tasks: [{ title: 'Send the usage report', owner_id: 'u-ann', status: 'Open' }] });
    });

    it('creates and updates a success plan with an objective', async () => {
      expect(await ann.describe('create_success_plan', { company_id: 'c-acme', name: 'FY27 adoption', start_date: '2026-12-01' })).toBe(
        'Create success plan "FY27 adoption" on Acme [c-acme]: start_date 2026-12-01.',
      );
      const plan = await call(ann, 'create_success_plan', { company_id: 'c-acme', name: 'FY27 adoption', start_date: '2026-12-01', due_date: '2027-06-30' });
      planId = plan.structured.entity_id as string;
      await call(ann, 'create_cta', { company_id: 'c-acme', name: 'Roll out to EU', type: 'Objective', success_plan_id: planId, due_date: '2027-03-01' });
      const description = await ann.describe('update_success_plan', { success_plan_id: planId, status: 'Active' });
      expect(description).toBe(`Update success plan "FY27 adoption" on Acme [${planId}]: status: Draft → Active.`);
      const updated = await call(ann, 'update_success_plan', { success_plan_id: planId, status: 'Active' });
      expect(updated.structured.changes).toEqual([{ field: 'status', from: 'Draft', to: 'Active' }]);

      const read = await call(ann, 'get_success_plan', { success_plan_id: planId });
      expect(read.structured).toMatchObject({ status: 'Active', objective_count: 1, objectives: [{ name: 'Roll out to EU', type: 'Objective' }] });
      const listed = await call(ann, 'list_success_plans', { company_id: 'c-acme', status: ['Active', 'Draft'] });
      expect(listed.structured).toMatchObject({ items: [{ success_plan_id: planId }], next_cursor: null });
      expect(listed.text).toContain('1 success plan\n- FY27 adoption — Acme (Active, due 2027-06-30, 1/1 objectives open)');
    });

    it('logs timeline activities at the company and on the CTA, and corrects one', async () => {
      const logged = await call(ann, 'create_timeline_activity', {
        company_id: 'c-acme', type: 'Call', subject: 'QBR prep', notes: 'CFO worried about adoption', occurred_at: '2025-11-20T10:00:00Z', participants: ['Carla Diaz', 'ann@example.com'],
      });
      activityId = logged.structured.entity_id as string;
      await call(ann, 'create_timeline_activity', { company_id: 'c-acme', context_kind: 'cta', context_id: ctaId, type: 'Email', subject: 'Usage report sent', occurred_at: '2025-11-21T09:00:00Z' });
      expect(await ann.describe('update_timeline_activity', { activity_id: activityId, subject: 'QBR prep call' })).toBe(
        `Update timeline activity "${activityId}": subject → "QBR prep call".`,
      );
      const updated = await call(ann, 'update_timeline_activity', { activity_id: activityId, subject: 'QBR prep call' });
      expect(updated.structured.changes).toEqual([{ field: 'subject', from: 'QBR prep', to: 'QBR prep call' }]);

      const timeline = await call(ann, 'list_timeline_activities', { company_id: 'c-acme', from: '2025-11-01', to: '2025-11-30' });
      expect(timeline.structured).toMatchObject({
        items: [
          { subject: 'Usage report sent', context: { kind: 'cta', id: ctaId } },
          { activity_id: activityId, subject: 'QBR prep call', participants: ['Carla Diaz', 'ann@example.com'] },
        ],
        next_cursor: null,
      });
      expect(timeline.text).toContain('2025-11-20 Call: QBR prep call — Acme: CFO worried about adoption');
      const onCta = await call(ann, 'list_timeline_activities', { context_kind: 'cta', context_id: ctaId });
      expect((onCta.structured.items as unknown[]).length).toBe(1);
    });

    it('briefs the account with all of it', async () => {
      const summary = await call(ann, 'get_account_summary', { company_id: 'c-acme' });
      expect(summary.structured).toMatchObject({
        company: { company_id: 'c-acme' },
        health: { score: 51, trend: 'down', measures: [{ name: 'Product usage' }, { name: 'Support' }] },
        open_ctas: { total: 2 },
        active_success_plans: [{ success_plan_id: planId }],
        contacts: [{ name: 'Carla Diaz' }],
        renewal: { renewal_date: '2027-03-31', arr: 120000 },
      });
      expect((summary.structured.recent_timeline as unknown[]).length).toBe(2);
      expect(summary.text).toContain('Health: 51 Yellow as of 2026-02-01, down from 64');
      expect(summary.text).toContain('[Urgent] Renewal at risk — Acme');
    });

    it('briefs the account with its sources: one refused by the SSRF guard is a section with its code, audited at no charge', async () => {
      const registry = h.app.get(ConnectorRegistry);
      const admin = { actor: { type: 'system', id: 'tools-int' } as const, toolName: 'test' };
      // A loopback address nobody allowed: the guard refuses it before any request.
      await registry.register({ name: `desk-${kind}`, url: 'https://127.0.0.1:9/mcp', auth: 'none' }, admin);
      await h.app.get(BriefSources).add({ connector: `desk-${kind}`, tool: 'search_tickets', args: '{"company": "{{company.name}}"}', label: 'Open tickets', timeout: '3s' }, admin);
      const runner = h.app.get(BriefRunner);
      const context = { ...ann.context('get_account_brief'), briefSources: (company: TemplateCompany) => runner.run(company, { user: { userId: ann.principal.userId, email: ann.principal.email! }, origin: ORIGIN }) };
      const brief = await toolNamed('get_account_brief').run({ company_id: 'c-acme', summarize: true }, context);
      expect(schemaErrors(toolNamed('get_account_brief').outputSchema, brief.structured)).toEqual([]);
      validated.add('get_account_brief');
      expect(brief.structured).toMatchObject({
        summary: { company: { company_id: 'c-acme', name: 'Acme' } },
        sources: [{ label: 'Open tickets', connector: `desk-${kind}`, tool: 'search_tickets', status: 'error', error: { code: 'FETCH_REFUSED', hint: expect.stringContaining('--allow-host') }, credits: 0 }],
        written_summary: null,
        summary_note: expect.stringContaining('does not support sampling'),
      });
      expect(brief.text).toContain('## Open tickets (desk-');
      const entries = await h.store.readStream('audit-log');
      expect(entries[entries.length - 1].data).toMatchObject({
        body: { tool: `connector:desk-${kind}/search_tickets`, kind: 'read', outcome: 'failed', code: 'FETCH_REFUSED', credits: 0, companyId: 'c-acme', args: { arguments: { company: 'Acme' } } },
      });
    });

    it('lists the user-specific connectors for authorize_connector, and refuses one the organisation has not authorised, or a machine client', async () => {
      const admin = { actor: { type: 'system', id: 'tools-int' } as const, toolName: 'test' };
      await h.app.get(ConnectorRegistry).register({ name: `helpdesk-${kind}`, url: 'https://helpdesk.example/mcp', auth: 'oauth_dynamic', authorizationScope: 'user' }, admin);
      const listed = await call(ann, 'authorize_connector');
      expect(listed.structured).toEqual({
        connectors: [{ name: `helpdesk-${kind}`, url: 'https://helpdesk.example/mcp', organisation_authorized: false, status: 'not_authorized', problem: null, authorized_at: null, expires_at: null }],
        authorization: null,
      });
      expect(listed.text).toContain(`- helpdesk-${kind}: not available yet (an admin authorises it for the organisation first)`);
      expect(await refusal(ann.call('authorize_connector', { connector: `helpdesk-${kind}` }))).toMatchObject({ code: 'COMPANY_AUTHORIZATION_FIRST' });
      expect(await refusal(ann.call('authorize_connector', { connector: `desk-${kind}` }))).toMatchObject({ code: 'NO_AUTHORIZATION_NEEDED' });
      const machine = new ToolSession(h, testPrincipal({ userId: 'client-sync', email: null, actor: 'client', scopes: ['cs:read'] }));
      expect(await refusal(machine.call('authorize_connector', {}))).toMatchObject({ code: 'NOT_A_USER' });
    });

    it('lists CTAs with filters, and renders them one per line', async () => {
      const listed = await call(ann, 'list_ctas', { company_id: 'c-acme', open_only: true, type: ['Risk', 'Objective'], sort: 'due_date' });
      expect((listed.structured.items as Array<{ name: string }>).map((t) => t.name)).toEqual(['Renewal at risk', 'Roll out to EU']);
      expect(listed.text).toMatch(/^2 CTAs\n- \[Urgent\] Renewal at risk — Acme \(Risk, due 2026-12-01, WorkInProgress\) \[.+\]\n- \[Medium\] Roll out to EU — Acme \(Objective, due 2027-03-01, New\)/);
    });

    it('analyses across accounts, reporting progress', async () => {
      ann.progress.length = 0;
      const grouped = await call(ann, 'analyze_accounts', {
        entity: 'companies',
        group_by: ['owner_id'],
        metrics: [{ fn: 'sum', field: 'arr', as: 'total_arr' }, { fn: 'count', as: 'accounts' }],
        sort: [{ by: 'owner_id', dir: 'asc' }],
      });
      expect(grouped.structured).toMatchObject({
        entity: 'companies',
        rows: [{ owner_id: 'u-ann', total_arr: 120000, accounts: 1 }, { owner_id: 'u-bob', total_arr: 120000, accounts: 1 }],
        row_count: 2,
        truncated: false,
      });
      expect(grouped.text).toContain('- owner_id=u-ann, total_arr=120000, accounts=1');
      expect(ann.progress).toEqual([
        { progress: 0, total: 1, message: 'Running the analysis' },
        { progress: 1, total: 1, message: 'Done: 2 rows' },
      ]);
      // Straight after a write, the analysis counts it (the session's position is waited for).
      await call(ann, 'create_cta', { company_id: 'c-globex', name: 'Champion left', type: 'Risk', owner_id: 'u-bob' });
      const risks = await call(ann, 'analyze_accounts', { entity: 'ctas', filter: { field: 'type', op: 'eq', value: 'Risk' }, limit: 1 });
      expect(risks.structured).toMatchObject({ row_count: 1, truncated: true });
    });
  });

  it('walks a list page by page with next_cursor, no item twice', async () => {
    const session = new ToolSession(h, testPrincipal());
    const created: string[] = [];
    for (let i = 1; i <= 7; i++) {
      const out = await call(session, 'create_cta', { company_id: 'c-globex', name: `Paging ${i}`, type: 'Activity', owner_id: 'u-bob', due_date: `2027-0${i}-10` });
      created.push(out.structured.entity_id as string);
    }
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const args: Record<string, unknown> = { company_id: 'c-globex', type: 'Activity', limit: 3, ...(cursor ? { cursor } : {}) };
      const out = await call(session, 'list_ctas', args);
      const items = out.structured.items as Array<{ cta_id: string }>;
      sizes.push(items.length);
      seen.push(...items.map((t) => t.cta_id));
      cursor = out.structured.next_cursor as string | null;
      if (cursor) expect(out.text).toContain(`(more: next_cursor ${cursor})`);
    } while (cursor);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(created); // by due date, as created

    const companies: string[] = [];
    let page = await call(session, 'search_companies', { limit: 1, sort: 'arr', order: 'asc' });
    companies.push(...(page.structured.items as Array<{ company_id: string }>).map((c) => c.company_id));
    while (page.structured.next_cursor) {
      page = await call(session, 'search_companies', { limit: 1, sort: 'arr', order: 'asc', cursor: page.structured.next_cursor });
      companies.push(...(page.structured.items as Array<{ company_id: string }>).map((c) => c.company_id));
    }
    expect(companies.sort()).toEqual(['c-acme', 'c-globex']);
  });

  describe('refusals, each with a stable code and the argument named', () => {
    it('refuses a viewer\'s write and records nothing but the refusal', async () => {
      const vic = new ToolSession(h, testPrincipal({ userId: 'u-vic', email: 'vic@example.com', name: 'Vic', role: 'viewer' }));
      const before = await h.store.headPosition();
      const error = await refusal(vic.call('create_cta', { company_id: 'c-acme', name: 'Try', type: 'Risk' }));
      expect(error).toMatchObject({ code: 'ROLE_CANNOT_WRITE' });
      const written = await h.store.readAll({ after: before });
      expect(written.map((e) => e.type)).toEqual(['WriteRefused']);
    });

    it('refuses an attempt to change a company through a CTA, or to move an activity', async () => {
      const { structured } = await ann.call('create_cta', { company_id: 'c-acme', name: 'Kickoff', type: 'Lifecycle' });
      expect(await refusal(ann.call('update_cta', { cta_id: structured.entity_id, company_id: 'c-globex' }))).toEqual({
        code: 'VALIDATION',
        message: expect.stringContaining('company_id: is not an accepted field here (the company is fixed when the record is created)'),
        problems: [{ field: 'company_id', problem: 'is not an accepted field here (the company is fixed when the record is created)' }],
      });
      expect(await refusal(ann.call('create_timeline_activity', { company_id: 'c-acme', context_kind: 'scorecard', context_id: 'c-acme', type: 'Update', subject: 'x' }))).toMatchObject({
        code: 'NO_TIMELINE_ON_SCORECARD',
      });
      const { structured: activity } = await ann.call('create_timeline_activity', { company_id: 'c-acme', type: 'Update', subject: 'Kickoff planned' });
      expect(await refusal(ann.call('update_timeline_activity', { activity_id: activity.entity_id, context_kind: 'cta', context_id: structured.entity_id }))).toMatchObject({
        code: 'VALIDATION',
        problems: [{ field: 'context_kind' }, { field: 'context_id' }],
      });
    });

    it('names the wrong write argument, in the tool\'s spelling', async () => {
      expect(await refusal(ann.call('create_cta', { company_id: 'c-acme', name: 'x', type: 'Risk', due_date: '15/12/2026' }))).toMatchObject({
        code: 'VALIDATION',
        problems: [{ field: 'due_date', problem: expect.stringContaining('YYYY-MM-DD') }],
      });
      // A rule only the decider knows: its camelCase field comes back as the argument's name.
      expect(await refusal(ann.call('create_success_plan', { company_id: 'c-acme', name: 'Backwards', start_date: '2027-02-01', due_date: '2027-01-01' }))).toEqual({
        code: 'DUE_DATE_BEFORE_START_DATE',
        message: expect.stringMatching(/^due_date 2027-01-01 is before start_date 2027-02-01/),
        problems: [{ field: 'due_date', problem: expect.any(String) }],
      });
    });

    it('refuses unknown read arguments listing the accepted ones, and wrong types naming the argument', async () => {
      const unknown = await refusal(ann.call('list_ctas', { colour: 'red' }));
      expect(unknown).toMatchObject({ code: 'INVALID_QUERY', problems: [{ field: 'colour' }] });
      expect(unknown.message).toBe(
        'colour is not an argument of this tool; accepted: company_id, relationship_id, success_plan_id, owner_id, status, type, priority, due_from, due_to, open_only, sort, order, limit, cursor',
      );
      // camelCase is the query's spelling, not the tool's.
      expect(await refusal(ann.call('get_company', { companyId: 'c-acme' }))).toMatchObject({ code: 'INVALID_QUERY', message: 'companyId is not an argument of this tool; accepted: company_id' });
      expect(await refusal(ann.call('get_company', {}))).toMatchObject({ code: 'INVALID_QUERY', message: expect.stringMatching(/^company_id is required/), problems: [{ field: 'company_id' }] });
      expect(await refusal(ann.call('list_ctas', { due_from: 'tomorrow' }))).toMatchObject({ code: 'INVALID_QUERY', message: expect.stringMatching(/^due_from must be a calendar date/) });
      expect(await refusal(ann.call('list_ctas', { due_from: '2027-02-01', due_to: '2027-01-01' }))).toMatchObject({ message: 'due_from (2027-02-01) must not be after due_to (2027-01-01)' });
      expect(await refusal(ann.call('list_ctas', { limit: 500 }))).toMatchObject({
        code: 'INVALID_QUERY',
        message: 'limit must be an integer from 1 to 100; got 500. To read more, follow next_cursor page by page',
      });
      expect(await refusal(ann.call('list_ctas', { sort: 'dueDate' }))).toMatchObject({ message: 'sort must be one of due_date, created_at, updated_at; got "dueDate"', problems: [{ field: 'sort' }] });
      expect(await refusal(ann.call('search_companies', { arr_min: 'lots' }))).toMatchObject({ problems: [{ field: 'arr_min' }], message: expect.stringMatching(/^arr_min must be a number/) });
      expect(await refusal(ann.call('list_timeline_activities', { context_id: 'c-acme' }))).toMatchObject({ problems: [{ field: 'context_kind' }] });
      expect(await refusal(ann.call('list_ctas', { cursor: 'not-a-cursor' }))).toMatchObject({ code: 'INVALID_CURSOR', message: expect.stringContaining('pass the next_cursor of the previous page unchanged') });
      expect(await refusal(ann.call('analyze_accounts', { entity: 'companies', filter: { field: 'colour', op: 'eq', value: 'Red' } }))).toMatchObject({
        code: 'INVALID_QUERY',
        problems: [{ field: 'filter.field' }],
      });
      expect(await refusal(ann.call('get_cta', { cta_id: 'nope' }))).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('list_ctas') });
    });
  });

  it('answers a retry with the same idempotency_key with the first result, writing nothing', async () => {
    const args = { company_id: 'c-acme', name: 'Expansion talk', type: 'Expansion', idempotency_key: `key-${kind}-1` };
    const first = await call(ann, 'create_cta', args);
    const head = await h.store.headPosition();
    const again = await call(ann, 'create_cta', args);
    expect(again.structured).toEqual({ ...first.structured, replayed: true });
    expect(again.position).toEqual(first.position);
    expect(again.text).toContain('nothing new was written');
    expect(await h.store.headPosition()).toEqual(head);
    expect(await refusal(ann.call('create_cta', { ...args, name: 'Something else' }))).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it("keeps a personal-access reader to the owner's own companies in every tool", async () => {
    const mine = new ToolSession(h, testPrincipal({ accessContext: 'personal', tokenKind: 'personal_access_token', integrationId: null, integrationName: null }));
    const found = await call(mine, 'search_companies', {});
    expect((found.structured.items as Array<{ company_id: string }>).map((c) => c.company_id)).toEqual(['c-acme']);
    expect(await refusal(mine.call('get_company', { company_id: 'c-globex' }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await refusal(mine.call('get_account_summary', { company_id: 'c-globex' }))).toMatchObject({ code: 'NOT_FOUND' });
    expect((await call(mine, 'list_ctas', { company_id: 'c-globex' })).structured).toEqual({ items: [], next_cursor: null });
    const owners = await call(mine, 'analyze_accounts', { entity: 'companies', metrics: [{ fn: 'count', as: 'accounts' }] });
    expect(owners.structured.rows).toEqual([{ accounts: 1 }]);
    expect(await refusal(mine.call('create_cta', { company_id: 'c-globex', name: 'Sneaky', type: 'Risk' }))).toMatchObject({ code: 'COMPANY_NOT_VISIBLE' });
  });

  it('answers the credit balance, and to an admin the audit log and credit usage; a csm gets FORBIDDEN', async () => {
    const balance = await call(ann, 'get_credit_balance');
    expect(balance.structured).toMatchObject({ limited: false, balance: null, prices: { by_kind: { read: 1, analysis: 5, write: 2 } }, you: { id: 'u-ann' } });
    const boss = new ToolSession(h, testPrincipal({ userId: 'u-boss', email: 'boss@example.com', name: 'Boss', role: 'admin', scopes: ['cs:read', 'admin'] }));
    const log = await call(boss, 'query_audit_log', { limit: 5 });
    expect(log.structured).toMatchObject({ items: expect.any(Array) });
    const usage = await call(boss, 'get_credit_usage', { group_by: ['tool'], period: 'month' });
    expect(usage.structured).toMatchObject({ totals: { calls: expect.any(Number), credits: expect.any(Number) } });
    expect(await refusal(boss.call('get_credit_usage', { period: 'fortnight' }))).toMatchObject({ code: 'INVALID_QUERY', message: expect.stringContaining('period must be one of day, week, month, total') });
    const csmWithAdminScope = new ToolSession(h, testPrincipal({ scopes: ['cs:read', 'admin'] }));
    expect(await refusal(csmWithAdminScope.call('query_audit_log', {}))).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('validated the real output of every tool against its output schema', () => {
    expect([...validated].sort()).toEqual(CS_TOOLS.map((t) => t.name).sort());
  });
});
