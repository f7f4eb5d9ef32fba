import { randomUUID } from 'node:crypto';
import type { EventMetadataInput, JsonObject, NewEvent } from '@csmcp/event-store';
import { ProjectionRunner, type ReadModelDatabase } from '@csmcp/projections';
import { CustomerSuccessProjection } from '../src/customer-success/read-models/customer-success.projection';
import { forEachConcurrently } from './latency';
import { storeSubject } from './event-store.bench';
import { timeRead, type ReadRate } from './workload';
import type { Target } from './targets';

/**
 * Rebuild of the real `customer_success` projection from zero over a book of business written as
 * the application writes it: one stream per record (company, relationship, contact, scorecard,
 * success plan, CTA, timeline activity), each record's events in one append, 64 appends in flight
 * (as an import does). Beside it, the floor: csmcp's own readAll of the same log, bare.
 *
 * Per company, 32 events: CompanyImported, RelationshipImported, 2 ContactImported, 2 ScorecardRecorded
 * (4 measures each), SuccessPlanCreated + SuccessPlanUpdated (Draft to Active), 5 CtaCreated (one an
 * objective of the plan, one a Risk), 2 CtaUpdated (one work started, one closed), 1 CtaTaskCreated,
 * 15 TimelineActivityCreated (some on a CTA or the plan), 1 TimelineActivityUpdated (moved in time,
 * which recomputes the company's latest activity). Plus one UserRegistered per owner (not handled:
 * the runner only moves its checkpoint past them).
 */

export const EVENTS_PER_COMPANY = 32;
const COMPANIES_PER_OWNER = 50;
const APPENDS_IN_FLIGHT = 64;

export interface CsRebuildResult {
  readonly store: string;
  readonly details: Record<string, string>;
  readonly companies: number;
  readonly events: number;
  /** Time to write the log (not part of any figure). */
  readonly seedSeconds: number;
  readonly rebuild: ReadRate;
  readonly floor: ReadRate;
  /** rebuild rate / floor rate. */
  readonly ratio: number;
  /** Events per second the project wants, on SQLite; null where it set none. */
  readonly targetEventsPerSecond: number | null;
  readonly warnings: string[];
  readonly error?: string;
}

interface Append {
  readonly stream: string;
  readonly events: NewEvent[];
}

