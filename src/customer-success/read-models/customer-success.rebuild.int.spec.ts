/**
 * Rebuilds the customer_success read model from a book of business shaped like the demo seed and
 * prints the rate. No timed assertion (the machine is shared); it checks the rebuild is complete.
 * REBUILD_COMPANIES=5000 for a larger run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject, NewEvent } from '@csmcp/event-store';
import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { ProjectionRunner, SqliteReadModelDatabase } from '@csmcp/projections';
import { CustomerSuccessProjection } from './customer-success.projection';

const COMPANIES = Number(process.env.REBUILD_COMPANIES ?? 1_000);
const MEASURES = ['Usage', 'Support', 'NPS', 'Engagement', 'Adoption'];

function day(offset: number): string {
  return new Date(Date.UTC(2024, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10);
}

/** Each company: profile, 2 relationships, 3 contacts, 6 scorecards, 1 plan, 5 CTAs (created, updated, one task), 10 activities. */
function bookOfBusiness(companies: number): Array<{ stream: string; events: NewEvent[] }> {
  const out: Array<{ stream: string; events: NewEvent[] }> = [];
  const e = (type: string, data: object): NewEvent => ({ type, data: data as JsonObject });
  const at = '2025-01-01T00:00:00.000Z';
  for (let i = 0; i < companies; i++) {
    const c = `c${i}`;
    out.push({
      stream: `company-${c}`,
      events: [
        e('CompanyImported', {
          companyId: c, name: `Company ${i}`, externalId: null, industry: 'Software', segment: 'SMB', lifecycleStage: 'Adoption',
          region: 'EMEA', employees: 100, arr: 1000 * i, renewalDate: day(i % 365), ownerId: `owner${i % 20}`, importedAt: at,
        }),
      ],
    });
    for (let r = 0; r < 2; r++)
      out.push({
        stream: `relationship-${c}-r${r}`,
        events: [e('RelationshipImported', { relationshipId: `${c}-r${r}`, companyId: c, name: `BU ${r}`, type: 'BU', arr: 10, renewalDate: null, ownerId: null, importedAt: at })],
      });
    for (let p = 0; p < 3; p++)
      out.push({
        stream: `contact-${c}-p${p}`,
        events: [
          e('ContactImported', {
            contactId: `${c}-p${p}`, companyId: c, name: `Person ${p}`, email: null, title: null, role: 'User', sentiment: 'Neutral', isPrimary: p === 0, importedAt: at,
          }),
        ],
      });
    out.push({
      stream: `scorecard-${c}`,
      events: Array.from({ length: 6 }, (_, s) =>
        e('ScorecardRecorded', {
          companyId: c, asOf: day(s * 30), overallScore: (i + s * 7) % 100, overallColor: 'Yellow',
          measures: MEASURES.map((name, m) => ({ name, score: (i + s + m * 13) % 100, color: 'Green', comment: null })), recordedAt: at,
        }),
      ),
    });
    out.push({
      stream: `success_plan-${c}-plan`,
      events: [
        e('SuccessPlanCreated', {
          successPlanId: `${c}-plan`, companyId: c, relationshipId: null, name: 'Plan', planType: null, status: 'Active', ownerId: 'o',
          startDate: null, dueDate: day(200), description: null, createdAt: at,
        }),
      ],
    });
    for (let k = 0; k < 5; k++) {
      const ctaId = `${c}-cta${k}`;
      out.push({
        stream: `cta-${ctaId}`,
        events: [
          e('CtaCreated', {
            ctaId, companyId: c, relationshipId: null, successPlanId: k === 0 ? `${c}-plan` : null, name: `CTA ${k}`,
            type: k === 0 ? 'Objective' : k === 1 ? 'Risk' : 'Activity', priority: 'Medium', status: 'New', ownerId: 'o', dueDate: day(k * 10),
            reason: null, comments: null, createdAt: at,
          }),
          e('CtaUpdated', {
            ctaId,
            changes: k % 2 === 0 ? [{ field: 'status', from: 'New', to: 'ClosedSuccess' }, { field: 'closedAt', from: null, to: at }] : [{ field: 'priority', from: 'Medium', to: 'High' }],
            updatedAt: at,
          }),
          e('CtaTaskCreated', { ctaId, taskId: `${ctaId}-t`, title: 'Task', description: null, ownerId: 'o', dueDate: null, priority: 'Low', status: 'Open', createdAt: at }),
        ],
      });
    }
    for (let a = 0; a < 10; a++)
      out.push({
        stream: `timeline_activity-${c}-a${a}`,
        events: [
          e('TimelineActivityCreated', {
            activityId: `${c}-a${a}`, companyId: c, context: { kind: 'company', id: c }, type: 'Call', subject: 'Call', notes: 'Discussed the renewal',
            occurredAt: `${day(a * 3)}T10:00:00.000Z`, participants: ['a@example.com'], authorId: 'o', createdAt: at,
          }),
        ],
      });
  }
  return out;
}

describe('customer_success rebuild on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'csmcp-cs-rebuild-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`rebuilds a book of ${COMPANIES} companies and reports the rate`, async () => {
    const store = new SqliteEventStore({ filename: join(dir, 'events.db') });
    const db = new SqliteReadModelDatabase({ filename: join(dir, 'read-models.db') });
    const runner = new ProjectionRunner({ store, db, projections: [new CustomerSuccessProjection()] });
    try {
      const appends = bookOfBusiness(COMPANIES);
      for (let i = 0; i < appends.length; i += 2_000)
        await Promise.all(appends.slice(i, i + 2_000).map((a) => store.appendToStream(a.stream, a.events, { expectedRevision: 'no_stream' })));
      const total = appends.reduce((n, a) => n + a.events.length, 0);

      const started = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      await runner.rebuild();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const used = process.cpuUsage(cpu);
      const cpuSeconds = (used.user + used.system) / 1e6;
      // CPU time tells the projection's cost apart from waiting for a core on a busy machine.
      console.log(
        `customer_success rebuild on SQLite: ${total} events in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} events/s ` +
          `(${cpuSeconds.toFixed(2)} s of CPU = ${Math.round(total / cpuSeconds)} events per CPU second)`,
      );

      expect(await db.get('SELECT COUNT(*) AS n FROM cs_companies')).toEqual({ n: COMPANIES });
      expect(await db.get('SELECT COUNT(*) AS n FROM cs_timeline_activities')).toEqual({ n: COMPANIES * 10 });
      expect(await db.get('SELECT SUM(open_cta_count) AS open, SUM(active_plan_count) AS plans, SUM(activity_count) AS acts FROM cs_companies')).toEqual({
        open: COMPANIES * 2,
        plans: COMPANIES,
        acts: COMPANIES * 10,
      });
    } finally {
      await db.close();
      await store.close();
    }
  }, 300_000);
});
