/**
 * The whole path an MCP write and the read after it take: command bus → write policy → event store →
 * projection → query bus, with the projection runner running as in the server. A read that passes
 * the write's position sees the write at once: it waits for that position, it never sleeps.
 */
import { CreateCtaTaskCommand } from '../../src/customer-success/ctas/commands/create-cta-task/create-cta-task.command';
import { CreateCtaCommand } from '../../src/customer-success/ctas/commands/create-cta/create-cta.command';
import { UpdateCtaCommand } from '../../src/customer-success/ctas/commands/update-cta/update-cta.command';
import { AnalyzeAccountsQuery } from '../../src/customer-success/analysis/analyze-accounts.query';
import { GetAccountSummaryQuery } from '../../src/customer-success/queries/get-account-summary/get-account-summary.query';
import { GetCtaAsOfQuery } from '../../src/customer-success/queries/get-cta-as-of/get-cta-as-of.query';
import { GetCtaQuery } from '../../src/customer-success/queries/get-cta/get-cta.query';
import { ListCtasQuery } from '../../src/customer-success/queries/list-ctas/list-ctas.query';
import { ListTimelineActivitiesQuery } from '../../src/customer-success/queries/list-timeline-activities/list-timeline-activities.query';
import { CreateTimelineActivityCommand } from '../../src/customer-success/timeline/commands/create-timeline-activity/create-timeline-activity.command';
import { context, givenReferenceData, startApp, type AppHarness, type StoreKind } from '../support/app-harness';

describe.each<StoreKind>(['sqlite', 'postgres'])('write, then read it back (%s)', (kind) => {
  let h: AppHarness;
  const everyone = { userId: 'u-ann', visibleOwnerIds: null };
  const annOnly = { userId: 'u-ann', visibleOwnerIds: ['u-ann'] };

  beforeAll(async () => {
    h = await startApp(kind, { runProjections: true });
    await givenReferenceData(h.store);
  });
  afterAll(() => h?.close());

  it('reads a new CTA, its task and its update straight after each acknowledged write', async () => {
    const created = await h.commands.execute(
      new CreateCtaCommand({ company_id: 'c-acme', name: 'Usage dropped', type: 'Risk', priority: 'High', due_date: '2026-12-15' }, context('create_cta')),
    );
    const cta = await h.queries.execute(new GetCtaQuery(everyone, { ctaId: created.entityId, after: created.position }));
    expect(cta).toMatchObject({ ctaId: created.entityId, name: 'Usage dropped', type: 'Risk', priority: 'High', status: 'New', tasks: [] });

    const task = await h.commands.execute(new CreateCtaTaskCommand({ cta_id: created.entityId, title: 'Call the champion' }, context('create_cta_task')));
    const withTask = await h.queries.execute(new GetCtaQuery(everyone, { ctaId: created.entityId, after: task.position }));
    expect(withTask.tasks).toEqual([expect.objectContaining({ taskId: task.entityId, title: 'Call the champion' })]);

    const before = new Date();
    const closed = await h.commands.execute(new UpdateCtaCommand({ cta_id: created.entityId, status: 'ClosedSuccess' }, context('update_cta')));
    const open = await h.queries.execute(new ListCtasQuery(everyone, { companyId: 'c-acme', openOnly: true, after: closed.position }));
    expect(open.items.map((c: { ctaId: string }) => c.ctaId)).not.toContain(created.entityId);

    // Point in time: as it was before the close.
    const asOf = await h.queries.execute(new GetCtaAsOfQuery(everyone, { ctaId: created.entityId, asOf: before.toISOString() }));
    expect(asOf.cta).toMatchObject({ status: 'New' });
  });

  it('keeps the account summary and the analysis in step with the writes', async () => {
    const risk = await h.commands.execute(new CreateCtaCommand({ company_id: 'c-acme', name: 'Champion left', type: 'Risk' }, context('create_cta')));
    const activity = await h.commands.execute(
      new CreateTimelineActivityCommand({ company_id: 'c-acme', type: 'Meeting', subject: 'QBR', occurred_at: new Date().toISOString() }, context('create_timeline_activity')),
    );
    const summary = await h.queries.execute(new GetAccountSummaryQuery(everyone, { companyId: 'c-acme', after: activity.position }));
    expect(summary.openCtas.items.map((c: { ctaId: string }) => c.ctaId)).toContain(risk.entityId);
    expect(summary.recentTimeline[0]).toMatchObject({ subject: 'QBR', type: 'Meeting' });

    const timeline = await h.queries.execute(new ListTimelineActivitiesQuery(everyone, { companyId: 'c-acme', after: activity.position }));
    expect(timeline.items[0]).toMatchObject({ activityId: activity.entityId });

    const analysis = await h.queries.execute(
      new AnalyzeAccountsQuery({
        query: { entity: 'companies', filter: { field: 'open_risk_cta_count', op: 'gte', value: 1 }, fields: ['name', 'open_risk_cta_count'] },
        viewer: everyone,
      }),
    );
    expect(analysis.rows).toEqual([expect.objectContaining({ name: 'Acme' })]);
  });

  it("never shows a personal-access reader another owner's company, whatever the query", async () => {
    const globex = await h.commands.execute(new CreateCtaCommand({ company_id: 'c-globex', name: 'Globex risk', type: 'Risk', owner_id: 'u-bob' }, context('create_cta')));
    await expect(h.queries.execute(new GetCtaQuery(annOnly, { ctaId: globex.entityId, after: globex.position }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const list = await h.queries.execute(new ListCtasQuery(annOnly, { after: globex.position }));
    expect(list.items.every((c: { companyId: string }) => c.companyId === 'c-acme')).toBe(true);
    const analysis = await h.queries.execute(new AnalyzeAccountsQuery({ query: { entity: 'companies', fields: ['name'] }, viewer: annOnly }));
    expect(analysis.rows.map((r) => r.name)).toEqual(['Acme']);
  });
});
