import type { SqlExecutor } from '@csmcp/projections';
import { AuditLog } from '../../src/audit/audit-log';
import { AUDIT_LOG } from '../../src/audit/audit.tokens';
import { verifyAuditLog } from '../../src/audit/audit-verifier';
import { CreditsService } from '../../src/audit/credits/credits.service';
import { AUDIT_STREAM, type AuditEntry, type ToolCallBody } from '../../src/audit/domain/audit-entry';
import { GetCreditUsageQuery } from '../../src/audit/queries/get-credit-usage/get-credit-usage.query';
import { QueryAuditLogQuery } from '../../src/audit/queries/query-audit-log/query-audit-log.query';
import { ToolCallRecording } from '../../src/audit/tool-call-recording';
import { CreateCtaCommand } from '../../src/customer-success/ctas/commands/create-cta/create-cta.command';
import { UpdateCtaCommand } from '../../src/customer-success/ctas/commands/update-cta/update-cta.command';
import type { WriteContext, WriteResult } from '../../src/customer-success/write/write-context';
import { READ_MODEL_DB } from '../../src/infrastructure/tokens';
import { context, givenReferenceData, startApp, type AppHarness, type StoreKind } from '../support/app-harness';

const admin = { type: 'user' as const, id: 'u-admin', email: 'admin@example.com' };
const ann = { type: 'user' as const, id: 'u-ann', email: 'ann@example.com' };

