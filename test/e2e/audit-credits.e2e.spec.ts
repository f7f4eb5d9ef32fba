import Database from 'better-sqlite3';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { runCli, startServerProcess, type CliResult, type ServerProcess } from '../support/cli';
import { callTool, connectStreamable, rawPost, rawSession, sseReader, toolCallMessage, toolError, type ConnectedClient } from '../support/mcp-clients';
import { DATABASE_URL, postgresStore, seedBook, sqliteStore, untilCaughtUp, type McpBook, type McpStore } from '../support/mcp-stack';
import { discoverAuthorizationServer, signInThrough, type AuthorizationServerOf, type Connector } from '../support/oauth-sign-in';

/**
 * Issue 6, "done when", against a real `csmcp serve`: two CSMs sign in through two connectors
 * (ann through a Claude integration, bob through a ChatGPT one: authorization code + PKCE, csmcp's
 * sign-in and consent pages) and make reads, an analysis, writes, refused writes, a validation
 * failure, idempotent retries and a dropped-and-resumed response stream. Then the audit log (`csmcp
 * audit --json`, and query_audit_log as an admin) must hold exactly those calls, in order, each
 * attributed to its user and integration, with its outcome, code and charge; the usage report and
 * the balance must reconcile with them; a balance that runs out refuses calls until a grant; the
 * chain verifies, and a hand edit of a stored audit event, of a read-model row, or a truncated tail
 * (with the head exported before) makes `csmcp audit verify` fail naming that entry.
 */
const PASSWORD = 'a long passphrase for the audit test';
/** ChatGPT shows this callback once it has the client id; the admin adds it (README: Connecting ChatGPT). */
const CHATGPT_CALLBACK = 'https://chatgpt.com/connector_platform_oauth_redirect';
const CLAUDE_CALLBACK = 'https://claude.ai/api/mcp/auth_callback';
const GRANT = 1_000;
/** What a call costs by default: a read 1, an analysis 5, a write 2; the balance and admin tools 0. */
const PRICE: Record<string, number> = {
  get_company: 1,
  list_ctas: 1,
  analyze_accounts: 5,
  create_cta: 2,
  update_cta: 2,
  create_timeline_activity: 2,
  get_credit_balance: 0,
  query_audit_log: 0,
  get_credit_usage: 0,
};
const KIND: Record<string, string> = { analyze_accounts: 'analysis', create_cta: 'write', update_cta: 'write', create_timeline_activity: 'write' };
const kindOf = (tool: string) => KIND[tool] ?? 'read';

type Json = Record<string, any>;

// Every step runs the CLI (a process each) several times.
jest.setTimeout(240_000);

interface Integration {
  readonly id: string;
  readonly name: string;
}

/** Someone making MCP calls through one session: who, through what. */
interface Caller {
  readonly label: string;
  readonly userId: string;
  readonly email: string;
  readonly integration: Integration | null;
  readonly accessContext: 'personal' | 'shared';
  /** The access token its MCP client sends. */
  readonly token: string;
  readonly mcp: ConnectedClient & { transport: StreamableHTTPClientTransport };
}

/** One tool call as the audit log must show it (the body of its ToolCallRecorded entry, less time, duration and request id). */
interface ExpectedCall {
  readonly kind: 'call';
  readonly caller: string;
  readonly body: Json;
}
interface ExpectedGrant {
  readonly kind: 'grant';
  readonly amount: number;
  readonly reason: string;
}
type Expected = ExpectedCall | ExpectedGrant;

