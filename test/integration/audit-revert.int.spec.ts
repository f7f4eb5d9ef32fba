import type { SqlExecutor } from '@csmcp/projections';
import type { AuditLog } from '../../src/audit/audit-log';
import { AUDIT_LOG } from '../../src/audit/audit.tokens';
import { verifyAuditLog } from '../../src/audit/audit-verifier';
import { RevertRefusedError, RevertService } from '../../src/audit/revert/revert.service';
import { ToolCallRecording } from '../../src/audit/tool-call-recording';
import { CreateCtaTaskCommand } from '../../src/customer-success/ctas/commands/create-cta-task/create-cta-task.command';
import { CreateCtaCommand } from '../../src/customer-success/ctas/commands/create-cta/create-cta.command';
import { UpdateCtaCommand } from '../../src/customer-success/ctas/commands/update-cta/update-cta.command';
import { GetCtaQuery } from '../../src/customer-success/queries/get-cta/get-cta.query';
import type { WriteContext, WriteResult } from '../../src/customer-success/write/write-context';
import { READ_MODEL_DB } from '../../src/infrastructure/tokens';
import { context, givenReferenceData, startApp, type AppHarness, type StoreKind } from '../support/app-harness';

const admin = { type: 'user' as const, id: 'u-admin', email: 'admin@example.com' };
const ann = { type: 'user' as const, id: 'u-ann', email: 'ann@example.com' };