describe.each<StoreKind>(['sqlite', 'postgres'])('audit trail and credits (%s)', (kind) => {
  let h: AppHarness;
  let log: AuditLog;
  let credits: CreditsService;

  beforeAll(async () => {
    h = await startApp(kind, { runProjections: true });
    await givenReferenceData(h.store);
    log = h.app.get<AuditLog>(AUDIT_LOG);
    credits = h.app.get(CreditsService);
  });
  afterAll(() => h?.close());

  /** A write context as the MCP layer makes it: with the call's recording, priced as a write. */
  function audited(tool: string, options: { key?: string; price?: number; user?: typeof ann } = {}): { ctx: WriteContext; recording: ToolCallRecording } {
    const base = context(tool, options.key ? { key: options.key } : {});
    const user = options.user ?? ann;
    const recording = new ToolCallRecording(
      { actor: user, integrationId: 'claude', integrationName: 'Claude', accessContext: 'shared', sessionId: 'session-1', requestId: '7', sourceIp: '203.0.113.9' },
      tool,
      'write',
      { company_id: 'c-acme', name: 'Renewal at risk' },
      options.price ?? 2,
    );
    return { ctx: { ...base, caller: { ...base.caller, userId: user.id, email: user.email }, request: { ...base.request, recording } }, recording };
  }

  const createCta = (ctx: WriteContext, input: Record<string, unknown> = {}): Promise<WriteResult> =>
    h.commands.execute(new CreateCtaCommand({ company_id: 'c-acme', name: 'Renewal at risk', type: 'Risk', ...input }, ctx));

  async function entriesAfter(seq: number): Promise<AuditEntry[]> {
    const events = await h.store.readStream(AUDIT_STREAM, { fromRevision: seq + 1 });
    return events.map((e) => ({ type: e.type, seq: e.revision, ...(e.data as object) }) as AuditEntry);
  }

  const headSeq = async () => (await log.refresh()).head?.seq ?? -1;

  it('records a write in the same append as its events: the events written, the charge, who, through what', async () => {
    const before = await headSeq();
    const { ctx, recording } = audited('create_cta');
    const result = await createCta(ctx);
    expect(recording.recorded).toBe(true);
    const [entry] = await entriesAfter(before);
    expect(entry.type).toBe('ToolCallRecorded');
    const body = entry.body as ToolCallBody;
    expect(body).toMatchObject({
      tool: 'create_cta',
      outcome: 'ok',
      credits: 2,
      actor: ann,
      integrationId: 'claude',
      sessionId: 'session-1',
      sourceIp: '203.0.113.9',
      subject: { type: 'cta', id: result.entityId },
      events: [{ stream: result.streamName, id: result.events[0].id, type: 'CtaCreated' }],
    });
    // One transaction: the CTA's event and its audit entry sit next to each other in the global order.
    const all = await h.store.readAll({ after: null });
    const at = all.findIndex((e) => e.id === result.events[0].id);
    expect(all[at + 1]).toMatchObject({ streamName: AUDIT_STREAM, revision: entry.seq });
  });

  it("records an update's changed fields with old and new values", async () => {
    const created = await createCta(audited('create_cta').ctx, { priority: 'Low' });
    const before = await headSeq();
    const { ctx } = audited('update_cta');
    await h.commands.execute(new UpdateCtaCommand({ cta_id: created.entityId, priority: 'High' }, ctx));
    const [entry] = await entriesAfter(before);
    expect((entry.body as ToolCallBody).changes).toEqual([{ field: 'priority', from: 'Low', to: 'High' }]);
  });

  it('records a policy refusal with its code, charges nothing and writes nothing else', async () => {
    const before = await headSeq();
    const position = await h.store.headPosition();
    const { ctx } = audited('create_cta');
    await expect(createCta(ctx, { company_id: 'c-nowhere' })).rejects.toMatchObject({ code: 'COMPANY_NOT_FOUND' });
    const written = await h.store.readAll({ after: position });
    expect(written.map((e) => [e.streamName, e.type])).toEqual([[AUDIT_STREAM, 'ToolCallRecorded']]);
    const [entry] = await entriesAfter(before);
    expect(entry.body).toMatchObject({ outcome: 'refused', code: 'COMPANY_NOT_FOUND', credits: 0, events: [] });
  });

  it('answers an idempotent retry with the first result, recorded as a replay that costs nothing', async () => {
    const first = await createCta(audited('create_cta', { key: 'audit-retry-1' }).ctx);
    const before = await headSeq();
    const charged = (await log.refresh()).charged;
    const again = await createCta(audited('create_cta', { key: 'audit-retry-1' }).ctx);
    expect(again).toMatchObject({ entityId: first.entityId, replayed: true, position: first.position });
    const entries = await entriesAfter(before);
    expect(entries).toHaveLength(1);
    expect(entries[0].body).toMatchObject({ outcome: 'ok', replayed: true, credits: 0 });
    expect((await log.refresh()).charged).toBe(charged);
  });

  it('refuses a write the balance cannot cover before it does anything, naming the balance and the price', async () => {
    await credits.grant(1, 'opening balance for the test', admin);
    const balance = (await log.refresh()).balance!;
    // Whatever earlier tests left, bring the balance to exactly 1.
    if (balance !== 1) await credits.grant(1 - balance, 'set to 1', admin);
    const position = await h.store.headPosition();
    const { ctx } = audited('create_cta');
    await expect(createCta(ctx)).rejects.toMatchObject({ code: 'INSUFFICIENT_CREDITS', message: expect.stringContaining('create_cta costs 2 credits and the organisation has 1 credit left') });
    const written = await h.store.readAll({ after: position });
    expect(written.map((e) => e.type)).toEqual(['ToolCallRecorded']);
    expect(written[0].data).toMatchObject({ body: { outcome: 'refused', code: 'INSUFFICIENT_CREDITS', credits: 0 } });
    expect((await log.refresh()).balance).toBe(1);
  });

  it('never overspends: concurrent writes, and two processes charging reads at once, stop exactly at zero', async () => {
    const balance = (await log.refresh()).balance!;
    await credits.grant(30 - balance, 'thirty for the race', admin);
    // 20 writes at 2 credits against 30: exactly 15 land.
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => createCta(audited('create_cta', { key: `race-${i}` }).ctx)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(15);
    for (const o of outcomes.filter((o) => o.status === 'rejected')) expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'INSUFFICIENT_CREDITS' });
    expect((await log.refresh()).balance).toBe(0);

    // Another process (a second AuditLog on the same store) and this one record 40 reads each against 50 credits.
    await credits.grant(50, 'fifty for the read race', admin);
    const other = new AuditLog(h.store);
    const read = (l: AuditLog, i: number) =>
      l.record({ type: 'ToolCallRecorded', body: new ToolCallRecording({ actor: ann, integrationId: 'claude', integrationName: 'Claude', accessContext: 'shared', sessionId: null, requestId: String(i), sourceIp: null }, 'get_company', 'read', { company_id: 'c-acme' }, 1).body({ outcome: 'ok', credits: 1 }) });
    const entries = (await Promise.all([...Array.from({ length: 40 }, (_, i) => read(log, i)), ...Array.from({ length: 40 }, (_, i) => read(other, 100 + i))])).flat();
    const charged = entries.filter((e) => (e.body as ToolCallBody).credits === 1);
    expect(charged).toHaveLength(50);
    expect(entries.filter((e) => (e.body as ToolCallBody).code === 'INSUFFICIENT_CREDITS')).toHaveLength(30);
    expect((await log.refresh()).balance).toBe(0);
    expect((await other.refresh()).balance).toBe(0);
    expect((await verifyAuditLog(h.store, null)).ok).toBe(true);
  });

  it('records concurrent writes to one CTA each once, none lost, when they share appends (group commit)', async () => {
    await credits.grant(1_000, 'room for the concurrent updates', admin);
    const created = await createCta(audited('create_cta').ctx);
    const before = await headSeq();
    const fields = ['name', 'reason', 'comments'] as const;
    // Four writers on one CTA (each decides again on a conflict, up to five times), eight elsewhere.
    const updates = Array.from({ length: 4 }, (_, i) =>
      h.commands.execute(new UpdateCtaCommand({ cta_id: created.entityId, [fields[i % 3]]: `value ${i}` }, audited('update_cta').ctx)),
    );
    const others = Array.from({ length: 8 }, () => createCta(audited('create_cta').ctx));
    await Promise.all([...updates, ...others]);
    const entries = await entriesAfter(before);
    expect(entries).toHaveLength(12);
    expect(entries.every((e) => (e.body as ToolCallBody).outcome === 'ok' && (e.body as ToolCallBody).credits === 2)).toBe(true);
    const history = await h.store.readStream(`cta-${created.entityId}`);
    expect(history.filter((e) => e.type === 'CtaUpdated')).toHaveLength(4);
    // Each entry names exactly the events its write appended.
    const written = new Set(history.map((e) => e.id));
    for (const e of entries.filter((x) => (x.body as ToolCallBody).tool === 'update_cta')) for (const ev of (e.body as ToolCallBody).events) expect(written.has(ev.id)).toBe(true);
    expect((await verifyAuditLog(h.store, null)).ok).toBe(true);
  });

  it('holds a monthly limit per user', async () => {
    await credits.grant(100, 'room for the limit test', admin);
    await credits.setLimit('user', 'u-bob', 2, 'trial user', admin);
    const bob = { type: 'user' as const, id: 'u-bob', email: 'bob@example.com' };
    await createCta(audited('create_cta', { user: bob }).ctx);
    await expect(createCta(audited('create_cta', { user: bob }).ctx)).rejects.toMatchObject({ code: 'USER_MONTHLY_LIMIT' });
    await credits.setLimit('user', 'u-bob', null, 'trial over', admin);
    await expect(createCta(audited('create_cta', { user: bob }).ctx)).resolves.toMatchObject({ replayed: false });
  });

  it('projects the log for queries (by entity, user, outcome) and usage that reconciles with the ledger', async () => {
    const created = await createCta(audited('create_cta').ctx);
    await h.commands.execute(new UpdateCtaCommand({ cta_id: created.entityId, status: 'WorkInProgress' }, audited('update_cta').ctx));
    const head = await h.store.headPosition();
    await h.projections.runner.waitForPosition(head!, { projections: ['audit'] });

    const forCta = await h.queries.execute(new QueryAuditLogQuery({ entity: created.entityId }));
    expect(forCta.items.map((i) => (i.entry as ToolCallBody).tool)).toEqual(['update_cta', 'create_cta']);
    const refused = await h.queries.execute(new QueryAuditLogQuery({ user: 'ann@example.com', outcome: 'refused', limit: 100 }));
    expect(refused.items.length).toBeGreaterThan(0);
    expect(refused.items.every((i) => (i.entry as ToolCallBody).outcome === 'refused' && i.actor.id === 'u-ann')).toBe(true);
    const page1 = await h.queries.execute(new QueryAuditLogQuery({ limit: 5 }));
    const page2 = await h.queries.execute(new QueryAuditLogQuery({ limit: 5, cursor: page1.nextCursor! }));
    expect(page2.items[0].seq).toBe(page1.items[4].seq - 1);

    const usage = await h.queries.execute(new GetCreditUsageQuery({ since: '2025-01-01', until: '2027-12-31', groupBy: ['user', 'tool'] }));
    const ledger = await log.refresh();
    expect(usage.totals.credits).toBe(ledger.charged);
    expect(usage.rows.find((r) => r.user?.id === 'u-bob' && r.tool === 'create_cta')).toMatchObject({ credits: 4, refusedCalls: 1 });
  });

  it('verifies the chain and every read-model row; an edited row fails at that row', async () => {
    const head = await h.store.headPosition();
    await h.projections.runner.waitForPosition(head!, { projections: ['audit'] });
    const db = h.app.get<SqlExecutor>(READ_MODEL_DB);
    const clean = await verifyAuditLog(h.store, db);
    expect(clean).toMatchObject({ ok: true, broken: null });
    expect(clean.rows).toBe(clean.entries);
    const exported = clean.head!;
    expect(await verifyAuditLog(h.store, db, exported)).toMatchObject({ ok: true });
    expect(await verifyAuditLog(h.store, db, { seq: exported.seq, hash: 'f'.repeat(64) })).toMatchObject({ ok: false, broken: { where: 'expected head', seq: exported.seq } });
    expect(await verifyAuditLog(h.store, db, { seq: exported.seq + 10, hash: exported.hash })).toMatchObject({ ok: false, broken: { where: 'expected head' } });

    const victim = Math.floor(exported.seq / 2);
    await db.run('UPDATE audit_log SET credits = credits + 100 WHERE seq = ?', [victim]);
    expect(await verifyAuditLog(h.store, db)).toMatchObject({ ok: false, broken: { where: 'read model', seq: victim, reason: expect.stringContaining('credits') } });
    await db.run('UPDATE audit_log SET credits = credits - 100 WHERE seq = ?', [victim]);
    await db.run('DELETE FROM audit_log WHERE seq = ?', [victim]);
    expect(await verifyAuditLog(h.store, db)).toMatchObject({ ok: false, broken: { where: 'read model', seq: victim, reason: `row ${victim} is missing from audit_log` } });
  });
});