/** SQL on the store's own tables, as an operator with database access could run it (the server stopped). */
interface RawStore {
  /** The event store's table of events. */
  readonly eventsTable: string;
  events<T>(sql: string, params?: unknown[]): Promise<T[]>;
  readModels<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

function rawStoreOf(store: McpStore): RawStore {
  if (store.kind === 'sqlite') {
    const run = <T>(file: string, sql: string, params: unknown[] = []): T[] => {
      const db = new Database(join(store.env.DATA_DIR!, file), { fileMustExist: true });
      try {
        const statement = db.prepare(sql);
        return statement.reader ? (statement.all(...params) as T[]) : (statement.run(...params), []);
      } finally {
        db.close();
      }
    };
    return { eventsTable: 'events', events: async (sql, params) => run('events.db', sql, params), readModels: async (sql, params) => run('read-models.db', sql, params) };
  }
  const run = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
    const client = new PgClient({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      await client.query(`SET search_path TO "${store.env.DATABASE_SCHEMA}"`);
      let n = 0;
      return (await client.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows as T[];
    } finally {
      await client.end();
    }
  };
  return { eventsTable: 'es_events', events: run, readModels: run };
}

describe.each(['sqlite', 'postgres'] as const)('audit trail and credits end to end (%s)', (kind) => {
  let store: McpStore;
  let raw: RawStore;
  let server: ServerProcess;
  let book: McpBook;
  let authorizationServer: AuthorizationServerOf;
  let claude: Connector & Integration;
  let chatgpt: Connector & Integration;
  const ids: Record<'admin' | 'ann' | 'bob', string> = { admin: '', ann: '', bob: '' };
  let adminToken: string;
  let ann: Caller;
  let bob: Caller;
  let admin: Caller;
  /** Everything the audit log must hold, in order, from its first entry. */
  const expected: Expected[] = [];
  const startedAt = new Date().toISOString();

  const cli = (args: string[], input?: string) => store.cli(args, input);
  const cliJson = async <T = Json>(args: string[]): Promise<T> => JSON.parse(await cli([...args, '--json'])) as T;
  /** The CLI whatever its exit code. */
  const cliRun = (args: string[]): Promise<CliResult> => runCli(args, store.env);

  beforeAll(async () => {
    store = kind === 'sqlite' ? sqliteStore() : postgresStore('audit_e2e');
    raw = rawStoreOf(store);
    book = await seedBook(store, 20);
    for (const [who, email] of [['ann', book.ann.email], ['bob', book.bob.email]] as const)
      ids[who] = (JSON.parse(await cli(['users', 'set-password', '--email', email, '--password-stdin', '--json'], `${PASSWORD}\n`)) as Array<{ user_id: string }>)[0].user_id;
    const users = await cliJson<Array<{ user_id: string; email: string }>>(['users', 'list']);
    ids.admin = users.find((u) => u.email === book.admin.email)!.user_id;

    const add = async (name: string, preset: string) => cliJson<{ client_id: string; client_secret: string; redirect_uris: string[] }>(['integrations', 'add', '--name', name, '--preset', preset]);
    const claudeAdded = await add('Claude', 'claude');
    expect(claudeAdded.redirect_uris).toContain(CLAUDE_CALLBACK);
    claude = { id: claudeAdded.client_id, name: 'Claude', clientId: claudeAdded.client_id, clientSecret: claudeAdded.client_secret, redirectUri: CLAUDE_CALLBACK, auth: 'client_secret_post' };
    const chatgptAdded = await add('ChatGPT', 'chatgpt');
    expect(chatgptAdded.redirect_uris).toEqual([]);
    await cli(['integrations', 'update', chatgptAdded.client_id, '--add-redirect-uri', CHATGPT_CALLBACK]);
    chatgpt = { id: chatgptAdded.client_id, name: 'ChatGPT', clientId: chatgptAdded.client_id, clientSecret: chatgptAdded.client_secret, redirectUri: CHATGPT_CALLBACK, auth: 'client_secret_basic' };

    adminToken = (await cliJson<{ token: string }>(['tokens', 'issue', '--user', book.admin.email, '--scopes', 'cs:read admin', '--ttl', '1h'])).token;
    const [grant] = await cliJson<Array<{ seq: number; balance: number }>>(['credits', 'grant', '--amount', String(GRANT), '--reason', 'opening balance', '--as', book.admin.email]);
    // Registering users, seeding, integrations and tokens are no MCP calls: the grant is the log's first entry.
    expect(grant).toMatchObject({ seq: 0, balance: GRANT });
    expected.push({ kind: 'grant', amount: GRANT, reason: 'opening balance' });

    server = await startServerProcess(store.env);
    await untilCaughtUp(server.url);
    authorizationServer = await discoverAuthorizationServer(server.url);
  }, 300_000);

  afterAll(async () => {
    for (const caller of [ann, bob, admin]) await caller?.mcp.close().catch(() => undefined);
    await server?.stop();
    await store?.dispose();
  });

  const url = () => `${server.url}/mcp`;

  /**
   * Makes a call as `caller`, checks its answer, and notes what its audit entry must say. For an ok
   * call `result` gives what only the answer knows (the record a create made, the events it wrote).
   */
  async function use(
    caller: Caller,
    tool: string,
    args: Json,
    outcome: { ok: true; subject: Json | null; replayed?: boolean; changes?: Json[] } | { ok: false; outcome?: 'refused' | 'failed'; code: string; subject: Json | null },
  ): Promise<{ result: CallToolResult; structured: Json }> {
    const result = await callTool(caller.mcp.client, tool, args);
    let body: Json;
    if (outcome.ok) {
      expect(result.isError).toBeFalsy();
      const structured = result.structuredContent as Json;
      const write = kindOf(tool) === 'write';
      const replayed = outcome.replayed ?? false;
      if (write) expect(structured.replayed).toBe(replayed);
      body = {
        ...base(caller, tool, args),
        outcome: 'ok',
        code: null,
        message: null,
        credits: replayed ? 0 : PRICE[tool],
        subject: outcome.subject,
        events: write ? await writtenEvents(structured.events as Array<{ id: string; type: string }>) : [],
        // A replay answers the first result's changes but records none: it changed nothing.
        changes: replayed ? [] : (outcome.changes ?? []),
        replayed,
      };
    } else {
      const error = toolError(result);
      expect(error.code).toBe(outcome.code);
      body = { ...base(caller, tool, args), outcome: outcome.outcome ?? 'refused', code: outcome.code, message: error.message, credits: 0, subject: outcome.subject, events: [], changes: [], replayed: false };
    }
    expected.push({ kind: 'call', caller: caller.label, body });
    return { result, structured: (result.structuredContent ?? {}) as Json };
  }

  function base(caller: Caller, tool: string, args: Json): Json {
    return {
      actor: { type: 'user', id: caller.userId, email: caller.email },
      integrationId: caller.integration?.id ?? null,
      integrationName: caller.integration?.name ?? null,
      accessContext: caller.accessContext,
      sessionId: caller.mcp.transport.sessionId ?? null,
      tool,
      kind: kindOf(tool),
      args,
      companyId: typeof args.company_id === 'string' ? args.company_id : null,
    };
  }

  /** The events a write answered, with the streams the event store holds them in. */
  async function writtenEvents(events: Array<{ id: string; type: string }>): Promise<Json[]> {
    const written: Json[] = [];
    for (const e of events) {
      const rows = await raw.events<{ stream_name: string; type: string }>(`SELECT stream_name, type FROM ${raw.eventsTable} WHERE CAST(event_id AS TEXT) = ?`, [e.id]);
      expect(rows).toEqual([{ stream_name: expect.any(String), type: e.type }]);
      written.push({ stream: rows[0].stream_name, id: e.id, type: e.type });
    }
    return written;
  }

  /** `csmcp audit --json`, every page, oldest first. */
  async function auditLog(): Promise<Json[]> {
    const items: Json[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Json[]; nextCursor: string | null } = await cliJson(['audit', '--limit', '100', ...(cursor ? ['--cursor', cursor] : [])]);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items.reverse();
  }

  /** Compares the log with `expected`, entry by entry; returns the entries. */
  async function expectLogToBeExactlyWhatHappened(): Promise<Json[]> {
    const items = await auditLog();
    expect(items.map((i) => i.seq)).toEqual(expected.map((_, seq) => seq));
    const shown = items.map((item) => {
      if (item.type === 'CreditsGranted') return { kind: 'grant', amount: item.entry.amount, reason: item.entry.reason, by: item.entry.by };
      const { at, durationMs, requestId, sourceIp, ...body } = item.entry as Json;
      expect(item.actor).toEqual(body.actor);
      expect(at >= startedAt && at <= new Date().toISOString()).toBe(true);
      expect(item.at).toBe(at);
      expect(durationMs).toBeGreaterThanOrEqual(0);
      expect(requestId).toEqual(expect.any(String));
      expect(sourceIp).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
      return { kind: 'call', body };
    });
    expect(shown).toEqual(
      expected.map((e) =>
        e.kind === 'grant'
          ? { kind: 'grant', amount: e.amount, reason: e.reason, by: { type: 'user', id: ids.admin, email: book.admin.email } }
          : { kind: 'call', body: e.body },
      ),
    );
    // In the order they happened.
    const times = items.map((i) => i.at as string);
    expect([...times].sort()).toEqual(times);
    return items;
  }

  const calls = () => expected.filter((e): e is ExpectedCall => e.kind === 'call');
  const charged = () => calls().reduce((n, c) => n + (c.body.credits as number), 0);
  const granted = () => expected.reduce((n, e) => n + (e.kind === 'grant' ? e.amount : 0), 0);
  const chargedBy = (filter: (c: ExpectedCall) => boolean) => calls().filter(filter).reduce((n, c) => n + (c.body.credits as number), 0);

  /** The usage report's rows (period total) grouped by these dimensions, as the expected calls add up. */
  function expectedUsage(dimensions: ReadonlyArray<'user' | 'integration' | 'tool'>): Json[] {
    const rows = new Map<string, Json>();
    for (const { body } of calls()) {
      const key = JSON.stringify(dimensions.map((d) => (d === 'user' ? body.actor.id : d === 'integration' ? body.integrationId : body.tool)));
      const row = rows.get(key) ?? {
        period: null,
        ...(dimensions.includes('user') ? { user: { id: body.actor.id, email: body.actor.email } } : {}),
        ...(dimensions.includes('integration') ? { integration: { id: body.integrationId, name: body.integrationName } } : {}),
        ...(dimensions.includes('tool') ? { tool: body.tool } : {}),
        calls: 0,
        chargedCalls: 0,
        refusedCalls: 0,
        failedCalls: 0,
        credits: 0,
      };
      row.calls += 1;
      row.chargedCalls += body.credits > 0 ? 1 : 0;
      row.refusedCalls += body.outcome === 'refused' ? 1 : 0;
      row.failedCalls += body.outcome === 'failed' ? 1 : 0;
      row.credits += body.credits;
      rows.set(key, row);
    }
    return [...rows.values()];
  }
  /** Rows in a fixed order (the report orders by credits, then calls: ties are in no particular order). */
  const sorted = (rows: Json[]) => [...rows].sort((a, b) => `${a.user?.id}|${a.integration?.id}|${a.tool}`.localeCompare(`${b.user?.id}|${b.integration?.id}|${b.tool}`));
  const yesterday = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

  it('signs ann in through the Claude integration and bob through the ChatGPT one (authorization code + PKCE)', async () => {
    const annIn = await signInThrough(authorizationServer, claude, { email: book.ann.email, password: PASSWORD });
    expect(annIn.consentPage).toContain('Claude');
    expect(annIn.consentPage).toContain('claude.ai');
    expect(annIn.tokens.scope).toBe('cs:read cs:write');
    const bobIn = await signInThrough(authorizationServer, chatgpt, { email: book.bob.email, password: PASSWORD });
    expect(bobIn.consentPage).toContain('ChatGPT');
    expect(bobIn.consentPage).toContain('chatgpt.com');

    ann = { label: 'ann', userId: ids.ann, email: book.ann.email, integration: claude, accessContext: 'personal', token: annIn.tokens.access_token, mcp: await connectStreamable(url(), annIn.tokens.access_token) };
    bob = { label: 'bob', userId: ids.bob, email: book.bob.email, integration: chatgpt, accessContext: 'personal', token: bobIn.tokens.access_token, mcp: await connectStreamable(url(), bobIn.tokens.access_token) };
    admin = { label: 'admin', userId: ids.admin, email: book.admin.email, integration: null, accessContext: 'personal', token: adminToken, mcp: await connectStreamable(url(), adminToken) };
    expect(ann.mcp.transport.sessionId).toEqual(expect.any(String));
    expect(bob.mcp.transport.sessionId).not.toBe(ann.mcp.transport.sessionId);
  });

  let annCta: string;
  let bobCta: string;

  it('makes reads, an analysis, writes, refused writes, validation failures and retries through both', async () => {
    const [a0] = book.annCompanies;
    const [b0, b1] = book.bobCompanies;
    const company = (id: string) => ({ type: 'company', id });

    await use(ann, 'get_company', { company_id: a0 }, { ok: true, subject: company(a0) });
    await use(bob, 'get_company', { company_id: b0 }, { ok: true, subject: company(b0) });
    await use(ann, 'list_ctas', { company_id: a0, limit: 5 }, { ok: true, subject: company(a0) });
    await use(bob, 'list_ctas', { company_id: b0, limit: 5 }, { ok: true, subject: company(b0) });
    await use(ann, 'analyze_accounts', { entity: 'ctas', group_by: ['type'], metrics: [{ fn: 'count', as: 'n' }] }, { ok: true, subject: null });

    // Writes: each names the record it made and the events it wrote; an update its changes.
    const annCreate = { company_id: a0, name: 'E2E audit: renewal at risk (ann)', type: 'Risk', priority: 'Low', idempotency_key: 'ann-create-1' };
    const created = await writeOk(ann, 'create_cta', annCreate);
    annCta = created.entity_id;
    const bobCreate = { company_id: b0, name: 'E2E audit: expansion (bob)', type: 'Expansion', idempotency_key: 'bob-create-1' };
    bobCta = (await writeOk(bob, 'create_cta', bobCreate)).entity_id;
    const annUpdate = { cta_id: annCta, priority: 'High', status: 'WorkInProgress', idempotency_key: 'ann-update-1' };
    const updated = await use(ann, 'update_cta', annUpdate, {
      ok: true,
      subject: { type: 'cta', id: annCta },
      changes: [
        { field: 'priority', from: 'Low', to: 'High' },
        { field: 'status', from: 'New', to: 'WorkInProgress' },
      ],
    });
    expect(updated.structured.changes).toEqual([
      { field: 'priority', from: 'Low', to: 'High' },
      { field: 'status', from: 'New', to: 'WorkInProgress' },
    ]);
    const bobUpdate = { cta_id: bobCta, priority: 'High', idempotency_key: 'bob-update-1' };
    await use(bob, 'update_cta', bobUpdate, { ok: true, subject: { type: 'cta', id: bobCta }, changes: [{ field: 'priority', from: 'Medium', to: 'High' }] });

    // Retries with the same idempotency key: the first result, nothing written, nothing charged.
    const retried = await use(ann, 'create_cta', annCreate, { ok: true, subject: { type: 'cta', id: annCta }, replayed: true });
    expect(retried.structured).toMatchObject({ entity_id: annCta, events: created.events, replayed: true });
    await use(bob, 'update_cta', bobUpdate, { ok: true, subject: { type: 'cta', id: bobCta }, replayed: true });
    expect(await store.events.count('CtaCreated', 'name', annCreate.name)).toBe(1);
    expect(await store.events.count('CtaUpdated', 'ctaId', bobCta)).toBe(1);
    // The same key with other arguments is refused.
    await use(bob, 'update_cta', { ...bobUpdate, priority: 'Low' }, { ok: false, code: 'IDEMPOTENCY_KEY_REUSED', subject: { type: 'cta', id: bobCta } });

    // Refused by the write policy: another owner's company under personal access; a timeline activity on a scorecard.
    const notMine = { company_id: b0, name: 'E2E audit: not mine (ann)', type: 'Risk' };
    await use(ann, 'create_cta', notMine, { ok: false, code: 'COMPANY_NOT_VISIBLE', subject: company(b0) });
    expect(await store.events.count('CtaCreated', 'name', notMine.name)).toBe(0);
    const onScorecard = { company_id: b0, context_kind: 'scorecard', context_id: b0, type: 'Update', subject: 'E2E audit: scorecard note (bob)' };
    await use(bob, 'create_timeline_activity', onScorecard, { ok: false, code: 'NO_TIMELINE_ON_SCORECARD', subject: company(b0) });
    expect(await store.events.count('TimelineActivityCreated', 'subject', onScorecard.subject)).toBe(0);

    // Validation failures.
    const badType = { company_id: a0, name: 'E2E audit: bad type (ann)', type: 'Bogus' };
    await use(ann, 'create_cta', badType, { ok: false, code: 'VALIDATION', subject: company(a0) });
    await use(bob, 'update_cta', { cta_id: bobCta, due_date: 'next tuesday' }, { ok: false, code: 'VALIDATION', subject: { type: 'cta', id: bobCta } });

    // A response stream dropped before its answer and resumed with Last-Event-ID: one call, charged once.
    await resumedWrite(bob, { company_id: b1, name: 'E2E audit: resumed stream (bob)', type: 'Risk' });

    // The balance tool is free, and sees what each user and integration spent so far.
    const annBalance = await use(ann, 'get_credit_balance', {}, { ok: true, subject: null });
    expect(annBalance.structured).toMatchObject({
      limited: true,
      balance: GRANT - charged(),
      granted: GRANT,
      charged: charged(),
      you: { id: ids.ann, used: chargedBy((c) => c.caller === 'ann') },
      integration: { id: claude.id, used: chargedBy((c) => c.body.integrationId === claude.id) },
    });
    const bobBalance = await use(bob, 'get_credit_balance', {}, { ok: true, subject: null });
    expect(bobBalance.structured).toMatchObject({
      balance: GRANT - charged(),
      you: { id: ids.bob, used: chargedBy((c) => c.caller === 'bob') },
      integration: { id: chatgpt.id, used: chargedBy((c) => c.body.integrationId === chatgpt.id) },
    });
    // 4 reads (4), an analysis (5), 2 creates and 2 updates (8), the resumed create (2); nothing else.
    expect(charged()).toBe(19);
  });

  async function writeOk(caller: Caller, tool: string, args: Json): Promise<Json> {
    // The subject is the record made: known from the answer, so call first and fill it in.
    const before = expected.length;
    const { structured } = await use(caller, tool, args, { ok: true, subject: null });
    const entry = expected[before] as ExpectedCall;
    (entry.body as Json).subject = { type: structured.entity_type, id: structured.entity_id };
    return structured;
  }

  /** create_cta on a raw session whose POST stream is dropped after the priming event, the answer fetched with Last-Event-ID. */
  async function resumedWrite(caller: Caller, args: Json): Promise<void> {
    const token = caller.token;
    const headers = await rawSession(url(), token);
    const abort = new AbortController();
    const response = await rawPost(url(), token, toolCallMessage('create_cta', args, 'resume-1'), headers, abort.signal);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const stream = sseReader(response);
    const priming = await stream.next();
    expect(priming).toMatchObject({ id: expect.stringMatching(/:\d+$/), data: '' });
    abort.abort();
    await stream.cancel();
    let resumed: Response;
    // Until the server has seen the drop (409 while the stream is still live).
    for (let attempt = 0; ; attempt++) {
      resumed = await fetch(url(), { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers, 'last-event-id': priming!.id! } });
      if (resumed.status !== 409 || attempt === 50) break;
      await resumed.text();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(resumed.status).toBe(200);
    const replay = sseReader(resumed);
    const answer = await replay.nextMessage();
    await replay.cancel();
    const structured = (answer!.message as Json).result.structuredContent as Json;
    expect(structured).toMatchObject({ entity_type: 'cta', replayed: false });
    expect(await store.events.count('CtaCreated', 'name', args.name)).toBe(1);
    expected.push({
      kind: 'call',
      caller: caller.label,
      body: {
        ...base(caller, 'create_cta', args),
        sessionId: headers['mcp-session-id'],
        outcome: 'ok',
        code: null,
        message: null,
        credits: PRICE.create_cta,
        subject: { type: 'cta', id: structured.entity_id },
        events: await writtenEvents(structured.events),
        changes: [],
        replayed: false,
      },
    });
  }

  it('csmcp audit --json shows exactly those calls, in order, attributed to the user and the integration, each charged once', async () => {
    const items = await expectLogToBeExactlyWhatHappened();
    // Spelled out for the two that matter most: a write and an update's changes.
    const annWrites = items.filter((i) => i.entry.actor?.id === ids.ann && i.entry.tool === 'update_cta');
    expect(annWrites).toHaveLength(1);
    expect(annWrites[0].entry).toMatchObject({
      integrationId: claude.id,
      integrationName: 'Claude',
      outcome: 'ok',
      credits: 2,
      events: [{ stream: `cta-${annCta}`, type: 'CtaUpdated' }],
      changes: [
        { field: 'priority', from: 'Low', to: 'High' },
        { field: 'status', from: 'New', to: 'WorkInProgress' },
      ],
    });
    // The filters of csmcp audit.
    const seqs = async (args: string[]) => ((await cliJson<{ items: Json[] }>(['audit', '--limit', '100', ...args])).items.map((i) => i.seq as number)).reverse();
    const seqOf = (filter: (e: ExpectedCall) => boolean) => expected.flatMap((e, seq) => (e.kind === 'call' && filter(e) ? [seq] : []));
    expect(await seqs(['--user', book.bob.email])).toEqual(seqOf((e) => e.caller === 'bob'));
    expect(await seqs(['--integration', claude.id])).toEqual(seqOf((e) => e.body.integrationId === claude.id));
    expect(await seqs(['--entity', annCta])).toEqual(seqOf((e) => e.body.subject?.id === annCta));
    expect(await seqs(['--outcome', 'refused'])).toEqual(seqOf((e) => e.body.outcome === 'refused'));
  });

  it('query_audit_log (an admin over MCP) shows the same entries, and its filters find them', async () => {
    await untilCaughtUp(server.url);
    const fromCli = (await auditLog()).reverse();
    const all = await use(admin, 'query_audit_log', { limit: 100 }, { ok: true, subject: null });
    expect(all.structured).toEqual({ items: fromCli, next_cursor: null });

    const entity = await use(admin, 'query_audit_log', { entity: annCta, limit: 100 }, { ok: true, subject: null });
    expect((entity.structured.items as Json[]).map((i) => i.entry.tool)).toEqual(['create_cta', 'update_cta', 'create_cta']);
    expect((entity.structured.items as Json[]).map((i) => i.entry.replayed)).toEqual([true, false, false]);
    const viaChatgpt = await use(admin, 'query_audit_log', { integration: chatgpt.id, outcome: 'refused', limit: 100 }, { ok: true, subject: null });
    expect((viaChatgpt.structured.items as Json[]).map((i) => i.entry.code)).toEqual(['VALIDATION', 'NO_TIMELINE_ON_SCORECARD', 'IDEMPOTENCY_KEY_REUSED']);
    expect((viaChatgpt.structured.items as Json[]).every((i) => i.entry.actor.id === ids.bob && i.entry.integrationName === 'ChatGPT')).toBe(true);
    // The admin's own queries are calls too: free, and through no integration.
    await expectLogToBeExactlyWhatHappened();
  });

  it('the usage report and the balance reconcile exactly with the entries', async () => {
    await untilCaughtUp(server.url);
    const usage = await cliJson<Json>(['usage', '--by', 'user,integration,tool', '--since', yesterday()]);
    expect(sorted(usage.rows)).toEqual(sorted(expectedUsage(['user', 'integration', 'tool'])));
    expect(usage.totals).toEqual({ calls: calls().length, credits: charged() });
    const viaMcp = await use(admin, 'get_credit_usage', { group_by: ['user', 'integration', 'tool'], since: yesterday() }, { ok: true, subject: null });
    expect(viaMcp.structured.totals).toEqual({ calls: calls().length - 1, credits: charged() });

    const balance = await cliJson<Json>(['credits', 'balance']);
    expect(balance).toMatchObject({ limited: true, granted: granted(), charged: charged(), balance: granted() - charged() });
    for (const by of [['user'], ['integration'], ['tool'], ['user', 'integration']] as const) {
      const report = await cliJson<Json>(['usage', '--by', by.join(','), '--since', yesterday()]);
      expect(sorted(report.rows)).toEqual(sorted(expectedUsage(by)));
      expect(report.totals).toEqual({ calls: calls().length, credits: charged() });
    }
  });

  it('refuses calls the balance cannot cover, saying the balance, the price and how to get more; a grant lets them through without a restart', async () => {
    const [a0] = book.annCompanies;
    const [b0] = book.bobCompanies;
    const left = granted() - charged();
    const adjustment = -(left - 3);
    await cli(['credits', 'grant', '--amount', String(adjustment), '--reason', 'leave 3 credits', '--as', book.admin.email]);
    expected.push({ kind: 'grant', amount: adjustment, reason: 'leave 3 credits' });

    await use(ann, 'get_company', { company_id: a0 }, { ok: true, subject: { type: 'company', id: a0 } });
    await writeOk(ann, 'create_cta', { company_id: a0, name: 'E2E audit: the last credits (ann)', type: 'Risk' });
    // Nothing left.
    const read = await use(bob, 'get_company', { company_id: b0 }, { ok: false, code: 'INSUFFICIENT_CREDITS', subject: { type: 'company', id: b0 } });
    expect(toolError(read.result).message).toBe(
      'get_company costs 1 credit and the organisation has 0 credits left; nothing was done. To get more, an admin can add credits with `csmcp credits grant --amount N --reason "..."`, the admin API (POST /admin/api/credits/grants) or the admin console',
    );
    const broke = { company_id: b0, name: 'E2E audit: no credits (bob)', type: 'Risk', idempotency_key: 'bob-broke-1' };
    const write = await use(bob, 'create_cta', broke, { ok: false, code: 'INSUFFICIENT_CREDITS', subject: { type: 'company', id: b0 } });
    expect(toolError(write.result).message).toMatch(/^create_cta costs 2 credits and the organisation has 0 credits left; nothing was done\. To get more, an admin can add credits with `csmcp credits grant/);
    expect(await store.events.count('CtaCreated', 'name', broke.name)).toBe(0);
    const analysis = await use(ann, 'analyze_accounts', { entity: 'companies', metrics: [{ fn: 'count', as: 'n' }] }, { ok: false, code: 'INSUFFICIENT_CREDITS', subject: null });
    expect(toolError(analysis.result).message).toMatch(/^analyze_accounts costs 5 credits and the organisation has 0 credits left/);
    // Free calls still work.
    expect((await use(ann, 'get_credit_balance', {}, { ok: true, subject: null })).structured).toMatchObject({ limited: true, balance: 0 });

    const lastRefusal = Date.now();
    await cli(['credits', 'grant', '--amount', '20', '--reason', 'top-up', '--as', book.admin.email]);
    expected.push({ kind: 'grant', amount: 20, reason: 'top-up' });
    // A refusal re-reads the log for grants made elsewhere once its view is 250 ms old (audit-log.ts,
    // REFRESH_BEFORE_REFUSING_MS); the CLI takes longer than that, but make sure.
    await new Promise((r) => setTimeout(r, Math.max(0, lastRefusal + 300 - Date.now())));
    // The refused write wrote nothing, so its key is still fresh: the same call now writes.
    const again = await writeOk(bob, 'create_cta', broke);
    expect(again.replayed).toBe(false);
    expect(await store.events.count('CtaCreated', 'name', broke.name)).toBe(1);
    await use(bob, 'get_company', { company_id: b0 }, { ok: true, subject: { type: 'company', id: b0 } });

    expect(await cliJson<Json>(['credits', 'balance'])).toMatchObject({ balance: 17, granted: granted(), charged: charged() });
    expect(granted() - charged()).toBe(17);
    await expectLogToBeExactlyWhatHappened();
    const usage = await cliJson<Json>(['usage', '--by', 'user,integration,tool', '--since', yesterday()]);
    expect(sorted(usage.rows)).toEqual(sorted(expectedUsage(['user', 'integration', 'tool'])));
    expect(usage.totals).toEqual({ calls: calls().length, credits: charged() });
  });

  it('audit verify passes; a hand-edited event, a hand-edited read-model row and a truncated tail are each named', async () => {
    const verified = await cliJson<Json>(['audit', 'verify']);
    expect(verified).toEqual({
      ok: true,
      entries: expected.length,
      rows: expected.length,
      head: { seq: expected.length - 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      broken: null,
    });
    const head = (await cli(['audit', 'head'])).trim();
    expect(head).toBe(`${verified.head.seq}:${verified.head.hash}`);
    expect(await cli(['audit', 'verify', '--expect-head', head])).toBe(`The audit log verifies: ${expected.length} entries chained, ${expected.length} read-model rows match; head ${head}.\n`);
    for (const caller of [ann, bob, admin]) await caller.mcp.close();
    expect(await server.stop()).toBe(0);

    // 1. One stored audit event edited: ann's update_cta no longer charged.
    const edited = expected.findIndex((e) => e.kind === 'call' && e.caller === 'ann' && e.body.tool === 'update_cta');
    const [original] = await raw.events<{ data: string }>(`SELECT CAST(data AS TEXT) AS data FROM ${raw.eventsTable} WHERE stream_name = 'audit-log' AND revision = ?`, [edited]);
    const tampered = JSON.parse(original.data) as Json;
    expect(tampered.body.credits).toBe(2);
    tampered.body.credits = 0;
    await raw.events(`UPDATE ${raw.eventsTable} SET data = ? WHERE stream_name = 'audit-log' AND revision = ?`, [JSON.stringify(tampered), edited]);
    let result = await cliRun(['audit', 'verify']);
    expect(result).toMatchObject({
      code: 1,
      stdout: `The audit log does NOT verify: in the event store, at entry ${edited}: entry ${edited} was changed after it was recorded: its content does not match its hash.\n`,
    });
    result = await cliRun(['audit', 'verify', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, broken: { where: 'event store', seq: edited } });
    await raw.events(`UPDATE ${raw.eventsTable} SET data = ? WHERE stream_name = 'audit-log' AND revision = ?`, [original.data, edited]);
    expect((await cliRun(['audit', 'verify'])).code).toBe(0);

    // 2. One row of the audit_log read model edited: bob's first create shown as free.
    const row = expected.findIndex((e) => e.kind === 'call' && e.caller === 'bob' && e.body.tool === 'create_cta');
    await raw.readModels('UPDATE audit_log SET credits = 0 WHERE seq = ?', [row]);
    result = await cliRun(['audit', 'verify']);
    expect(result).toMatchObject({
      code: 1,
      stdout: `The audit log does NOT verify: in the read model, at entry ${row}: row ${row}'s credits is 0 in audit_log, but 2 in the chained entry.\n`,
    });
    await raw.readModels('UPDATE audit_log SET credits = 2 WHERE seq = ?', [row]);
    expect((await cliRun(['audit', 'verify'])).code).toBe(0);

    // 3. The last entry deleted from the event store: its read-model row has no entry any more.
    const last = expected.length - 1;
    await raw.events(`DELETE FROM ${raw.eventsTable} WHERE stream_name = 'audit-log' AND revision = ?`, [last]);
    result = await cliRun(['audit', 'verify', '--expect-head', head]);
    expect(result).toMatchObject({
      code: 1,
      stdout: `The audit log does NOT verify: in the read model, at entry ${last}: row ${last} has no entry in the event store's audit log.\n`,
    });
    // ... and from the read model too: the chain that is left is whole, only the exported head shows the truncation.
    await raw.readModels('DELETE FROM audit_log WHERE seq = ?', [last]);
    await raw.readModels('DELETE FROM audit_log_subjects WHERE seq = ?', [last]);
    expect(await cliRun(['audit', 'verify'])).toMatchObject({ code: 0 });
    result = await cliRun(['audit', 'verify', '--expect-head', head]);
    expect(result).toMatchObject({
      code: 1,
      stdout: `The audit log does NOT verify: in the expected head, at entry ${last}: the log ends at entry ${last - 1}, before entry ${last} exported earlier: it was truncated.\n`,
    });
  });
});
