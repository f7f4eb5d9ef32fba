import type { SqlExecutor } from '@csmcp/projections';
import { describeOnEachDatabase, type ReadSideFixture } from '../queries/testing/read-side.fixture';
import { CustomerSuccessProjection } from './customer-success.projection';
import type { TimelineContextKind } from '../shared/values';
import { timelineActivityStreamName } from '../timeline/timeline-activity.events';

interface Counters {
  open_cta_count: number;
  open_risk_cta_count: number;
  active_plan_count: number;
  activity_count: number;
  last_activity_at: string | null;
  health_score: number | null;
  health_color: string | null;
  health_as_of: string | null;
}

async function counters(db: SqlExecutor, companyId: string): Promise<Counters> {
  const row = await db.get<Counters>(
    `SELECT open_cta_count, open_risk_cta_count, active_plan_count, activity_count, last_activity_at, health_score, health_color, health_as_of
     FROM cs_companies WHERE company_id = ?`,
    [companyId],
  );
  if (!row) throw new Error(`no company ${companyId}`);
  return { ...row, health_score: row.health_score === null ? null : Number(row.health_score) };
}

/** Every cs_* row, sorted, to compare a live read model with a rebuilt one. */
async function dump(db: SqlExecutor): Promise<Record<string, unknown[]>> {
  const tables: Record<string, string> = {
    cs_companies: 'company_id',
    cs_relationships: 'relationship_id',
    cs_contacts: 'contact_id',
    cs_ctas: 'cta_id',
    cs_cta_tasks: 'task_id',
    cs_success_plans: 'success_plan_id',
    cs_timeline_activities: 'activity_id',
    cs_scorecard_measures: 'company_id, name',
    cs_scorecard_history: 'company_id, measure, as_of',
    cs_users: 'user_id',
  };
  const out: Record<string, unknown[]> = {};
  for (const [table, key] of Object.entries(tables)) out[table] = await db.all(`SELECT * FROM ${table} ORDER BY ${key}`);
  return out;
}

