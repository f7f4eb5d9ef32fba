import { comparePositions } from '@csmcp/event-store';
import { CreateCtaTaskCommand } from '../../src/customer-success/ctas/commands/create-cta-task/create-cta-task.command';
import { CreateCtaCommand } from '../../src/customer-success/ctas/commands/create-cta/create-cta.command';
import { UpdateCtaCommand } from '../../src/customer-success/ctas/commands/update-cta/update-cta.command';
import { DomainError } from '../../src/customer-success/shared/domain-error';
import { CreateSuccessPlanCommand } from '../../src/customer-success/success-plans/commands/create-success-plan/create-success-plan.command';
import { UpdateSuccessPlanCommand } from '../../src/customer-success/success-plans/commands/update-success-plan/update-success-plan.command';
import { CreateTimelineActivityCommand } from '../../src/customer-success/timeline/commands/create-timeline-activity/create-timeline-activity.command';
import { UpdateTimelineActivityCommand } from '../../src/customer-success/timeline/commands/update-timeline-activity/update-timeline-activity.command';
import type { WriteResult } from '../../src/customer-success/write/write-context';
import { IdempotencyKeyReusedError, InputValidationError, PolicyRefusalError } from '../../src/customer-success/write/write-errors';
import { WritePolicyService } from '../../src/governance/write-policy-config/write-policy.service';
import { context, givenReferenceData, startApp, type AppHarness, type StoreKind } from '../support/app-harness';

