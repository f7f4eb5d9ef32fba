import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CS_TOOLS } from '../../src/mcp/tools';
import { startServerProcess, type ServerProcess } from '../support/cli';
import { callTool, connectStreamable, toolError } from '../support/mcp-clients';
import { seedBook, sqliteStore, untilCaughtUp, type McpBook, type McpStore } from '../support/mcp-stack';

/**
 * The audit log, usage and credits endpoints of the admin API against a real `csmcp serve`, over real
 * HTTP: a CSM makes MCP calls with the SDK client (reads, a write and its update, a refusal), then an
 * admin grants credits, lists the audit log by user, tool, entity and outcome, pages through it, opens
 * one entry, downloads the usage report as JSON and CSV, verifies the chain, sets limits and prices
 * (seen in GET /credits and in the CSM's get_credit_balance), and gets each bad input refused exactly.
 * Then the admin reverts one of the CSM's writes (the record restored; a second revert refused, naming
 * the first) and a whole MCP session (record by record: one put back, one refused with its reason),
 * and reads who they are (GET /me) and the tools with their prices now (GET /tools).
 */

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  /** JSON when the answer is JSON, else the text. */
  readonly body: any;
}

/** The day before and after today (UTC): a range that holds every call of this test whenever it runs. */
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe('admin API: audit log, usage and credits (csmcp serve, embedded store)', () => {
  let store: McpStore;
  let server: ServerProcess;
  let book: McpBook;
  let adminToken: string;
  let ann: Awaited<ReturnType<typeof connectStreamable>>;
  let annId: string;
  /** What ann did, in order, as the test learns it. */
  let ctaId: string;
  let refusedCode: string;
  const since = day(-1);
  const until = day(1);

  async function api(token: string | null, method: string, path: string, body?: unknown): Promise<Answer> {
    const init: RequestInit = { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}) } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await fetch(`${server.url}/admin/api${path}`, init);
    const text = await res.text();
    const json = (res.headers.get('content-type') ?? '').startsWith('application/json');
    return { status: res.status, headers: res.headers, body: json && text !== '' ? JSON.parse(text) : text };
  }
  const asAdmin = (method: string, path: string, body?: unknown) => api(adminToken, method, path, body);
  /** An answer that must succeed with this status; its body. */
  const ok = async (answer: Promise<Answer>, status = 200) => {
    const res = await answer;
    if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    return res.body;
  };
  const refusal = async (answer: Promise<Answer>) => {
    const res = await answer;
    expect(res.headers.get('cache-control')).toBe('no-store');
    return { status: res.status, ...res.body };
  };
  const structured = (result: CallToolResult) => {
    expect(result.isError).not.toBe(true);
    return result.structuredContent as Record<string, any>;
  };
  const mcp = async (client: Client, tool: string, args: Record<string, unknown>) => structured(await callTool(client, tool, args));

  beforeAll(async () => {
    store = sqliteStore();
    book = await seedBook(store, 12);
    adminToken = (JSON.parse(await store.cli(['tokens', 'issue', '--user', book.admin.email, '--scopes', 'cs:read admin', '--ttl', '1h', '--json'])) as { token: string }).token;
    server = await startServerProcess(store.env);
    await untilCaughtUp(server.url);
    ann = await connectStreamable(`${server.url}/mcp`, book.ann.token);
    await ann.client.listTools();
    const users = await ok(asAdmin('GET', '/users'));
    annId = (users.items as Array<{ user_id: string; email: string }>).find((u) => u.email === book.ann.email)!.user_id;
  }, 180_000);

  afterAll(async () => {
    await ann?.close();
    await server?.stop();
    await store?.dispose();
  });

  it("refuses a CSM's token on every one of these endpoints: 403 forbidden", async () => {
    const endpoints: Array<[string, string, unknown?]> = [
      ['GET', '/audit'],
      ['GET', '/audit/0'],
      ['GET', '/audit/verify'],
      ['GET', '/audit/head'],
      ['GET', '/usage'],
      ['GET', '/usage?format=csv'],
      ['GET', '/credits'],
      ['POST', '/credits/grants', { amount: 1_000_000, reason: 'myself' }],
      ['PUT', '/credits/limits', { scope: 'user', id: book.ann.email, monthlyLimit: null }],
      ['PUT', '/credits/prices', { byKind: { read: 0 } }],
    ];
    for (const [method, path, body] of endpoints) {
      const res = await api(book.bob.token, method, path, body);
      expect({ endpoint: `${method} ${path}`, status: res.status, code: res.body.error?.code }).toEqual({ endpoint: `${method} ${path}`, status: 403, code: 'forbidden' });
    }
    // Nothing was recorded: the log is still empty.
    expect(await ok(asAdmin('GET', '/audit/head'))).toEqual({ seq: null, hash: null });
  });

  it('shows the credits before any grant (metered, not limited) and grants: 201 with the entry and the balance', async () => {
    const before = await ok(asAdmin('GET', '/credits'));
    expect(before).toEqual({
      limited: false,
      balance: null,
      granted: 0,
      charged: 0,
      prices: { byKind: { read: 1, analysis: 5, write: 2 }, byTool: { get_credit_balance: 0, query_audit_log: 0, get_credit_usage: 0, authorize_connector: 0 } },
      month: new Date().toISOString().slice(0, 7),
      userLimits: [],
      integrationLimits: [],
    });
    expect(await ok(asAdmin('POST', '/credits/grants', { amount: 500, reason: '  opening balance  ' }), 201)).toEqual({ seq: 0, amount: 500, reason: 'opening balance', balance: 500 });
    expect(await ok(asAdmin('GET', '/credits'))).toMatchObject({ limited: true, balance: 500, granted: 500, charged: 0 });
  });

  it("lists ann's MCP calls newest first, whole, and filters them by user, tool, entity and outcome", async () => {
    const companyId = book.annCompanies[0];
    await mcp(ann.client, 'get_company', { company_id: companyId });
    const created = await mcp(ann.client, 'create_cta', { company_id: companyId, name: `Usage dropped ${randomUUID().slice(0, 8)}`, type: 'Risk', priority: 'High' });
    ctaId = created.entity_id;
    await mcp(ann.client, 'update_cta', { cta_id: ctaId, priority: 'Urgent' });
    // A company bob owns: ann (personal access) may not write there.
    refusedCode = toolError(await callTool(ann.client, 'create_cta', { company_id: book.bobCompanies[0], name: 'Not mine', type: 'Risk' })).code;
    for (let i = 0; i < 3; i++) await mcp(ann.client, 'get_cta', { cta_id: ctaId });

    const all = await ok(asAdmin('GET', `/audit?user=${encodeURIComponent(book.ann.email)}`));
    expect(all.nextCursor).toBeNull();
    const summary = (all.items as any[]).map((i) => ({ seq: i.seq, tool: i.entry.tool, outcome: i.entry.outcome, credits: i.entry.credits }));
    expect(summary).toEqual([
      { seq: 7, tool: 'get_cta', outcome: 'ok', credits: 1 },
      { seq: 6, tool: 'get_cta', outcome: 'ok', credits: 1 },
      { seq: 5, tool: 'get_cta', outcome: 'ok', credits: 1 },
      { seq: 4, tool: 'create_cta', outcome: 'refused', credits: 0 },
      { seq: 3, tool: 'update_cta', outcome: 'ok', credits: 2 },
      { seq: 2, tool: 'create_cta', outcome: 'ok', credits: 2 },
      { seq: 1, tool: 'get_company', outcome: 'ok', credits: 1 },
    ]);
    for (const item of all.items)
      expect(item).toMatchObject({
        type: 'ToolCallRecorded',
        actor: { type: 'user', id: annId, email: book.ann.email },
        entry: { actor: { type: 'user', id: annId, email: book.ann.email }, integrationId: null, accessContext: 'personal', sessionId: ann.transport.sessionId },
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    // The user by id finds the same; the tools as a comma list; the record and everything about it; the refusal with its code.
    expect((await ok(asAdmin('GET', `/audit?user=${annId}`))).items).toEqual(all.items);
    const seqs = async (query: string) => ((await ok(asAdmin('GET', `/audit?${query}`))).items as any[]).map((i) => i.seq);
    expect(await seqs('tool=create_cta,update_cta')).toEqual([4, 3, 2]);
    expect(await seqs(`entity=${ctaId}`)).toEqual([7, 6, 5, 3, 2]);
    expect(await seqs('outcome=refused')).toEqual([4]);
    expect((await ok(asAdmin('GET', '/audit?outcome=refused'))).items[0].entry).toMatchObject({ tool: 'create_cta', outcome: 'refused', code: refusedCode, credits: 0, events: [] });
    expect(await seqs('type=CreditsGranted')).toEqual([0]);
    expect(await seqs(`user=${encodeURIComponent(book.bob.email)}`)).toEqual([]);
  });

  it('pages with the cursor: every entry once, in order', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = await ok(asAdmin('GET', `/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`));
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((i: { seq: number }) => i.seq));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect({ pages, seen }).toEqual({ pages: 3, seen: [7, 6, 5, 4, 3, 2, 1, 0] });
  });

  it('opens one entry whole: the update with its old and new value, chained to the one before', async () => {
    const update = await ok(asAdmin('GET', '/audit/3'));
    const previous = await ok(asAdmin('GET', '/audit/2'));
    expect(update).toMatchObject({
      seq: 3,
      type: 'ToolCallRecorded',
      prevHash: previous.hash,
      entry: {
        tool: 'update_cta',
        kind: 'write',
        args: { cta_id: ctaId, priority: 'Urgent' },
        outcome: 'ok',
        credits: 2,
        subject: { type: 'cta', id: ctaId },
        events: [{ stream: `cta-${ctaId}`, type: 'CtaUpdated', id: expect.any(String) }],
        changes: [{ field: 'priority', from: 'High', to: 'Urgent' }],
        replayed: false,
      },
    });
    expect((await ok(asAdmin('GET', '/audit/0'))).prevHash).toBe('0'.repeat(64));
    expect(await refusal(asAdmin('GET', '/audit/42'))).toEqual({ status: 404, error: { code: 'NOT_FOUND', message: 'There is no audit entry 42; the audit log holds entries 0 to 7', details: { field: 'seq' } } });
    expect(await refusal(asAdmin('GET', '/audit/three'))).toEqual({
      status: 400,
      error: { code: 'INVALID_QUERY', message: 'seq must be an audit entry\'s number: a whole number from 0; got "three"', details: { field: 'seq' } },
    });
  });

  it('reports usage as JSON and as a CSV download that reconciles with the ledger', async () => {
    const usage = await ok(asAdmin('GET', `/usage?since=${since}&until=${until}&by=user,tool`));
    const range = { since: `${since}T00:00:00.000Z`, until: `${day(2)}T00:00:00.000Z` };
    const ofAnn = { id: annId, email: book.ann.email };
    expect(usage).toEqual({
      ...range,
      groupBy: ['user', 'tool'],
      period: 'total',
      rows: [
        { period: null, user: ofAnn, tool: 'get_cta', calls: 3, chargedCalls: 3, refusedCalls: 0, failedCalls: 0, credits: 3 },
        { period: null, user: ofAnn, tool: 'create_cta', calls: 2, chargedCalls: 1, refusedCalls: 1, failedCalls: 0, credits: 2 },
        { period: null, user: ofAnn, tool: 'update_cta', calls: 1, chargedCalls: 1, refusedCalls: 0, failedCalls: 0, credits: 2 },
        { period: null, user: ofAnn, tool: 'get_company', calls: 1, chargedCalls: 1, refusedCalls: 0, failedCalls: 0, credits: 1 },
      ],
      totals: { calls: 7, credits: 8 },
    });
    const credits = await ok(asAdmin('GET', '/credits'));
    expect({ charged: credits.charged, balance: credits.balance }).toEqual({ charged: usage.totals.credits, balance: 500 - usage.totals.credits });

    const res = await asAdmin('GET', `/usage?since=${since}&until=${until}&by=user,tool&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="csmcp-usage-${since}-${until}.csv"`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const period = `${range.since}/${range.until}`;
    expect(res.body).toBe(
      [
        'period,user_id,user_email,integration_id,integration_name,tool,calls,charged_calls,refused_calls,failed_calls,credits',
        `${period},${annId},${book.ann.email},,,get_cta,3,3,0,0,3`,
        `${period},${annId},${book.ann.email},,,create_cta,2,1,1,0,2`,
        `${period},${annId},${book.ann.email},,,update_cta,1,1,0,0,2`,
        `${period},${annId},${book.ann.email},,,get_company,1,1,0,0,1`,
        '',
      ].join('\r\n'),
    );
    // By day and nothing else: one row per day with calls.
    const byDay = await ok(asAdmin('GET', `/usage?since=${since}&until=${until}&by=none&period=day`));
    expect(byDay.rows.map((r: { calls: number }) => r.calls).reduce((a: number, b: number) => a + b, 0)).toBe(7);
    expect(byDay.rows.every((r: Record<string, unknown>) => !('user' in r) && !('tool' in r))).toBe(true);
  });

  it('verifies the chain (a broken one is an answer, not an error) and gives its head', async () => {
    const head = await ok(asAdmin('GET', '/audit/head'));
    expect(head).toEqual({ seq: 7, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await ok(asAdmin('GET', '/audit/verify'))).toEqual({ ok: true, entries: 8, rows: 8, head, broken: null });
    expect(await ok(asAdmin('GET', `/audit/verify?expectHead=${head.seq}:${head.hash}`))).toMatchObject({ ok: true, head });
    const rewritten = '0'.repeat(64);
    expect(await ok(asAdmin('GET', `/audit/verify?expectHead=${head.seq}:${rewritten}`))).toEqual({
      ok: false,
      entries: 8,
      rows: 8,
      head,
      broken: { where: 'expected head', seq: 7, reason: `entry 7 has hash ${head.hash}, not the ${rewritten} exported earlier: the log was rewritten from there` },
    });
    expect(await ok(asAdmin('GET', `/audit/verify?expectHead=99:${head.hash}`))).toMatchObject({
      ok: false,
      broken: { where: 'expected head', seq: 99, reason: 'the log ends at entry 7, before entry 99 exported earlier: it was truncated' },
    });
  });

  it('sets limits and prices, shown in GET /credits and in the CSM\'s get_credit_balance, each recorded with the admin', async () => {
    const integration = await ok(asAdmin('POST', '/integrations', { name: 'Claude', preset: 'claude' }), 201);
    expect(await ok(asAdmin('PUT', '/credits/limits', { scope: 'user', id: book.ann.email.toUpperCase(), monthlyLimit: 100, reason: 'pilot' }))).toEqual({
      seq: 8,
      scope: 'user',
      id: annId,
      email: book.ann.email,
      monthlyLimit: 100,
      reason: 'pilot',
    });
    expect(await ok(asAdmin('PUT', '/credits/limits', { scope: 'integration', id: integration.client_id, monthlyLimit: 1000 }))).toEqual({
      seq: 9,
      scope: 'integration',
      id: integration.client_id,
      name: 'Claude',
      monthlyLimit: 1000,
      reason: 'monthly limit',
    });
    const prices = { byKind: { read: 2, analysis: 5, write: 2 }, byTool: { get_credit_balance: 0, query_audit_log: 0, get_credit_usage: 0, authorize_connector: 0, get_cta: 4 } };
    expect(await ok(asAdmin('PUT', '/credits/prices', { byKind: { read: 2 }, byTool: { get_cta: 4 } }))).toEqual({ seq: 10, prices });

    expect(await ok(asAdmin('GET', '/credits'))).toEqual({
      limited: true,
      balance: 492,
      granted: 500,
      charged: 8,
      prices,
      month: new Date().toISOString().slice(0, 7),
      userLimits: [{ id: annId, email: book.ann.email, monthlyLimit: 100, used: 8 }],
      integrationLimits: [{ id: integration.client_id, name: 'Claude', monthlyLimit: 1000, used: 0 }],
    });
    expect(await mcp(ann.client, 'get_credit_balance', {})).toMatchObject({
      limited: true,
      balance: 492,
      prices: { by_kind: prices.byKind, by_tool: prices.byTool },
      you: { id: annId, used: 8, monthly_limit: 100 },
      integration: null,
    });
    // The new price applies to the next call.
    await mcp(ann.client, 'get_cta', { cta_id: ctaId });
    expect((await ok(asAdmin('GET', '/credits'))).balance).toBe(488);

    const admin = await ok(asAdmin('GET', '/users'));
    const adminId = (admin.items as Array<{ user_id: string; email: string }>).find((u) => u.email === book.admin.email)!.user_id;
    const changes = await ok(asAdmin('GET', '/audit?type=CreditLimitSet,CreditPricesSet,CreditsGranted'));
    expect((changes.items as any[]).map((i) => ({ seq: i.seq, type: i.type, actor: i.actor }))).toEqual(
      [10, 9, 8, 0].map((seq) => ({
        seq,
        type: seq === 10 ? 'CreditPricesSet' : seq === 0 ? 'CreditsGranted' : 'CreditLimitSet',
        actor: { type: 'user', id: adminId, email: book.admin.email },
      })),
    );
    // A limit removed is gone from the list.
    expect(await ok(asAdmin('PUT', '/credits/limits', { scope: 'integration', id: integration.client_id, monthlyLimit: null, reason: 'no cap' }))).toMatchObject({ monthlyLimit: null });
    expect((await ok(asAdmin('GET', '/credits'))).integrationLimits).toEqual([]);
  });

  it('refuses bad input with the exact error, and records nothing', async () => {
    const head = await ok(asAdmin('GET', '/audit/head'));
    const auditParams = ['user', 'integration', 'tool', 'entity', 'outcome', 'type', 'session', 'since', 'until', 'limit', 'cursor'];
    const cases: Array<[string, string, unknown, number, Record<string, unknown>]> = [
      ['GET', '/audit?actor=ann', undefined, 400, { code: 'UNKNOWN_FIELD', message: `"actor" is not a query parameter of this endpoint; the parameters are ${auditParams.join(', ')}`, details: { field: 'actor', allowed: auditParams } }],
      ['GET', '/audit?tool=get_cta&tool=create_cta', undefined, 400, { code: 'VALIDATION', message: 'tool is given more than once; give it once (several values as one comma-separated list, e.g. tool=a,b)', details: { field: 'tool' } }],
      ['GET', '/audit?outcome=maybe', undefined, 400, { code: 'INVALID_QUERY', message: 'outcome must be one of ok, refused, failed (or a list of them); got "maybe"', details: { field: 'outcome' } }],
      ['GET', '/audit?limit=500', undefined, 400, { code: 'INVALID_QUERY', message: 'limit must be an integer from 1 to 100; got 500. To read more, follow nextCursor page by page', details: { field: 'limit' } }],
      ['GET', '/audit?cursor=not-ours', undefined, 400, {
        code: 'INVALID_CURSOR',
        message: 'cursor is not a cursor of the audit log: pass the nextCursor of the previous page unchanged, or leave it out for the first page',
        details: { field: 'cursor' },
      }],
      ['GET', `/audit?since=${until}&until=${since}`, undefined, 400, { code: 'INVALID_QUERY', message: `since (${until}) must not be after until (${since})`, details: { field: 'since' } }],
      ['GET', '/audit/verify?expectHead=7', undefined, 400, {
        code: 'VALIDATION',
        message: 'expectHead must be "seq:hash" as GET /admin/api/audit/head or csmcp audit head gives it (the entry\'s number, a colon, its hash of 64 hex digits); got "7"',
        details: { field: 'expectHead' },
      }],
      ['GET', '/audit/head?seq=1', undefined, 400, { code: 'UNKNOWN_FIELD', message: '"seq" is not a query parameter of this endpoint; it takes none', details: { field: 'seq', allowed: [] } }],
      ['GET', '/usage?by=team', undefined, 400, { code: 'INVALID_QUERY', message: 'by must be a comma-separated list of user, integration, tool (or none); got "team"', details: { field: 'by' } }],
      ['GET', '/usage?period=year', undefined, 400, { code: 'INVALID_QUERY', message: 'period must be one of day, week, month, total; got "year"', details: { field: 'period' } }],
      ['GET', '/usage?format=xlsx', undefined, 400, { code: 'INVALID_QUERY', message: 'format must be json or csv; got "xlsx"', details: { field: 'format' } }],
      ['POST', '/credits/grants', { amount: 0, reason: 'nothing' }, 400, {
        code: 'INVALID_INPUT',
        message: 'amount must be a whole number of credits, not 0, from -1000000000 to 1000000000 (negative = an adjustment down); got 0',
        details: { field: 'amount' },
      }],
      ['POST', '/credits/grants', { amount: '10', reason: 'text' }, 400, { code: 'VALIDATION', message: 'amount must be a number; got string "10"', details: { field: 'amount' } }],
      ['POST', '/credits/grants', { amount: 10 }, 400, { code: 'INVALID_INPUT', message: 'reason is required: say why in 1 to 500 characters (it is kept in the audit log)', details: { field: 'reason' } }],
      ['POST', '/credits/grants', { amount: 10, reason: 'x', by: 'me' }, 400, { code: 'UNKNOWN_FIELD', message: '"by" is not a field of this request; the fields are amount, reason', details: { field: 'by', allowed: ['amount', 'reason'] } }],
      ['PUT', '/credits/limits', { scope: 'user', id: 'ghost@example.com', monthlyLimit: 5 }, 404, {
        code: 'USER_NOT_FOUND',
        message: 'no user has the email ghost@example.com; GET /admin/api/users lists them',
        details: { field: 'id' },
      }],
      ['PUT', '/credits/limits', { scope: 'integration', id: 'csmcp_int_nope', monthlyLimit: 5 }, 404, {
        code: 'INTEGRATION_NOT_FOUND',
        message: 'no integration has client id csmcp_int_nope; GET /admin/api/integrations lists them',
        details: { field: 'id' },
      }],
      ['PUT', '/credits/limits', { scope: 'team', id: 'x', monthlyLimit: 5 }, 400, { code: 'INVALID_INPUT', message: 'scope must be user or integration; got "team"', details: { field: 'scope' } }],
      ['PUT', '/credits/limits', { scope: 'user', id: book.ann.email, monthlyLimit: 1.5 }, 400, {
        code: 'INVALID_INPUT',
        message: 'monthlyLimit must be a whole number of credits from 0 to 1000000000, or null to remove the limit; got 1.5',
        details: { field: 'monthlyLimit' },
      }],
      ['PUT', '/credits/limits', { scope: 'user', id: book.ann.email }, 400, { code: 'VALIDATION', message: 'monthlyLimit is required: a number or null', details: { field: 'monthlyLimit' } }],
      ['PUT', '/credits/prices', {}, 400, {
        code: 'NOTHING_TO_CHANGE',
        message: 'Nothing to change: give byKind (read, analysis, write) and/or byTool (a tool name to credits, or null)',
        details: { field: null, allowed: ['byKind', 'byTool'] },
      }],
      ['PUT', '/credits/prices', { byKind: { read: -1 } }, 400, { code: 'INVALID_INPUT', message: 'byKind.read must be a whole number of credits from 0 to 1000000; got -1', details: { field: 'byKind.read' } }],
      ['PUT', '/credits/prices', { byKind: { search: 1 } }, 400, { code: 'INVALID_INPUT', message: 'byKind.search is not a kind of tool; the kinds are read, analysis, write', details: { field: 'byKind.search' } }],
    ];
    for (const [method, path, body, status, error] of cases)
      expect({ request: `${method} ${path} ${JSON.stringify(body) ?? ''}`, ...(await refusal(asAdmin(method, path, body))) }).toEqual({
        request: `${method} ${path} ${JSON.stringify(body) ?? ''}`,
        status,
        error,
      });
    const unknownTool = await refusal(asAdmin('PUT', '/credits/prices', { byTool: { delete_company: 1 } }));
    expect(unknownTool).toMatchObject({ status: 400, error: { code: 'INVALID_INPUT', details: { field: 'byTool.delete_company' } } });
    expect(unknownTool.error.message).toMatch(/^byTool\.delete_company is not a csmcp tool nor a connector price \(connector:NAME\/TOOL, connector:NAME, connector:\*\); the tools are search_companies, get_company, .*, get_credit_usage$/);
    expect(await ok(asAdmin('GET', '/audit/head'))).toEqual(head);
  });

  it('lists the new endpoints in the 404 of an unknown one', async () => {
    const res = await refusal(asAdmin('GET', '/audits'));
    expect(res.status).toBe(404);
    expect(res.error.details.endpoints).toEqual(
      expect.arrayContaining([
        'GET /admin/api/audit',
        'GET /admin/api/audit/{seq}',
        'GET /admin/api/usage',
        'GET /admin/api/credits',
        'POST /admin/api/credits/grants',
        'PUT /admin/api/credits/limits',
        'PUT /admin/api/credits/prices',
        'POST /admin/api/audit/{seq}/revert',
        'POST /admin/api/sessions/{session_id}/revert',
        'GET /admin/api/tools',
        'GET /admin/api/me',
      ]),
    );
  });

  it('says who is signed in (GET /me): the admin of the token, its scopes and expiry', async () => {
    const me = await ok(asAdmin('GET', '/me'));
    const users = await ok(asAdmin('GET', '/users'));
    const adminId = (users.items as Array<{ user_id: string; email: string }>).find((u) => u.email === book.admin.email)!.user_id;
    expect(me).toEqual({
      user_id: adminId,
      email: book.admin.email,
      name: book.admin.name,
      role: 'admin',
      scopes: ['cs:read', 'admin'],
      token: { kind: 'personal_access_token', integration_id: null, integration_name: null, expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    });
    // Issued for an hour a few minutes ago.
    const left = Date.parse(me.token.expires_at) - Date.now();
    expect(left > 0 && left <= 3_600_000).toBe(true);
    expect(await refusal(api(book.ann.token, 'GET', '/me'))).toMatchObject({ status: 403, error: { code: 'forbidden' } });
    expect(await refusal(asAdmin('GET', '/me?user=x'))).toMatchObject({ status: 400, error: { code: 'UNKNOWN_FIELD', details: { field: 'user' } } });
  });

  it('lists the MCP tools with their kind, scope and price now (GET /tools)', async () => {
    const tools = await ok(asAdmin('GET', '/tools'));
    expect(tools.next_cursor).toBeNull();
    expect(tools.items.map((t: { name: string }) => t.name)).toEqual(CS_TOOLS.map((t) => t.name));
    const byName = new Map((tools.items as Array<Record<string, unknown>>).map((t) => [t.name, t]));
    // The prices set above: a read 2, get_cta 4 of its own; the defaults otherwise.
    expect(byName.get('get_company')).toEqual({ name: 'get_company', title: expect.any(String), kind: 'read', scope: 'cs:read', read_only: true, price: 2, price_from: 'kind' });
    expect(byName.get('get_cta')).toMatchObject({ kind: 'read', price: 4, price_from: 'tool' });
    expect(byName.get('create_cta')).toMatchObject({ kind: 'write', scope: 'cs:write', read_only: false, price: 2, price_from: 'kind' });
    expect(byName.get('analyze_accounts')).toMatchObject({ kind: 'analysis', price: 5 });
    expect(byName.get('get_credit_balance')).toMatchObject({ price: 0, price_from: 'tool' });
    expect(byName.get('query_audit_log')).toMatchObject({ scope: 'admin', price: 0 });
    // A list like the others: pages with limit and cursor.
    const first = await ok(asAdmin('GET', '/tools?limit=15'));
    const rest = await ok(asAdmin('GET', `/tools?limit=15&cursor=${first.next_cursor}`));
    expect([...first.items, ...rest.items]).toEqual(tools.items);
    expect(rest.next_cursor).toBeNull();
  });

  describe('reverting LLM writes', () => {
    let session: Awaited<ReturnType<typeof connectStreamable>>;
    let renamedId: string;
    let updateSeq: number;
    let firstRevertSeq: number;
    const seqOf = async (tool: string, sessionId: string) =>
      ((await ok(asAdmin('GET', `/audit?tool=${tool}&session=${encodeURIComponent(sessionId)}&limit=1`))).items[0] as { seq: number }).seq;

    beforeAll(async () => {
      session = await connectStreamable(`${server.url}/mcp`, book.ann.token);
    });
    afterAll(async () => session?.close());

    it('puts one write back (the record restored, the revert recorded as the admin) and refuses a second revert, naming the first', async () => {
      const created = await mcp(session.client, 'create_cta', { company_id: book.annCompanies[1], name: 'Champion left', type: 'Risk', priority: 'High' });
      renamedId = created.entity_id;
      await mcp(session.client, 'update_cta', { cta_id: renamedId, name: 'Champion left (confirmed)', priority: 'Low' });
      updateSeq = await seqOf('update_cta', session.transport.sessionId!);

      const outcome = await ok(asAdmin('POST', `/audit/${updateSeq}/revert`, { reason: '  the LLM misread the call notes ' }));
      expect(outcome).toEqual({
        seqs: [updateSeq],
        stream: `cta-${renamedId}`,
        reverted: true,
        revertSeq: expect.any(Number),
        changes: expect.arrayContaining([
          { field: 'name', from: 'Champion left (confirmed)', to: 'Champion left' },
          { field: 'priority', from: 'Low', to: 'High' },
        ]),
      });
      expect(outcome.changes).toHaveLength(2);
      firstRevertSeq = outcome.revertSeq;
      await untilCaughtUp(server.url);
      expect(await mcp(ann.client, 'get_cta', { cta_id: renamedId })).toMatchObject({ name: 'Champion left', priority: 'High' });

      const me = await ok(asAdmin('GET', '/me'));
      expect(await ok(asAdmin('GET', `/audit/${firstRevertSeq}`))).toMatchObject({
        seq: firstRevertSeq,
        type: 'WriteReverted',
        actor: { type: 'user', id: me.user_id, email: book.admin.email },
        entry: { by: { type: 'user', id: me.user_id, email: book.admin.email }, revertedSeqs: [updateSeq], reason: 'the LLM misread the call notes', changes: outcome.changes },
      });

      const again = await refusal(asAdmin('POST', `/audit/${updateSeq}/revert`, { reason: 'once more' }));
      expect(again).toEqual({ status: 409, error: { code: 'REVERT_REFUSED', message: expect.any(String) } });
      expect(again.error.message).toMatch(
        new RegExp(`^Entry ${updateSeq} \\(update_cta\\) was not reverted: it was reverted already, by audit entry ${firstRevertSeq} \\(${book.admin.email.replace(/\./g, '\\.')} at \\d{4}-[^ ]+: "the LLM misread the call notes"\\)$`),
      );
    });

    it("reverts a whole MCP session record by record: what nobody changed since is put back, the rest refused with its reason", async () => {
      const other = await connectStreamable(`${server.url}/mcp`, book.ann.token);
      try {
        const sessionId = other.transport.sessionId!;
        // In this session: the first CTA's priority, the renamed one's name, and a new CTA.
        await mcp(other.client, 'update_cta', { cta_id: ctaId, priority: 'Medium' });
        await mcp(other.client, 'update_cta', { cta_id: renamedId, name: 'Champion left (session)' });
        const created = await mcp(other.client, 'create_cta', { company_id: book.annCompanies[0], name: 'Made up risk', type: 'Risk' });
        // Someone (ann in her first session) changes the first CTA afterwards: that record's revert is refused.
        await mcp(ann.client, 'update_cta', { cta_id: ctaId, name: 'Usage dropped (ann)' });
        const head = await ok(asAdmin('GET', '/audit/head'));

        const answer = await ok(asAdmin('POST', `/sessions/${encodeURIComponent(sessionId)}/revert`, { reason: 'the session went wrong' }));
        expect(answer).toEqual({
          sessionId,
          reverted: 2,
          refused: 1,
          outcomes: [
            {
              seqs: [expect.any(Number)],
              stream: `cta-${ctaId}`,
              reverted: false,
              reason: expect.stringMatching(new RegExp(`^the CTA was changed since: CtaUpdated by ${book.ann.email.replace(/\./g, '\\.')} \\(update_cta\\) at \\d{4}-`)),
            },
            { seqs: [expect.any(Number)], stream: `cta-${renamedId}`, reverted: true, revertSeq: head.seq + 1, changes: [{ field: 'name', from: 'Champion left (session)', to: 'Champion left' }] },
            {
              seqs: [expect.any(Number)],
              stream: `cta-${created.entity_id}`,
              reverted: true,
              revertSeq: head.seq + 2,
              changes: expect.arrayContaining([{ field: 'status', from: 'New', to: 'ClosedInvalid' }]),
            },
          ],
        });
        // Only the two reverts were recorded.
        expect(await ok(asAdmin('GET', '/audit/head'))).toMatchObject({ seq: head.seq + 2 });
        await untilCaughtUp(server.url);
        expect(await mcp(ann.client, 'get_cta', { cta_id: renamedId })).toMatchObject({ name: 'Champion left' });
        expect(await mcp(ann.client, 'get_cta', { cta_id: created.entity_id })).toMatchObject({ status: 'ClosedInvalid' });
        expect(await mcp(ann.client, 'get_cta', { cta_id: ctaId })).toMatchObject({ name: 'Usage dropped (ann)', priority: 'Medium' });
        expect(await ok(asAdmin('GET', '/audit/verify'))).toMatchObject({ ok: true });
      } finally {
        await other.close();
      }
    });

    it('refuses what cannot be reverted, and bad requests, with the exact error; records nothing', async () => {
      const head = await ok(asAdmin('GET', '/audit/head'));
      const reason = { reason: 'x' };
      const cases: Array<[string, unknown, number, Record<string, unknown>]> = [
        ['/audit/1/revert', reason, 409, { code: 'REVERT_REFUSED', message: 'Entry 1 is a get_company call, which changed nothing: only writes can be reverted' }],
        ['/audit/4/revert', reason, 409, { code: 'REVERT_REFUSED', message: 'Entry 4 is a refused create_cta: it wrote nothing to revert' }],
        ['/audit/0/revert', reason, 409, { code: 'REVERT_REFUSED', message: 'Entry 0 is a CreditsGranted, not a tool call: only writes can be reverted' }],
        ['/audit/99999/revert', reason, 404, { code: 'NOT_FOUND', message: `There is no audit entry 99999; the audit log holds entries 0 to ${head.seq}`, details: { field: 'seq' } }],
        ['/audit/three/revert', reason, 400, { code: 'INVALID_QUERY', message: 'seq must be an audit entry\'s number: a whole number from 0; got "three"', details: { field: 'seq' } }],
        ['/audit/3/revert', {}, 400, { code: 'INVALID_INPUT', message: 'reason is required: say why in 1 to 500 characters (it is kept in the audit log)', details: { field: 'reason' } }],
        ['/audit/3/revert', { reason: '   ' }, 400, { code: 'INVALID_INPUT', message: 'reason is required: say why in 1 to 500 characters (it is kept in the audit log)', details: { field: 'reason' } }],
        ['/audit/3/revert', { reason: 7 }, 400, { code: 'VALIDATION', message: 'reason must be a string; got number 7', details: { field: 'reason' } }],
        ['/audit/3/revert', { reason: 'x', by: 'someone' }, 400, { code: 'UNKNOWN_FIELD', message: '"by" is not a field of this request; the fields are reason', details: { field: 'by', allowed: ['reason'] } }],
        ['/sessions/no-such-session/revert', reason, 404, {
          code: 'NOT_FOUND',
          message: 'No audit entry names the MCP session "no-such-session"; an entry\'s session is in GET /admin/api/audit/{seq} (sessionId)',
          details: { field: 'sessionId' },
        }],
      ];
      for (const [path, body, status, error] of cases)
        expect({ request: `POST ${path} ${JSON.stringify(body)}`, ...(await refusal(asAdmin('POST', path, body))) }).toEqual({ request: `POST ${path} ${JSON.stringify(body)}`, status, error });
      // A CSM cannot revert, not even their own writes.
      expect(await refusal(api(book.ann.token, 'POST', `/audit/${updateSeq}/revert`, reason))).toMatchObject({ status: 403, error: { code: 'forbidden' } });
      expect(await refusal(api(book.ann.token, 'POST', `/sessions/${encodeURIComponent(ann.transport.sessionId!)}/revert`, reason))).toMatchObject({ status: 403, error: { code: 'forbidden' } });
      expect(await ok(asAdmin('GET', '/audit/head'))).toEqual(head);
    });
  });
});