describeOnEachDatabase('customer_success projection', (fx: () => ReadSideFixture) => {
  const activity = (
    id: string,
    companyId: string,
    occurredAt: string,
    context: { kind: TimelineContextKind; id: string } = { kind: 'company', id: companyId },
  ) => ({
    activityId: id,
    companyId,
    context,
    type: 'Call' as const,
    subject: `call ${id}`,
    occurredAt,
    authorId: 'alice',
  });

  beforeAll(async () => {
    const f = fx();
    await f.registerUser('alice');
    await f.importCompany({ companyId: 'acme', name: 'Acme Corp', ownerId: 'alice', arr: 120_000, segment: 'Enterprise' });
    await f.importRelationship({ relationshipId: 'acme-eu', companyId: 'acme', name: 'Acme EU' });
    await f.settle();
  });

  it('counts open and open risk CTAs, through close and reopen', async () => {
    const f = fx();
    await f.createCta({ ctaId: 'r1', companyId: 'acme', name: 'Churn risk', type: 'Risk', ownerId: 'alice' });
    await f.createCta({ ctaId: 'r2', companyId: 'acme', name: 'Budget cut', type: 'Risk', ownerId: 'alice' });
    await f.createCta({ ctaId: 'e1', companyId: 'acme', name: 'Upsell seats', type: 'Expansion', ownerId: 'alice' });
    await f.settle();
    expect(await counters(f.db, 'acme')).toMatchObject({ open_cta_count: 3, open_risk_cta_count: 2 });

    await f.updateCta({ ctaId: 'r1', status: 'ClosedSuccess' });
    await f.updateCta({ ctaId: 'e1', status: 'WorkInProgress' });
    await f.settle();
    expect(await counters(f.db, 'acme')).toMatchObject({ open_cta_count: 2, open_risk_cta_count: 1 });
    const closed = await f.db.get<{ is_open: number; status: string; closed_at: string | null }>(
      'SELECT is_open, status, closed_at FROM cs_ctas WHERE cta_id = ?',
      ['r1'],
    );
    expect(closed).toMatchObject({ is_open: 0, status: 'ClosedSuccess' });
    expect(closed!.closed_at).toEqual(expect.any(String));

    await f.updateCta({ ctaId: 'r1', status: 'New', allowReopen: true });
    await f.settle();
    expect(await counters(f.db, 'acme')).toMatchObject({ open_cta_count: 3, open_risk_cta_count: 2 });
    expect(await f.db.get('SELECT is_open, closed_at FROM cs_ctas WHERE cta_id = ?', ['r1'])).toEqual({ is_open: 1, closed_at: null });

    // A change that leaves the CTA open (or closed) moves nothing.
    await f.updateCta({ ctaId: 'r2', status: 'WorkInProgress', priority: 'High' });
    await f.settle();
    expect(await counters(f.db, 'acme')).toMatchObject({ open_cta_count: 3, open_risk_cta_count: 2 });
    await f.updateCta({ ctaId: 'r2', status: 'ClosedLost' });
    await f.settle();
    expect(await counters(f.db, 'acme')).toMatchObject({ open_cta_count: 2, open_risk_cta_count: 1 });
  });

  it('counts tasks and open tasks on their CTA and copies the CTA company to the task', async () => {
    const f = fx();
    await f.createTask({ ctaId: 'e1', taskId: 't1', title: 'Call the CFO', ownerId: 'alice' });
    await f.createTask({ ctaId: 'e1', taskId: 't2', title: 'Send the quote', ownerId: 'alice', status: 'Completed' });
    await f.settle();
    expect(await f.db.get('SELECT task_count, open_task_count FROM cs_ctas WHERE cta_id = ?', ['e1'])).toEqual({
      task_count: 2,
      open_task_count: 1,
    });
    expect(await f.db.get('SELECT company_id FROM cs_cta_tasks WHERE task_id = ?', ['t1'])).toEqual({ company_id: 'acme' });
  });

  it('counts active plans and the objectives of a plan, open and closed', async () => {
    const f = fx();
    await f.createPlan({ successPlanId: 'p1', companyId: 'acme', name: 'Adoption', ownerId: 'alice', status: 'Active', planType: 'Adoption' });
    await f.createPlan({ successPlanId: 'p2', companyId: 'acme', name: 'Draft plan', ownerId: 'alice' });
    await f.createCta({ ctaId: 'o1', companyId: 'acme', successPlanId: 'p1', name: 'Train admins', type: 'Objective', ownerId: 'alice' });
    await f.createCta({ ctaId: 'o2', companyId: 'acme', successPlanId: 'p1', name: 'Go live', type: 'Objective', ownerId: 'alice' });
    await f.settle();
    expect(await counters(f.db, 'acme')).toMatchObject({ active_plan_count: 1 });
    expect(await f.db.get('SELECT objective_count, open_objective_count, plan_type FROM cs_success_plans WHERE success_plan_id = ?', ['p1'])).toEqual({
      objective_count: 2,
      open_objective_count: 2,
      plan_type: 'Adoption',
    });

    await f.updateCta({ ctaId: 'o1', status: 'ClosedSuccess' });
    await f.updatePlan({ successPlanId: 'p2', status: 'Active' });
    await f.settle();
    expect(await counters(f.db, 'acme')).toMatchObject({ active_plan_count: 2 });
    expect(await f.db.get('SELECT objective_count, open_objective_count FROM cs_success_plans WHERE success_plan_id = ?', ['p1'])).toEqual({
      objective_count: 2,
      open_objective_count: 1,
    });

    await f.updatePlan({ successPlanId: 'p1', status: 'Completed' });
    await f.settle();
    expect(await counters(f.db, 'acme')).toMatchObject({ active_plan_count: 1 });
    const p1 = await f.db.get<{ status: string; closed_at: string | null }>('SELECT status, closed_at FROM cs_success_plans WHERE success_plan_id = ?', ['p1']);
    expect(p1?.status).toBe('Completed');
    expect(p1?.closed_at).toEqual(expect.any(String));
  });

  it('counts activities and keeps last_activity_at the latest occurredAt, also when one moves earlier', async () => {
    const f = fx();
    f.setClock('2025-03-10T12:00:00.000Z');
    await f.logActivity(activity('a1', 'acme', '2025-03-01T10:00:00.000Z'));
    await f.logActivity(activity('a2', 'acme', '2025-03-05T10:00:00.000Z', { kind: 'cta', id: 'e1' }));
    await f.logActivity(activity('a3', 'acme', '2025-03-03T10:00:00.000Z', { kind: 'relationship', id: 'acme-eu' }));
    await f.settle();
    expect(await counters(f.db, 'acme')).toMatchObject({ activity_count: 3, last_activity_at: '2025-03-05T10:00:00.000Z' });

    await f.updateActivity({ activityId: 'a2', occurredAt: '2025-02-01T10:00:00.000Z' });
    await f.settle();
    expect(await counters(f.db, 'acme')).toMatchObject({ activity_count: 3, last_activity_at: '2025-03-03T10:00:00.000Z' });

    await f.updateActivity({ activityId: 'a1', occurredAt: '2025-03-09T10:00:00.000Z', subject: 'renamed' });
    await f.settle();
    expect(await counters(f.db, 'acme')).toMatchObject({ last_activity_at: '2025-03-09T10:00:00.000Z' });
    expect(await f.db.get('SELECT subject, participants FROM cs_timeline_activities WHERE activity_id = ?', ['a1'])).toEqual({
      subject: 'renamed',
      participants: '[]',
    });
  });

  it('resolves the company of an activity that does not carry one from its CTA, plan or relationship', async () => {
    const f = fx();
    const base = { type: 'Email', subject: 'no company', notes: null, occurredAt: '2025-03-02T10:00:00.000Z', participants: [], authorId: 'alice', createdAt: '2025-03-02T10:00:00.000Z' };
    await f.append(timelineActivityStreamName('x1'), 'TimelineActivityCreated', { ...base, activityId: 'x1', context: { kind: 'cta', id: 'r1' } });
    await f.append(timelineActivityStreamName('x2'), 'TimelineActivityCreated', { ...base, activityId: 'x2', context: { kind: 'success_plan', id: 'p1' } });
    await f.append(timelineActivityStreamName('x3'), 'TimelineActivityCreated', { ...base, activityId: 'x3', context: { kind: 'relationship', id: 'acme-eu' } });
    await f.settle();
    const rows = await f.db.all('SELECT activity_id, company_id FROM cs_timeline_activities WHERE activity_id IN (?, ?, ?) ORDER BY activity_id', ['x1', 'x2', 'x3']);
    expect(rows).toEqual([
      { activity_id: 'x1', company_id: 'acme' },
      { activity_id: 'x2', company_id: 'acme' },
      { activity_id: 'x3', company_id: 'acme' },
    ]);
    expect((await counters(f.db, 'acme')).activity_count).toBe(6);
  });

  it('takes health from the latest scorecard by asOf and the trend of each measure from the reading before', async () => {
    const f = fx();
    await f.recordScorecard('acme', '2025-01-01', 80, { Usage: 70, Support: 50 });
    await f.recordScorecard('acme', '2025-03-01', 35, { Usage: 60, Support: 50 });
    await f.settle();
    expect(await counters(f.db, 'acme')).toMatchObject({ health_score: 35, health_color: 'Red', health_as_of: '2025-03-01' });
    const measures = async () =>
      (await f.db.all<{ name: string; score: number; previous_score: number | null; trend: string | null; as_of: string }>(
        'SELECT name, score, previous_score, trend, as_of FROM cs_scorecard_measures WHERE company_id = ? ORDER BY name',
        ['acme'],
      )).map((m) => ({ ...m, score: Number(m.score), previous_score: m.previous_score === null ? null : Number(m.previous_score) }));
    expect(await measures()).toEqual([
      { name: 'Support', score: 50, previous_score: 50, trend: 'flat', as_of: '2025-03-01' },
      { name: 'Usage', score: 60, previous_score: 70, trend: 'down', as_of: '2025-03-01' },
    ]);

    // A reading imported late, between the two: health stays with the newest, the trend now compares with it.
    await f.recordScorecard('acme', '2025-02-01', 55, { Usage: 40, Support: 65 });
    await f.settle();
    expect(await counters(f.db, 'acme')).toMatchObject({ health_score: 35, health_as_of: '2025-03-01' });
    expect(await measures()).toEqual([
      { name: 'Support', score: 50, previous_score: 65, trend: 'down', as_of: '2025-03-01' },
      { name: 'Usage', score: 60, previous_score: 40, trend: 'up', as_of: '2025-03-01' },
    ]);
    expect(await f.db.get('SELECT COUNT(*) AS n FROM cs_scorecard_history WHERE company_id = ?', ['acme'])).toEqual({ n: 9 });
  });

  it('applies profile changes, keeps name_lower in step and does not touch the counters', async () => {
    const f = fx();
    const before = await counters(f.db, 'acme');
    await f.changeCompany('acme', [
      { field: 'name', from: 'Acme Corp', to: 'ACME Holdings' },
      { field: 'ownerId', from: 'alice', to: 'bob' },
      { field: 'arr', from: 120_000, to: 150_000 },
    ]);
    await f.settle();
    expect(await f.db.get('SELECT name, name_lower, owner_id, arr FROM cs_companies WHERE company_id = ?', ['acme'])).toEqual({
      name: 'ACME Holdings',
      name_lower: 'acme holdings',
      owner_id: 'bob',
      arr: 150_000,
    });
    expect(await counters(f.db, 'acme')).toEqual(before);
  });

  it('counts what was projected for a company before the company itself was imported', async () => {
    const f = fx();
    await f.createCta({ ctaId: 'early', companyId: 'late-co', name: 'Early risk', type: 'Risk', ownerId: 'alice' });
    await f.createPlan({ successPlanId: 'early-plan', companyId: 'late-co', name: 'Plan', ownerId: 'alice', status: 'Active' });
    await f.recordScorecard('late-co', '2025-01-15', 72);
    f.setClock('2025-03-10T12:00:00.000Z');
    await f.logActivity(activity('early-a', 'late-co', '2025-03-04T08:00:00.000Z'));
    await f.importCompany({ companyId: 'late-co', name: 'Late Co', ownerId: 'alice' });
    await f.settle();
    expect(await counters(f.db, 'late-co')).toEqual({
      open_cta_count: 1,
      open_risk_cta_count: 1,
      active_plan_count: 1,
      activity_count: 1,
      last_activity_at: '2025-03-04T08:00:00.000Z',
      health_score: 72,
      health_color: 'Green',
      health_as_of: '2025-01-15',
    });
  });

  it('counts a creation applied a second time once (plans, CTAs, tasks, activities)', async () => {
    const f = fx();
    await f.importCompany({ companyId: 'twice', name: 'Twice Ltd' });
    await f.createPlan({ successPlanId: 'twice-p', companyId: 'twice', name: 'Adoption', ownerId: 'alice', status: 'Active' });
    await f.createCta({ ctaId: 'twice-o', companyId: 'twice', successPlanId: 'twice-p', name: 'Go live', type: 'Objective', ownerId: 'alice' });
    await f.createCta({ ctaId: 'twice-r', companyId: 'twice', name: 'Churn risk', type: 'Risk', ownerId: 'alice' });
    await f.createTask({ ctaId: 'twice-r', taskId: 'twice-t', title: 'Call the CFO', ownerId: 'alice' });
    await f.logActivity(activity('twice-a', 'twice', '2024-12-20T10:00:00.000Z', { kind: 'cta', id: 'twice-r' }));
    await f.settle();
    const snapshot = async () => ({
      company: await counters(f.db, 'twice'),
      plan: await f.db.get('SELECT objective_count, open_objective_count FROM cs_success_plans WHERE success_plan_id = ?', ['twice-p']),
      cta: await f.db.get('SELECT task_count, open_task_count FROM cs_ctas WHERE cta_id = ?', ['twice-r']),
    });
    const once = await snapshot();
    expect(once).toMatchObject({
      company: { open_cta_count: 2, open_risk_cta_count: 1, active_plan_count: 1, activity_count: 1 },
      plan: { objective_count: 1, open_objective_count: 1 },
      cta: { task_count: 1, open_task_count: 1 },
    });
    // The creations again, as a replay out of the runner's control would apply them.
    const creations = (await f.store.readAll({ maxCount: 10_000 })).filter(
      (e) => ['SuccessPlanCreated', 'CtaCreated', 'CtaTaskCreated', 'TimelineActivityCreated'].includes(e.type) && JSON.stringify(e.data).includes('twice'),
    );
    expect(creations).toHaveLength(5);
    const projection = new CustomerSuccessProjection();
    await f.db.transaction(async (tx) => {
      for (const event of creations) await projection.apply(event, tx);
    });
    expect(await snapshot()).toEqual(once);
  });

  it('projects users and their role changes', async () => {
    const f = fx();
    await f.registerUser('bob', 'viewer');
    await f.append('user-bob', 'UserRoleChanged', { userId: 'bob', from: 'viewer', to: 'admin', changedAt: f.now() });
    await f.settle();
    expect(await f.db.get('SELECT email, role FROM cs_users WHERE user_id = ?', ['bob'])).toEqual({ email: 'bob@example.com', role: 'admin' });
  });

  it('rebuilds to exactly the read model it built live', async () => {
    const f = fx();
    await f.settle();
    const live = await dump(f.db);
    await f.runner.rebuild();
    await f.settle();
    expect(await dump(f.db)).toEqual(live);
  });
});