const pad = (n: number) => String(n).padStart(6, '0');
const day = (offset: number) => new Date(Date.UTC(2026, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10);
const at = (offset: number, minute: number) => new Date(Date.UTC(2026, 0, 1) + offset * 86_400_000 + minute * 60_000).toISOString();

function mcpMetadata(userId: string, tool: string, i: number): EventMetadataInput {
  return {
    actor: { type: 'user', id: userId, email: `${userId}@example.com` },
    client: { id: 'claude', name: 'Claude' },
    correlationId: randomUUID(),
    causationId: randomUUID(),
    accessContext: 'shared',
    toolName: tool,
    mcpSessionId: `session-${i % 97}`,
    mcpRequestId: i,
    idempotencyKey: null,
    sourceIp: '203.0.113.9',
    occurredAt: at(200, i % 1_440),
  };
}

const IMPORT_METADATA: EventMetadataInput = {
  actor: { type: 'system', id: 'csmcp-cli', name: 'csmcp command line' },
  correlationId: randomUUID(),
  accessContext: 'admin',
  toolName: 'import',
};

const event = (type: string, data: object, metadata: EventMetadataInput): NewEvent => ({ type, data: data as JsonObject, metadata });

/** The reference data (imports), then the work (plans, CTAs, activities), each as a list of appends. */
export function bookOfBusiness(companies: number): { imports: Append[]; work: Append[] } {
  const imports: Append[] = [];
  const work: Append[] = [];
  const owners = Math.max(1, Math.ceil(companies / COMPANIES_PER_OWNER));
  for (let o = 0; o < owners; o++) {
    const userId = `u-owner-${o}`;
    imports.push({
      stream: `user-${userId}`,
      events: [event('UserRegistered', { userId, email: `${userId}@example.com`, name: `Owner ${o}`, role: 'csm', registeredAt: at(0, 0) }, IMPORT_METADATA)],
    });
  }
  for (let i = 0; i < companies; i++) {
    const c = `co-${pad(i)}`;
    const owner = `u-owner-${Math.floor(i / COMPANIES_PER_OWNER)}`;
    const imported = at(1, i % 1_440);
    const m = IMPORT_METADATA;
    imports.push({
      stream: `company-${c}`,
      events: [
        event('CompanyImported', {
          companyId: c, name: `Company ${i}`, externalId: `crm-${i}`, industry: 'Software', segment: ['Enterprise', 'MidMarket', 'SMB'][i % 3],
          lifecycleStage: 'Adoption', region: 'EMEA', employees: 50 + (i % 5_000), arr: 5_000 + (i % 200) * 1_000, renewalDate: day(300 + (i % 365)),
          ownerId: owner, importedAt: imported,
        }, m),
      ],
    });
    imports.push({
      stream: `relationship-${c}-r0`,
      events: [event('RelationshipImported', { relationshipId: `${c}-r0`, companyId: c, name: 'Main BU', type: 'Business unit', arr: 2_000, renewalDate: null, ownerId: owner, importedAt: imported }, m)],
    });
    for (let p = 0; p < 2; p++)
      imports.push({
        stream: `contact-${c}-p${p}`,
        events: [
          event('ContactImported', {
            contactId: `${c}-p${p}`, companyId: c, name: `Person ${p} of ${i}`, email: `person${p}@company${i}.example.com`, title: p === 0 ? 'VP Operations' : 'Admin',
            role: p === 0 ? 'Champion' : 'User', sentiment: 'Neutral', isPrimary: p === 0, importedAt: imported,
          }, m),
        ],
      });
    imports.push({
      stream: `scorecard-${c}`,
      events: [0, 1].map((s) =>
        event('ScorecardRecorded', {
          companyId: c, asOf: day(30 + s * 90), overallScore: (i * 7 + s * 13) % 100, overallColor: ['Red', 'Yellow', 'Green'][(i + s) % 3],
          measures: ['Product usage', 'Support', 'NPS', 'Executive engagement'].map((name, k) => ({
            name, score: (i + k * 17 + s * 5) % 100, color: ['Red', 'Yellow', 'Green'][(i + k + s) % 3], comment: k === 0 ? 'Weekly active users down' : null,
          })),
          recordedAt: at(30 + s * 90, 0),
        }, m),
      ),
    });

    let n = i * EVENTS_PER_COMPANY;
    const mcp = (tool: string) => mcpMetadata(owner, tool, n++);
    const plan = `${c}-sp0`;
    work.push({
      stream: `success_plan-${plan}`,
      events: [
        event('SuccessPlanCreated', {
          successPlanId: plan, companyId: c, relationshipId: null, name: 'Adoption plan', planType: 'Adoption', status: 'Draft', ownerId: owner,
          startDate: day(150), dueDate: day(240), description: 'Get the second team onboarded before renewal.', createdAt: at(150, i % 1_440),
        }, mcp('create_success_plan')),
        event('SuccessPlanUpdated', { successPlanId: plan, changes: [{ field: 'status', from: 'Draft', to: 'Active' }], updatedAt: at(151, i % 1_440) }, mcp('update_success_plan')),
      ],
    });
    const types = ['Objective', 'Risk', 'Renewal', 'Activity', 'Expansion'];
    const ctaIds = types.map((_, k) => `${c}-cta${k}`);
    types.forEach((type, k) => {
      const ctaId = ctaIds[k];
      const createdAt = at(160 + k, i % 1_440);
      const events: NewEvent[] = [
        event('CtaCreated', {
          ctaId, companyId: c, relationshipId: null, successPlanId: type === 'Objective' ? plan : null, name: `${type} for company ${i}`, type,
          priority: 'Medium', status: 'New', ownerId: owner, dueDate: day(170 + k * 10), reason: type === 'Risk' ? 'Usage dropped 30% in a month' : null,
          comments: null, createdAt,
        }, mcp('create_cta')),
      ];
      if (type === 'Risk') {
        events.push(
          event('CtaUpdated', {
            ctaId, changes: [{ field: 'priority', from: 'Medium', to: 'High' }, { field: 'status', from: 'New', to: 'WorkInProgress' }], updatedAt: at(162 + k, 0),
          }, mcp('update_cta')),
          event('CtaTaskCreated', {
            ctaId, taskId: `${ctaId}-t0`, title: 'Call the executive sponsor', description: null, ownerId: owner, dueDate: day(175), priority: 'High',
            status: 'Open', createdAt: at(162 + k, 5),
          }, mcp('create_cta_task')),
        );
      }
      if (type === 'Activity')
        events.push(
          event('CtaUpdated', {
            ctaId, changes: [{ field: 'status', from: 'New', to: 'ClosedSuccess' }, { field: 'closedAt', from: null, to: at(170, 0) }], updatedAt: at(170, 0),
          }, mcp('update_cta')),
        );
      work.push({ stream: `cta-${ctaId}`, events });
    });
    for (let a = 0; a < 15; a++) {
      const activityId = `${c}-act${a}`;
      const context = a === 0 ? { kind: 'cta', id: ctaIds[1] } : a === 1 ? { kind: 'success_plan', id: plan } : { kind: 'company', id: c };
      const occurredAt = at(100 + a * 7, (i + a) % 1_440);
      const events: NewEvent[] = [
        event('TimelineActivityCreated', {
          activityId, companyId: c, context, type: ['Call', 'Meeting', 'Email', 'Update', 'Milestone'][a % 5], subject: `Touchpoint ${a} with company ${i}`,
          notes: a % 2 === 0 ? 'Walked through the adoption dashboard; they want the renewal terms early.' : null, occurredAt,
          participants: a % 3 === 0 ? ['champion@example.com'] : [], authorId: owner, createdAt: occurredAt,
        }, mcp('create_timeline_activity')),
      ];
      if (a === 2)
        events.push(
          event('TimelineActivityUpdated', { activityId, changes: [{ field: 'occurredAt', from: occurredAt, to: at(205, 0) }], updatedAt: at(205, 1) }, mcp('update_timeline_activity')),
        );
      work.push({ stream: `timeline_activity-${activityId}`, events });
    }
  }
  return { imports, work };
}

type Log = (line: string) => void;

/**
 * Seeds the store of a fresh target with `companies` companies' worth of events, then alternates
 * bare readAll passes (the floor) and rebuilds of customer_success into the target's read-model
 * database, `rounds` of each.
 */
export async function measureCsRebuild(target: Target, companies: number, rounds: number, log: Log): Promise<CsRebuildResult> {
  const say = (line: string) => log(`  ${target.name} · customer_success rebuild · ${line}`);
  const base = {
    store: target.name,
    details: target.details,
    companies,
    targetEventsPerSecond: target.name === 'sqlite' ? 20_000 : null,
    warnings: [] as string[],
  };
  const noRate: ReadRate = { events: 0, seconds: 0, eventsPerSecond: 0, complete: false };
  let events = 0;
  let seedSeconds = 0;
  try {
    const book = bookOfBusiness(companies);
    const seedStarted = performance.now();
    for (const phase of [book.imports, book.work])
      await forEachConcurrently(phase, APPENDS_IN_FLIGHT, async ({ stream, events: list }) => {
        await target.store.appendToStream(stream, list, { expectedRevision: 'no_stream' });
        events += list.length;
      });
    seedSeconds = (performance.now() - seedStarted) / 1000;
    say(`log of ${events.toLocaleString('en-US')} events (${book.imports.length + book.work.length} appends) written in ${seedSeconds.toFixed(1)} s`);

    const bare = storeSubject(target.store);
    const runner = new ProjectionRunner({ store: target.store, db: target.readModel, projections: [new CustomerSuccessProjection()] });
    const rebuilds: ReadRate[] = [];
    const floors: ReadRate[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const side of round % 2 === 0 ? (['floor', 'rebuild'] as const) : (['rebuild', 'floor'] as const)) {
        if (side === 'floor') floors.push(await timeRead(() => bare.replay(1_000, Infinity)));
        else
          rebuilds.push(
            await timeRead(async () => {
              await runner.rebuild();
              return { events, complete: true };
            }),
          );
      }
    }
    for (const floor of floors) if (floor.events !== events) base.warnings.push(`the bare readAll read ${floor.events} events, ${events} were written`);
    base.warnings.push(...(await checkRebuilt(target.readModel, companies)));
    const rebuild = combine(rebuilds);
    const floor = combine(floors);
    say(`rebuild ${Math.round(rebuild.eventsPerSecond).toLocaleString('en-US')} events/s, bare readAll ${Math.round(floor.eventsPerSecond).toLocaleString('en-US')} events/s`);
    return { ...base, events, seedSeconds, rebuild, floor, ratio: rebuild.eventsPerSecond / floor.eventsPerSecond };
  } catch (error) {
    say(`failed: ${(error as Error).stack ?? String(error)}`);
    return { ...base, events, seedSeconds, rebuild: noRate, floor: noRate, ratio: NaN, error: String((error as Error).message ?? error) };
  }
}