describe.each<StoreKind>(['sqlite', 'postgres'])('MCP writes through the command bus (%s)', (kind) => {
  let h: AppHarness;
  beforeAll(async () => {
    h = await startApp(kind);
    await givenReferenceData(h.store);
  });
  afterAll(() => h?.close());

  const createCta = (input: Record<string, unknown>, ctx = context('create_cta')) =>
    h.commands.execute(new CreateCtaCommand({ company_id: 'c-acme', name: 'Renewal at risk', type: 'Risk', ...input }, ctx));

  /** Asserts a write was refused and that nothing but (for policy refusals) its record was written. */
  async function expectRefused(attempt: () => Promise<unknown>, error: new (...args: never[]) => Error, fields: Record<string, unknown>) {
    const before = await h.store.headPosition();
    const outcome = attempt();
    await expect(outcome).rejects.toBeInstanceOf(error);
    await expect(outcome).rejects.toMatchObject(fields);
    const written = await h.store.readAll({ after: before });
    if (error === PolicyRefusalError) {
      expect(written.map((e) => e.type)).toEqual(['WriteRefused']);
      expect(written[0].data).toMatchObject({ code: fields.code });
      expect(written[0].metadata).toMatchObject({ actor: { type: 'user' }, toolName: expect.any(String) });
    } else expect(written).toEqual([]);
  }

  it('creates a CTA attributed to the user, integration, session, request and tool', async () => {
    const result: WriteResult = await createCta({ priority: 'High', due_date: '2026-12-15', reason: 'Usage down 40%' });
    expect(result).toMatchObject({ entityType: 'cta', revision: 0, replayed: false });
    const [event] = await h.store.readStream(result.streamName);
    expect(event.type).toBe('CtaCreated');
    expect(result.events).toEqual([{ id: event.id, type: 'CtaCreated' }]);
    expect(event.data).toMatchObject({ companyId: 'c-acme', name: 'Renewal at risk', type: 'Risk', priority: 'High', ownerId: 'u-ann', dueDate: '2026-12-15' });
    expect(event.metadata).toMatchObject({
      actor: { type: 'user', id: 'u-ann', email: 'ann@example.com' },
      client: { id: 'claude', name: 'Claude' },
      toolName: 'create_cta',
      mcpSessionId: 'session-1',
      mcpRequestId: 7,
      sourceIp: '203.0.113.9',
      accessContext: 'shared',
    });
    expect(event.metadata.correlationId).toEqual(expect.any(String));
    expect(event.metadata.causationId).toEqual(expect.any(String));
  });

  it('answers a retry with the same idempotency key with the first result and writes nothing', async () => {
    const ctx = context('create_cta', { key: 'retry-1' });
    const first = await createCta({ name: 'Expansion talk', type: 'Expansion' }, ctx);
    const head = await h.store.headPosition();
    const again = await createCta({ name: 'Expansion talk', type: 'Expansion' }, context('create_cta', { key: 'retry-1' }));
    expect(again).toMatchObject({ entityId: first.entityId, revision: first.revision, replayed: true });
    expect(comparePositions(await h.store.headPosition(), head)).toBe(0);
    await expectRefused(() => createCta({ name: 'Something else', type: 'Expansion' }, context('create_cta', { key: 'retry-1' })), IdempotencyKeyReusedError, {
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
  });

  it('keeps idempotency keys per user', async () => {
    const ann = await createCta({ name: 'Kickoff' }, context('create_cta', { key: 'k-shared' }));
    const bob = await createCta({ name: 'Kickoff' }, context('create_cta', { key: 'k-shared', caller: { userId: 'u-bob', email: 'bob@example.com' } }));
    expect(bob.entityId).not.toBe(ann.entityId);
    expect(bob.replayed).toBe(false);
  });

  it('records which fields an update changed, with old and new values', async () => {
    const { entityId } = await createCta({ priority: 'Low' });
    const result = await h.commands.execute(new UpdateCtaCommand({ cta_id: entityId, priority: 'Urgent', name: 'Renewal at risk', status: 'WorkInProgress' }, context('update_cta')));
    expect(result.changes).toEqual([
      { field: 'priority', from: 'Low', to: 'Urgent' },
      { field: 'status', from: 'New', to: 'WorkInProgress' },
    ]);
  });

  it('never loses an update when two LLMs update one CTA at once', async () => {
    const { entityId } = await createCta({});
    await Promise.all([
      h.commands.execute(new UpdateCtaCommand({ cta_id: entityId, priority: 'Urgent' }, context('update_cta'))),
      h.commands.execute(new UpdateCtaCommand({ cta_id: entityId, due_date: '2027-01-31' }, context('update_cta', { caller: { userId: 'u-bob', email: 'bob@example.com' } }))),
      h.commands.execute(new UpdateCtaCommand({ cta_id: entityId, reason: 'Champion left' }, context('update_cta'))),
    ]);
    const events = await h.store.readStream(`cta-${entityId}`);
    expect(events.map((e) => e.type)).toEqual(['CtaCreated', 'CtaUpdated', 'CtaUpdated', 'CtaUpdated']);
    const fields = events.slice(1).flatMap((e) => (e.data.changes as Array<{ field: string }>).map((c) => c.field)).sort();
    expect(fields).toEqual(['dueDate', 'priority', 'reason']);
  });

  it('refuses to reopen a closed CTA unless the admin allows it, and refuses tasks on it', async () => {
    const { entityId } = await createCta({});
    await h.commands.execute(new UpdateCtaCommand({ cta_id: entityId, status: 'ClosedSuccess' }, context('update_cta')));
    await expectRefused(() => h.commands.execute(new UpdateCtaCommand({ cta_id: entityId, status: 'New' }, context('update_cta'))), PolicyRefusalError, {
      code: 'CTA_REOPEN_NOT_ALLOWED',
    });
    await expectRefused(() => h.commands.execute(new CreateCtaTaskCommand({ cta_id: entityId, title: 'Call the sponsor' }, context('create_cta_task'))), PolicyRefusalError, {
      code: 'TASK_ON_CLOSED_CTA',
    });
    const policy = h.app.get(WritePolicyService);
    await policy.set({ allowCtaReopen: true }, { actor: { type: 'user', id: 'admin' } });
    try {
      const reopened = await h.commands.execute(new UpdateCtaCommand({ cta_id: entityId, status: 'WorkInProgress' }, context('update_cta')));
      expect(reopened.changes).toEqual(expect.arrayContaining([{ field: 'status', from: 'ClosedSuccess', to: 'WorkInProgress' }]));
    } finally {
      await policy.set({}, { actor: { type: 'user', id: 'admin' } });
    }
  });

  it('creates a task on an open CTA, owned by the CTA owner by default', async () => {
    const { entityId } = await createCta({ owner_id: 'u-bob' });
    const task = await h.commands.execute(new CreateCtaTaskCommand({ cta_id: entityId, title: 'Send the usage report', due_date: '2026-12-01' }, context('create_cta_task')));
    expect(task).toMatchObject({ entityType: 'cta_task', parentId: entityId, streamName: `cta-${entityId}` });
    const events = await h.store.readStream(`cta-${entityId}`);
    expect(events[1]).toMatchObject({ type: 'CtaTaskCreated', data: { taskId: task.entityId, ownerId: 'u-bob', title: 'Send the usage report' } });
  });

  it('creates and updates a success plan and timeline activities at every allowed level', async () => {
    const plan = await h.commands.execute(
      new CreateSuccessPlanCommand({ company_id: 'c-acme', name: 'FY27 adoption', start_date: '2026-12-01', due_date: '2027-06-30' }, context('create_success_plan')),
    );
    const updated = await h.commands.execute(new UpdateSuccessPlanCommand({ success_plan_id: plan.entityId, status: 'Active' }, context('update_success_plan')));
    expect(updated.changes).toEqual([{ field: 'status', from: 'Draft', to: 'Active' }]);
    const cta = await createCta({});
    for (const [kind, id] of [['company', 'c-acme'], ['relationship', 'r-acme-eu'], ['success_plan', plan.entityId], ['cta', cta.entityId]] as const) {
      const activity = await h.commands.execute(
        new CreateTimelineActivityCommand({ company_id: 'c-acme', context_kind: kind, context_id: id, type: 'Call', subject: `QBR prep (${kind})`, occurred_at: '2026-11-20T10:00:00Z' }, context('create_timeline_activity')),
      );
      const [event] = await h.store.readStream(activity.streamName);
      expect(event.data).toMatchObject({ companyId: 'c-acme', context: { kind, id }, authorId: 'u-ann' });
    }
    const activity = await h.commands.execute(new CreateTimelineActivityCommand({ company_id: 'c-acme', type: 'Email', subject: 'Follow-up' }, context('create_timeline_activity')));
    const change = await h.commands.execute(new UpdateTimelineActivityCommand({ activity_id: activity.entityId, subject: 'Follow-up sent' }, context('update_timeline_activity')));
    expect(change.changes).toEqual([{ field: 'subject', from: 'Follow-up', to: 'Follow-up sent' }]);
  });

  describe('the write policy refuses, records why, and writes no domain event', () => {
    it.each([
      ['an unknown company', () => createCta({ company_id: 'c-nope' }), 'COMPANY_NOT_FOUND'],
      ['a relationship of another company', () => createCta({ company_id: 'c-globex', relationship_id: 'r-acme-eu' }), 'RELATIONSHIP_NOT_OF_COMPANY'],
      ['an unknown relationship', () => createCta({ relationship_id: 'r-nope' }), 'RELATIONSHIP_NOT_FOUND'],
      ['an owner who is not a user', () => createCta({ owner_id: 'u-ghost' }), 'OWNER_NOT_A_USER'],
      ['a viewer', () => createCta({}, context('create_cta', { caller: { userId: 'u-vic', email: 'vic@example.com', role: 'viewer' } })), 'ROLE_CANNOT_WRITE'],
      [
        "a personal-access caller writing to another owner's company",
        () => createCta({ company_id: 'c-globex' }, context('create_cta', { caller: { accessContext: 'personal', visibleOwnerIds: ['u-ann'] } })),
        'COMPANY_NOT_VISIBLE',
      ],
      ['an update of an unknown CTA', () => h.commands.execute(new UpdateCtaCommand({ cta_id: 'nope', priority: 'High' }, context('update_cta'))), 'CTA_NOT_FOUND'],
      ['a task on an unknown CTA', () => h.commands.execute(new CreateCtaTaskCommand({ cta_id: 'nope', title: 'x' }, context('create_cta_task'))), 'CTA_NOT_FOUND'],
      [
        'a timeline activity on a scorecard',
        () => h.commands.execute(new CreateTimelineActivityCommand({ company_id: 'c-acme', context_kind: 'scorecard', context_id: 'c-acme', type: 'Update', subject: 'x' }, context('create_timeline_activity'))),
        'NO_TIMELINE_ON_SCORECARD',
      ],
    ])('refuses %s', async (_label, attempt, code) => {
      await expectRefused(attempt, PolicyRefusalError, { code });
    });

    it("refuses an activity attached to another company's CTA, plan or relationship", async () => {
      const globexCta = await createCta({ company_id: 'c-globex', owner_id: 'u-bob' });
      const globexPlan = await h.commands.execute(new CreateSuccessPlanCommand({ company_id: 'c-globex', name: 'Globex plan' }, context('create_success_plan')));
      const attach = (context_kind: string, context_id: string) => () =>
        h.commands.execute(new CreateTimelineActivityCommand({ company_id: 'c-acme', context_kind, context_id, type: 'Call', subject: 'x' }, context('create_timeline_activity')));
      await expectRefused(attach('cta', globexCta.entityId), PolicyRefusalError, { code: 'CTA_NOT_OF_COMPANY' });
      await expectRefused(attach('success_plan', globexPlan.entityId), PolicyRefusalError, { code: 'SUCCESS_PLAN_NOT_OF_COMPANY' });
      await expectRefused(attach('relationship', 'r-nope'), PolicyRefusalError, { code: 'RELATIONSHIP_NOT_FOUND' });
    });

    it('refuses a write tool an admin switched off for an integration', async () => {
      const policy = h.app.get(WritePolicyService);
      await policy.set({ integrations: { claude: { create_cta: false } } }, { actor: { type: 'user', id: 'admin' } });
      try {
        await expectRefused(() => createCta({}), PolicyRefusalError, { code: 'TOOL_DISABLED' });
        await expect(createCta({}, context('create_cta', { caller: { integrationId: 'chatgpt' } }))).resolves.toMatchObject({ entityType: 'cta' });
      } finally {
        await policy.set({}, { actor: { type: 'user', id: 'admin' } });
      }
    });
  });

  describe('bad input gets a clear error and writes nothing', () => {
    it.each([
      ['a number as name', { name: 42 }, 'name: must be a string'],
      ['a blank name', { name: '   ' }, 'name: must not be blank'],
      ['a huge name', { name: 'x'.repeat(256) }, 'name: must be at most 255 characters'],
      ['a wrong type', { type: 'Chore' }, 'type: must be one of Risk, Expansion, Renewal, Lifecycle, Activity, Objective'],
      ['a wrong priority', { priority: 'P1' }, 'priority: must be one of Low, Medium, High, Urgent'],
      ['a date in the wrong format', { due_date: '15/12/2026' }, 'due_date: must be a date as YYYY-MM-DD'],
      ['an unknown field', { colour: 'red' }, 'colour: is not an accepted field'],
      ['a company id that is an object', { company_id: { $ne: null } }, 'company_id: must be a string id'],
    ])('refuses %s', async (_label, input, message) => {
      await expectRefused(() => createCta(input), InputValidationError, { code: 'VALIDATION', message: expect.stringContaining(message) });
    });

    it('says why a fixed field cannot be changed', async () => {
      const { entityId } = await createCta({});
      await expectRefused(() => h.commands.execute(new UpdateCtaCommand({ cta_id: entityId, company_id: 'c-globex' }, context('update_cta'))), InputValidationError, {
        message: expect.stringContaining('company_id: is not an accepted field here (the company is fixed when the record is created)'),
      });
    });

    it('refuses an impossible calendar date and an update that changes nothing (decider rules)', async () => {
      await expectRefused(() => createCta({ due_date: '2026-02-30' }), DomainError, { code: 'VALIDATION' });
      const { entityId } = await createCta({ priority: 'High' });
      await expectRefused(() => h.commands.execute(new UpdateCtaCommand({ cta_id: entityId, priority: 'High' }, context('update_cta'))), DomainError, {
        code: 'NOTHING_TO_CHANGE',
      });
    });

    it('refuses a plan due before it starts', async () => {
      await expectRefused(
        () => h.commands.execute(new CreateSuccessPlanCommand({ company_id: 'c-acme', name: 'Backwards', start_date: '2027-01-01', due_date: '2026-01-01' }, context('create_success_plan'))),
        DomainError,
        { code: 'DUE_DATE_BEFORE_START_DATE' },
      );
    });
  });
});