describe.each<StoreKind>(['sqlite', 'postgres'])('reverting LLM writes (%s)', (kind) => {
  let h: AppHarness;
  let log: AuditLog;
  let reverts: RevertService;

  beforeAll(async () => {
    h = await startApp(kind, { runProjections: true });
    await givenReferenceData(h.store);
    log = h.app.get<AuditLog>(AUDIT_LOG);
    reverts = h.app.get(RevertService);
  });
  afterAll(() => h?.close());

  function audited(tool: string, session = 'session-r', args: Record<string, unknown> = {}): WriteContext {
    const base = context(tool);
    const recording = new ToolCallRecording(
      { actor: ann, integrationId: 'claude', integrationName: 'Claude', accessContext: 'shared', sessionId: session, requestId: '1', sourceIp: null },
      tool,
      'write',
      args,
      2,
    );
    return { ...base, request: { ...base.request, mcpSessionId: session, recording } };
  }

  const lastSeq = async () => (await log.refresh()).head!.seq;
  const createCta = (ctx: WriteContext, input: Record<string, unknown> = {}): Promise<WriteResult> =>
    h.commands.execute(new CreateCtaCommand({ company_id: 'c-acme', name: 'Renewal at risk', type: 'Risk', priority: 'Low', ...input }, ctx));
  const updateCta = (ctx: WriteContext, input: Record<string, unknown>): Promise<WriteResult> => h.commands.execute(new UpdateCtaCommand(input, ctx));
  async function cta(id: string) {
    const head = await h.store.headPosition();
    return h.queries.execute(new GetCtaQuery({ userId: 'u-admin', visibleOwnerIds: null }, { ctaId: id, after: head! }));
  }

  it('puts an update back, records who reverted it and why, and refuses to revert it twice', async () => {
    const created = await createCta(audited('create_cta', 'setup'));
    await updateCta(audited('update_cta', 'llm-1'), { cta_id: created.entityId, priority: 'High', due_date: '2027-01-31' });
    const seq = await lastSeq();
    const outcome = await reverts.revertEntry(seq, 'the LLM misread the call notes', admin);
    expect(outcome).toMatchObject({ reverted: true, seqs: [seq], changes: expect.arrayContaining([{ field: 'priority', from: 'High', to: 'Low' }, { field: 'dueDate', from: '2027-01-31', to: null }]) });
    expect(await cta(created.entityId)).toMatchObject({ priority: 'Low', dueDate: null });
    const [reverted] = await h.store.readStream('audit-log', { fromRevision: outcome.revertSeq!, maxCount: 1 });
    expect(reverted).toMatchObject({ type: 'WriteReverted', data: { body: { by: admin, revertedSeqs: [seq], reason: 'the LLM misread the call notes' } } });
    // Once the audit read model has the revert, the refusal names its entry.
    await h.projections.runner.waitForPosition((await h.store.headPosition())!, { projections: ['audit'] });
    await expect(reverts.revertEntry(seq, 'again', admin)).rejects.toThrow(
      new RegExp(`^Entry ${seq} \\(update_cta\\) was not reverted: it was reverted already, by audit entry ${outcome.revertSeq} \\(admin@example.com at \\d{4}-[^ ]+: "the LLM misread the call notes"\\)$`),
    );
    expect((await verifyAuditLog(h.store, null)).ok).toBe(true);
  });

  it('refuses when someone changed the record since, naming who, and changes nothing', async () => {
    const created = await createCta(audited('create_cta', 'setup'));
    await updateCta(audited('update_cta', 'llm-2'), { cta_id: created.entityId, priority: 'High' });
    const seq = await lastSeq();
    await updateCta(context('update_cta', { caller: { userId: 'u-bob', email: 'bob@example.com' } }), { cta_id: created.entityId, name: 'Renewal at risk (Bob)' });
    const head = await h.store.headPosition();
    const refusal = reverts.revertEntry(seq, 'undo', admin);
    await expect(refusal).rejects.toBeInstanceOf(RevertRefusedError);
    await expect(refusal).rejects.toThrow(new RegExp(`^Entry ${seq} \\(update_cta\\) was not reverted: the CTA was changed since: CtaUpdated by bob@example.com \\(update_cta\\) at \\d{4}-`));
    expect(await h.store.headPosition()).toEqual(head);
  });

  it('withdraws a created CTA (closed as invalid), and refuses reads, refusals and task creations with the reason', async () => {
    const created = await createCta(audited('create_cta', 'llm-3'));
    const seq = await lastSeq();
    await reverts.revertEntry(seq, 'created by mistake', admin);
    expect(await cta(created.entityId)).toMatchObject({ status: 'ClosedInvalid' });

    await expect(createCta(audited('create_cta', 'llm-3'), { company_id: 'c-nowhere' })).rejects.toMatchObject({ code: 'COMPANY_NOT_FOUND' });
    const refusedSeq = await lastSeq();
    await expect(reverts.revertEntry(refusedSeq, 'x', admin)).rejects.toThrow(`Entry ${refusedSeq} is a refused create_cta: it wrote nothing to revert`);

    const open = await createCta(audited('create_cta', 'setup'));
    await h.commands.execute(new CreateCtaTaskCommand({ cta_id: open.entityId, title: 'Call the sponsor' }, audited('create_cta_task', 'llm-4')));
    const taskSeq = await lastSeq();
    await expect(reverts.revertEntry(taskSeq, 'x', admin)).rejects.toThrow('a task cannot be withdrawn');
    await expect(reverts.revertEntry(999_999, 'x', admin)).rejects.toThrow('There is no audit entry 999999');
    await expect(reverts.revertEntry(seq, '  ', admin)).rejects.toThrow('reason is required');
  });

  it("reverts a whole session's writes record by record, back to before the session", async () => {
    const a = await createCta(audited('create_cta', 'setup'), { name: 'Expansion talk', type: 'Expansion' });
    const b = await createCta(audited('create_cta', 'setup'), { name: 'QBR prep', type: 'Activity' });
    await updateCta(audited('update_cta', 'llm-5'), { cta_id: a.entityId, priority: 'Medium' });
    await updateCta(audited('update_cta', 'llm-5'), { cta_id: a.entityId, priority: 'Urgent', status: 'WorkInProgress' });
    await updateCta(audited('update_cta', 'llm-5'), { cta_id: b.entityId, status: 'ClosedSuccess' });
    const created = await createCta(audited('create_cta', 'llm-5'), { name: 'Made up risk' });
    await h.projections.runner.waitForPosition((await h.store.headPosition())!, { projections: ['audit'] });

    const outcomes = await reverts.revertSession('llm-5', 'the session went wrong', admin);
    expect(outcomes.map((o) => o.reverted)).toEqual([true, true, true]);
    expect(await cta(a.entityId)).toMatchObject({ priority: 'Low', status: 'New' });
    expect(await cta(b.entityId)).toMatchObject({ status: 'New' });
    expect(await cta(created.entityId)).toMatchObject({ status: 'ClosedInvalid' });
    await expect(reverts.revertSession('no-such-session', 'x', admin)).rejects.toThrow('Session no-such-session has no successful writes');
    const db = h.app.get<SqlExecutor>(READ_MODEL_DB);
    await h.projections.runner.waitForPosition((await h.store.headPosition())!, { projections: ['audit'] });
    expect((await verifyAuditLog(h.store, db)).ok).toBe(true);
  });
});