function combine(passes: readonly ReadRate[]): ReadRate {
  const events = passes.reduce((a, p) => a + p.events, 0);
  const seconds = passes.reduce((a, p) => a + p.seconds, 0);
  return { events, seconds, eventsPerSecond: events / seconds, complete: passes.every((p) => p.complete) };
}

/** The read model the rebuild left, against what the book of business must give. */
async function checkRebuilt(db: ReadModelDatabase, companies: number): Promise<string[]> {
  const problems: string[] = [];
  const one = async (sql: string) => Number((await db.get<{ n: number | string | null }>(sql))?.n ?? 0);
  const expectations: Array<[string, string, number]> = [
    ['companies', 'SELECT COUNT(*) AS n FROM cs_companies', companies],
    ['CTAs', 'SELECT COUNT(*) AS n FROM cs_ctas', companies * 5],
    ['open CTAs (counters)', 'SELECT SUM(open_cta_count) AS n FROM cs_companies', companies * 4],
    ['open risk CTAs (counters)', 'SELECT SUM(open_risk_cta_count) AS n FROM cs_companies', companies],
    ['active plans (counters)', 'SELECT SUM(active_plan_count) AS n FROM cs_companies', companies],
    ['open objectives', 'SELECT SUM(open_objective_count) AS n FROM cs_success_plans', companies],
    ['tasks', 'SELECT COUNT(*) AS n FROM cs_cta_tasks', companies],
    ['activities', 'SELECT SUM(activity_count) AS n FROM cs_companies', companies * 15],
    ['scorecard measures', 'SELECT COUNT(*) AS n FROM cs_scorecard_measures', companies * 4],
    ['contacts', 'SELECT COUNT(*) AS n FROM cs_contacts', companies * 2],
  ];
  for (const [what, sql, wanted] of expectations) {
    const got = await one(sql);
    if (got !== wanted) problems.push(`after the rebuild, ${what}: ${got}, expected ${wanted}`);
  }
  return problems;
}
