import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule, QueryBus } from '@nestjs/cqrs';
import { Test, type TestingModule } from '@nestjs/testing';
import { PostgresReadModelDatabase, SqliteReadModelDatabase, type ReadModelDatabase } from '@csmcp/projections';
import { DATABASE_URL, dropSchema, freshSchemaName } from '../../../libs/projections/test/support/postgres';
import { READ_MODEL_DB } from '../../infrastructure/tokens';
import { LIFECYCLE_STAGES, SEGMENTS } from '../companies/company.events';
import { CustomerSuccessProjection } from '../read-models/customer-success.projection';
import { HEALTH_COLORS, colorOf } from '../scorecards/scorecard.events';
import { CTA_STATUSES, CTA_TYPES, PRIORITIES, TIMELINE_ACTIVITY_TYPES } from '../shared/values';
import { AnalysisQueryError } from './analysis-error';
import type { AnalysisResult } from './analysis-query';
import { AnalysisModule } from './analysis.module';
import { randomValidQuery, seeded, type Random } from './analysis-spec.helpers';
import { AnalyzeAccountsQuery } from './analyze-accounts.query';
import { compileAnalysis } from './compile';
import { addDays } from './days';

/**
 * The analysis end to end through the query bus, on a SQLite file and on a PostgreSQL schema holding
 * the cs_* tables of docs/read-models.md (created by the customer_success projection), with a seeded
 * data set written straight into cs_companies, cs_ctas and cs_timeline_activities. Every answer is checked against the same question computed in plain TypeScript.
 */

const NOW = new Date('2025-06-15T10:00:00Z');
const TODAY = '2025-06-15';
const OWNERS = ['u1', 'u2', 'u3', 'u4', 'u5'];


// ---- the data set ----

interface Company {
  company_id: string;
  name: string;
  name_lower: string;
  external_id: string | null;
  industry: string | null;
  segment: string | null;
  lifecycle_stage: string | null;
  region: string | null;
  employees: number | null;
  arr: number;
  renewal_date: string | null;
  owner_id: string | null;
  health_score: number | null;
  health_color: string | null;
  health_as_of: string | null;
  open_cta_count: number;
  open_risk_cta_count: number;
  active_plan_count: number;
  activity_count: number;
  last_activity_at: string | null;
  created_at: string;
  updated_at: string;
}

interface Cta {
  cta_id: string;
  company_id: string;
  relationship_id: string | null;
  success_plan_id: string | null;
  name: string;
  type: string;
  priority: string;
  status: string;
  is_open: number;
  owner_id: string;
  due_date: string | null;
  reason: string | null;
  comments: string | null;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  task_count: number;
  open_task_count: number;
}

interface Activity {
  activity_id: string;
  company_id: string;
  context_kind: string;
  context_id: string;
  type: string;
  subject: string;
  notes: string | null;
  occurred_at: string;
  author_id: string;
  participants: string;
  created_at: string;
  updated_at: string;
}

const pad = (n: number, width = 3) => String(n).padStart(width, '0');
const at = (day: string, r: Random) => `${day}T${pad(r.int(0, 23), 2)}:${pad(r.int(0, 59), 2)}:${pad(r.int(0, 59), 2)}.${pad(r.int(0, 999))}Z`;
const maybe = <T>(r: Random, p: number, value: () => T): T | null => (r.chance(p) ? null : value());

function dataSet() {
  const r = seeded(1);
  const companies: Company[] = [];
  for (let i = 0; i < 300; i++) {
    const score = maybe(r, 0.1, () => r.int(0, 200) / 2);
    const name = [`50% Off_Deals!`, '50 Percent Off Deals', 'OFF_SHORE Ltd'][i - 3] ?? `${r.pick(['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli'])} ${pad(i)}`;
    const created = at(addDays('2024-01-01', r.int(0, 300)), r);
    companies.push({
      company_id: `co-${pad(i)}`,
      name,
      name_lower: name.toLowerCase(),
      external_id: maybe(r, 0.5, () => `crm-${i}`),
      industry: maybe(r, 0.2, () => r.pick(['Banking', 'Retail', 'Software'])),
      segment: maybe(r, 0.1, () => r.pick(SEGMENTS)),
      lifecycle_stage: maybe(r, 0.1, () => r.pick(LIFECYCLE_STAGES)),
      region: maybe(r, 0.2, () => r.pick(['EMEA', 'AMER', 'APAC'])),
      employees: maybe(r, 0.2, () => r.int(5, 20_000)),
      arr: r.int(0, 400) * 500,
      renewal_date: maybe(r, 0.1, () => addDays(TODAY, r.int(-60, 400))),
      owner_id: r.chance(1 / 12) ? null : r.pick(OWNERS),
      health_score: score,
      health_color: score === null ? null : colorOf(score),
      health_as_of: score === null ? null : addDays(TODAY, -r.int(0, 30)),
      open_cta_count: 0,
      open_risk_cta_count: 0,
      active_plan_count: r.int(0, 3),
      activity_count: 0,
      last_activity_at: maybe(r, 0.15, () => at(addDays(TODAY, -r.int(0, 120)), r)),
      created_at: created,
      updated_at: created,
    });
  }
  // The edges of "red, renewing in 0..90 days, no activity for 30 days": renewal today, in 90 and
  // 91 days, yesterday; last activity at the last instant of day 30 ago, the first of day 29 ago.
  const edge = (i: number, renewal: number, lastActivity: string | null) =>
    Object.assign(companies[i], { health_score: 20, health_color: 'Red', renewal_date: addDays(TODAY, renewal), last_activity_at: lastActivity, owner_id: 'u1' });
  edge(6, 0, null);
  edge(7, 90, '2025-01-01T00:00:00.000Z');
  edge(8, 91, null);
  edge(9, -1, null);
  edge(10, 10, '2025-05-16T23:59:59.999Z');
  edge(11, 10, '2025-05-17T00:00:00.000Z');

  const ctas: Cta[] = [];
  for (let i = 0; i < 900; i++) {
    const company = r.pick(companies);
    const status = r.pick(CTA_STATUSES);
    const open = status === 'New' || status === 'WorkInProgress';
    const created = at(addDays(TODAY, -r.int(0, 200)), r);
    const type = r.pick(CTA_TYPES);
    const tasks = r.int(0, 4);
    ctas.push({
      cta_id: `cta-${pad(i)}`,
      company_id: company.company_id,
      relationship_id: null,
      success_plan_id: type === 'Objective' ? `sp-${r.int(0, 50)}` : null,
      name: `CTA ${i}`,
      type,
      priority: r.pick(PRIORITIES),
      status,
      is_open: open ? 1 : 0,
      owner_id: r.pick(OWNERS),
      due_date: maybe(r, 0.1, () => addDays(TODAY, r.int(-60, 60))),
      reason: maybe(r, 0.5, () => r.pick(['Low usage', 'Champion left', 'Budget cut'])),
      comments: null,
      created_at: created,
      updated_at: created,
      closed_at: open ? null : created,
      task_count: tasks,
      open_task_count: open ? r.int(0, tasks) : 0,
    });
    if (open) {
      company.open_cta_count++;
      if (type === 'Risk') company.open_risk_cta_count++;
    }
  }

  const activities: Activity[] = [];
  for (let i = 0; i < 1200; i++) {
    const company = r.pick(companies);
    const occurred = at(addDays(TODAY, -r.int(0, 200)), r);
    activities.push({
      activity_id: `act-${pad(i, 4)}`,
      company_id: company.company_id,
      context_kind: 'company',
      context_id: company.company_id,
      type: r.pick(TIMELINE_ACTIVITY_TYPES),
      subject: `Subject ${i}`,
      notes: null,
      occurred_at: occurred,
      author_id: r.pick(OWNERS),
      participants: '[]',
      created_at: occurred,
      updated_at: occurred,
    });
    company.activity_count++;
  }
  return { companies, ctas, activities };
}

const DATA = dataSet();

async function load(db: ReadModelDatabase): Promise<void> {
  // The tables of docs/read-models.md as the customer_success projection creates them.
  await new CustomerSuccessProjection().setup(db);
  await db.transaction(async (tx) => {
    for (const [table, rows] of [
      ['cs_companies', DATA.companies],
      ['cs_ctas', DATA.ctas],
      ['cs_timeline_activities', DATA.activities],
    ] as const) {
      const columns = Object.keys(rows[0]);
      const insert = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
      for (const row of rows) await tx.run(insert, Object.values(row) as (string | number | null)[]);
    }
  });
}

// ---- the same questions in TypeScript ----

const DAY_MS = 86_400_000;
const daysFromTo = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / DAY_MS;
const renewalInDays = (c: Company) => (c.renewal_date === null ? null : daysFromTo(TODAY, c.renewal_date));
/** Infinity for a company without activity. */
const daysSinceLastActivity = (c: Company) => (c.last_activity_at === null ? Infinity : daysFromTo(c.last_activity_at.slice(0, 10), TODAY));
const daysOverdue = (t: Cta) => (t.is_open === 1 && t.due_date !== null ? daysFromTo(t.due_date, TODAY) : null);
const companyOf = new Map(DATA.companies.map((c) => [c.company_id, c]));

type Key = string | number | null;
/** SQL order: nulls last, text by code unit (bytewise for this ASCII data). */
function compareKeys(a: Key, b: Key): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
function orderBy<T>(rows: T[], ...keys: [(row: T) => Key, 'asc' | 'desc'][]): T[] {
  return [...rows].sort((x, y) => {
    for (const [key, dir] of keys) {
      const a = key(x);
      const b = key(y);
      const c = a === null || b === null ? compareKeys(a, b) : dir === 'asc' ? compareKeys(a, b) : compareKeys(b, a);
      if (c !== 0) return c;
    }
    return 0;
  });
}
function groupRows<T>(rows: T[], key: (row: T) => Key[]): Map<string, { key: Key[]; rows: T[] }> {
  const groups = new Map<string, { key: Key[]; rows: T[] }>();
  for (const row of rows) {
    const k = key(row);
    const id = JSON.stringify(k);
    const group = groups.get(id) ?? { key: k, rows: [] };
    group.rows.push(row);
    groups.set(id, group);
  }
  return groups;
}
const sum = (values: number[]) => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0));
const avg = (values: number[]) => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);

const isRedRenewingSoonAndQuiet = (c: Company) => {
  const renewal = renewalInDays(c);
  return c.health_color === 'Red' && renewal !== null && renewal >= 0 && renewal <= 90 && daysSinceLastActivity(c) >= 30;
};

const RED_QUIET_BY_OWNER = {
  entity: 'companies',
  filter: {
    all: [
      { field: 'health_color', op: 'eq', value: 'Red' },
      { field: 'renewal_in_days', op: 'between', value: [0, 90] },
      { field: 'days_since_last_activity', op: 'gte', value: 30 },
    ],
  },
  group_by: ['owner_id'],
  metrics: [{ fn: 'sum', field: 'arr', as: 'total_arr' }, { fn: 'count', as: 'accounts' }],
  sort: [{ by: 'total_arr', dir: 'desc' }],
  limit: 50,
};

function redQuietByOwner(visible: string[] | null) {
  const companies = DATA.companies.filter((c) => isRedRenewingSoonAndQuiet(c) && (visible === null || (c.owner_id !== null && visible.includes(c.owner_id))));
  const groups = [...groupRows(companies, (c) => [c.owner_id]).values()].map((g) => ({
    owner_id: g.key[0],
    total_arr: sum(g.rows.map((c) => c.arr)),
    accounts: g.rows.length,
  }));
  return orderBy(groups, [(g) => g.total_arr, 'desc'], [(g) => g.owner_id, 'asc']);
}

// ---- the databases ----

@Module({})
class ReadModelsForTest {
  static with(db: ReadModelDatabase): DynamicModule {
    return { module: ReadModelsForTest, global: true, providers: [{ provide: READ_MODEL_DB, useValue: db }], exports: [READ_MODEL_DB] };
  }
}

interface Backend {
  name: 'sqlite' | 'postgres';
  db: ReadModelDatabase;
  app: TestingModule;
  analyze(query: unknown, visibleOwnerIds?: string[] | null): Promise<AnalysisResult>;
}

const dir = mkdtempSync(join(tmpdir(), 'csmcp-analysis-'));
const schema = freshSchemaName('csmcp_analysis');
const backends: Record<'sqlite' | 'postgres', Backend> = {} as never;

async function open(name: 'sqlite' | 'postgres'): Promise<Backend> {
  const db =
    name === 'sqlite'
      ? new SqliteReadModelDatabase({ filename: join(dir, 'read-models.db') })
      : new PostgresReadModelDatabase({ connectionString: DATABASE_URL, schema, poolSize: 2 });
  await load(db);
  const app = await Test.createTestingModule({ imports: [CqrsModule.forRoot(), ReadModelsForTest.with(db), AnalysisModule] }).compile();
  await app.init();
  const bus = app.get(QueryBus);
  return {
    name,
    db,
    app,
    analyze: (query, visibleOwnerIds = null) =>
      bus.execute(new AnalyzeAccountsQuery({ query, viewer: { userId: 'u-viewer', visibleOwnerIds }, now: NOW })),
  };
}

beforeAll(async () => {
  backends.sqlite = await open('sqlite');
  backends.postgres = await open('postgres');
});

afterAll(async () => {
  for (const backend of Object.values(backends)) {
    await backend.app.close();
    await backend.db.close();
  }
  await dropSchema(schema);
  rmSync(dir, { recursive: true, force: true });
});

describe.each(['sqlite', 'postgres'] as const)('analysis on %s', (name) => {
  const analyze = (query: unknown, visible: string[] | null = null) => backends[name].analyze(query, visible);

  it('red accounts renewing in 90 days with no activity in 30 days, by owner, sum of ARR', async () => {
    const expected = redQuietByOwner(null);
    expect(expected.length).toBeGreaterThan(2);
    const result = await analyze(RED_QUIET_BY_OWNER);
    expect(result).toEqual({
      entity: 'companies',
      columns: [
        { name: 'owner_id', type: 'text', role: 'group' },
        { name: 'total_arr', type: 'number', role: 'metric' },
        { name: 'accounts', type: 'number', role: 'metric' },
      ],
      rows: expected,
      rowCount: expected.length,
      truncated: false,
      explanation:
        'Companies where health_color = "Red" and renewal_in_days between 0 and 90 and days_since_last_activity >= 30 (or never), ' +
        'grouped by owner_id: total_arr = sum of arr, accounts = count; sorted by total_arr desc; first 50 groups; days counted from 2025-06-15 (UTC)',
    });
    expect(JSON.stringify(result)).not.toMatch(/SELECT|cs_companies/);
  });

  it('plans the typical analysis as one read of cs_companies, without a join', async () => {
    const { db } = backends[name];
    const compiled = compileAnalysis(RED_QUIET_BY_OWNER, { now: NOW, dialect: name, visibleOwnerIds: null });
    const plan = (await db.all<Record<string, unknown>>(`EXPLAIN ${name === 'sqlite' ? 'QUERY PLAN ' : ''}${compiled.sql}`, compiled.params))
      .map((row) => String(row.detail ?? row['QUERY PLAN']))
      .join('\n');
    expect(plan).not.toMatch(/join|subplan|cs_ctas|cs_timeline/i);
    expect(plan.match(name === 'sqlite' ? /\b(SCAN|SEARCH) c\b/g : /\bon cs_companies c\b/g)).toHaveLength(1);
    // SQLite takes the renewal window from the renewal_date index.
    if (name === 'sqlite') expect(plan).toContain('SEARCH c USING INDEX cs_companies_renewal (renewal_date>? AND renewal_date<?)');
  });

  it('counts the edges of the day windows as the TypeScript definition does', async () => {
    const result = await analyze({ ...RED_QUIET_BY_OWNER, group_by: undefined, metrics: undefined, sort: [{ by: 'company_id' }], filter: {
      all: [...RED_QUIET_BY_OWNER.filter.all, { field: 'company_id', op: 'in', value: ['co-006', 'co-007', 'co-008', 'co-009', 'co-010', 'co-011'] }],
    } });
    // Renewal today and in 90 days: in; in 91 days or yesterday: out. Last activity on day 30 ago (even
    // at its last millisecond) or never: quiet; on day 29 ago: not.
    expect(result.rows.map((r) => [r.company_id, r.renewal_in_days, r.days_since_last_activity])).toEqual([
      ['co-006', 0, null],
      ['co-007', 90, 165],
      ['co-010', 10, 30],
    ]);
  });

  it('only ever sees the companies of the visible owners', async () => {
    expect((await analyze(RED_QUIET_BY_OWNER, ['u1', 'u3'])).rows).toEqual(redQuietByOwner(['u1', 'u3']));
    // A filter naming another owner does not widen the scope.
    const escape = await analyze({ entity: 'companies', filter: { any: [{ field: 'owner_id', op: 'eq', value: 'u2' }, { field: 'owner_id', op: 'is_null' }] }, metrics: [{ fn: 'count' }] }, ['u1']);
    expect(escape.rows).toEqual([{ count: 0 }]);
    const none = await analyze({ entity: 'ctas' }, []);
    expect(none).toMatchObject({ rows: [], rowCount: 0, truncated: false });
    const ctas = await analyze({ entity: 'ctas', group_by: ['company.owner_id'], metrics: [{ fn: 'count' }] }, ['u2', 'u4']);
    const expected = orderBy(
      [...groupRows(DATA.ctas.filter((t) => ['u2', 'u4'].includes(companyOf.get(t.company_id)!.owner_id!)), (t) => [companyOf.get(t.company_id)!.owner_id]).values()].map(
        (g) => ({ 'company.owner_id': g.key[0], count: g.rows.length }),
      ),
      [(g) => g['company.owner_id'], 'asc'],
    );
    expect(ctas.rows).toEqual(expected);
    expect(ctas.explanation).toMatch(/; only CTAs of the companies you may see$/);
  });

  it('contains is case-insensitive and takes % _ ! literally', async () => {
    const names = async (value: string) =>
      (await analyze({ entity: 'companies', filter: { field: 'name', op: 'contains', value }, sort: [{ by: 'name' }] })).rows.map((r) => r.name);
    expect(await names('off_')).toEqual(['50% Off_Deals!', 'OFF_SHORE Ltd']);
    expect(await names('50%')).toEqual(['50% Off_Deals!']);
    expect(await names('DEALS!')).toEqual(['50% Off_Deals!']);
    expect(await names('o_f')).toEqual([]);
  });

  it('ne and not eq both keep the rows where the field is empty', async () => {
    const count = async (filter: unknown) => (await analyze({ entity: 'companies', filter, metrics: [{ fn: 'count' }] })).rows[0].count;
    const expected = DATA.companies.filter((c) => c.segment !== 'SMB').length;
    expect(DATA.companies.some((c) => c.segment === null)).toBe(true);
    expect(await count({ field: 'segment', op: 'ne', value: 'SMB' })).toBe(expected);
    expect(await count({ not: { field: 'segment', op: 'eq', value: 'SMB' } })).toBe(expected);
    expect(await count({ not: { not: { field: 'segment', op: 'eq', value: 'SMB' } } })).toBe(DATA.companies.length - expected);
  });

  it('rows: default columns, largest ARR first, ties by id, truncated at the limit', async () => {
    const result = await analyze({ entity: 'companies', limit: 10 });
    const expected = orderBy(DATA.companies, [(c) => c.arr, 'desc'], [(c) => c.company_id, 'asc'])
      .slice(0, 10)
      .map((c) => ({
        company_id: c.company_id,
        name: c.name,
        segment: c.segment,
        owner_id: c.owner_id,
        arr: c.arr,
        renewal_date: c.renewal_date,
        health_color: c.health_color,
      }));
    expect(result).toMatchObject({ rows: expected, rowCount: 10, truncated: true });
  });

  it('sorts the never-active companies first when sorting by days since last activity, descending', async () => {
    const result = await analyze({ entity: 'companies', sort: [{ by: 'days_since_last_activity', dir: 'desc' }], limit: 80 });
    const expected = orderBy(DATA.companies, [(c) => daysSinceLastActivity(c), 'desc'], [(c) => c.company_id, 'asc']).slice(0, 80);
    expect(result.rows.map((r) => r.company_id)).toEqual(expected.map((c) => c.company_id));
    expect(result.rows[0].days_since_last_activity).toBeNull();
    expect(result.rows[79].days_since_last_activity).toBe(daysSinceLastActivity(expected[79]));
  });

  it('buckets renewals by month', async () => {
    const result = await analyze({
      entity: 'companies',
      filter: { field: 'renewal_in_days', op: 'between', value: [0, 365] },
      group_by: ['renewal_month'],
      metrics: [{ fn: 'count', as: 'renewals' }, { fn: 'sum', field: 'arr', as: 'arr_up_for_renewal' }, { fn: 'max', field: 'renewal_date', as: 'last' }],
    });
    const companies = DATA.companies.filter((c) => renewalInDays(c) !== null && renewalInDays(c)! >= 0 && renewalInDays(c)! <= 365);
    const expected = orderBy(
      [...groupRows(companies, (c) => [c.renewal_date!.slice(0, 7)]).values()].map((g) => ({
        renewal_month: g.key[0],
        renewals: g.rows.length,
        arr_up_for_renewal: sum(g.rows.map((c) => c.arr)),
        last: g.rows.map((c) => c.renewal_date!).sort().at(-1),
      })),
      [(g) => g.renewal_month, 'asc'],
    );
    expect(result.rows).toEqual(expected);
    expect(result.rows.length).toBeGreaterThanOrEqual(12);
  });

  it('overdue CTAs by company segment and type: count, average and worst days overdue', async () => {
    const result = await analyze({
      entity: 'ctas',
      filter: { field: 'days_overdue', op: 'gt', value: 0 },
      group_by: ['company.segment', 'type'],
      metrics: [{ fn: 'count', as: 'ctas' }, { fn: 'avg', field: 'days_overdue', as: 'avg_days' }, { fn: 'max', field: 'days_overdue', as: 'worst' }],
      sort: [{ by: 'ctas', dir: 'desc' }],
      limit: 1000,
    });
    const overdue = DATA.ctas.filter((t) => (daysOverdue(t) ?? 0) > 0);
    const expected = orderBy(
      [...groupRows(overdue, (t) => [companyOf.get(t.company_id)!.segment, t.type]).values()].map((g) => ({
        'company.segment': g.key[0],
        type: g.key[1],
        ctas: g.rows.length,
        avg_days: avg(g.rows.map((t) => daysOverdue(t)!)),
        worst: Math.max(...g.rows.map((t) => daysOverdue(t)!)),
      })),
      [(g) => g.ctas, 'desc'],
      [(g) => g['company.segment'], 'asc'],
      [(g) => g.type, 'asc'],
    );
    expect(result.rows).toEqual(expected);
  });

  it('CTA rows with booleans as booleans', async () => {
    const result = await analyze({ entity: 'ctas', filter: { field: 'days_overdue', op: 'between', value: [1, 30] }, fields: ['is_open'], limit: 1000 });
    const expected = orderBy(
      DATA.ctas.filter((t) => (daysOverdue(t) ?? 0) >= 1 && daysOverdue(t)! <= 30),
      [(t) => t.due_date, 'asc'],
      [(t) => t.cta_id, 'asc'],
    );
    expect(result.rows.map((r) => [r.cta_id, r.is_open, r.days_overdue, r['company.name']])).toEqual(
      expected.map((t) => [t.cta_id, true, daysOverdue(t), companyOf.get(t.company_id)!.name]),
    );
  });

  it('timeline activities of the last 30 days by owner and type, within the scope', async () => {
    const result = await analyze(
      { entity: 'timeline_activities', filter: { field: 'days_ago', op: 'lt', value: 30 }, group_by: ['company.owner_id', 'type'], metrics: [{ fn: 'count' }] },
      ['u1', 'u2'],
    );
    const recent = DATA.activities.filter((a) => daysFromTo(a.occurred_at.slice(0, 10), TODAY) < 30 && ['u1', 'u2'].includes(companyOf.get(a.company_id)!.owner_id!));
    const expected = orderBy(
      [...groupRows(recent, (a) => [companyOf.get(a.company_id)!.owner_id, a.type]).values()].map((g) => ({
        'company.owner_id': g.key[0],
        type: g.key[1],
        count: g.rows.length,
      })),
      [(g) => g['company.owner_id'], 'asc'],
      [(g) => g.type, 'asc'],
    );
    expect(result.rows).toEqual(expected);
  });

  it('companies with overdue CTAs (counted from cs_ctas, today given)', async () => {
    const result = await analyze({ entity: 'companies', filter: { field: 'overdue_cta_count', op: 'gte', value: 2 }, fields: ['overdue_cta_count'], limit: 1000 });
    const overdue = (c: Company) => DATA.ctas.filter((t) => t.company_id === c.company_id && (daysOverdue(t) ?? 0) > 0).length;
    const expected = orderBy(DATA.companies.filter((c) => overdue(c) >= 2), [(c) => c.arr, 'desc'], [(c) => c.company_id, 'asc']);
    expect(expected.length).toBeGreaterThan(0);
    expect(result.rows.map((r) => [r.company_id, r.overdue_cta_count])).toEqual(expected.map((c) => [c.company_id, overdue(c)]));
  });

  it('totals without group_by: one row', async () => {
    const result = await analyze({
      entity: 'companies',
      metrics: [
        { fn: 'count' },
        { fn: 'sum', field: 'arr' },
        { fn: 'avg', field: 'health_score' },
        { fn: 'min', field: 'renewal_date' },
        { fn: 'max', field: 'last_activity_at' },
        { fn: 'count_distinct', field: 'owner_id', as: 'owners' },
        { fn: 'count', field: 'renewal_date', as: 'with_renewal' },
        { fn: 'sum', field: 'open_risk_cta_count', as: 'open_risks' },
      ],
    });
    const present = <T>(values: (T | null)[]) => values.filter((v): v is T => v !== null);
    expect(result.rows).toEqual([
      {
        count: DATA.companies.length,
        sum_arr: sum(DATA.companies.map((c) => c.arr)),
        avg_health_score: avg(present(DATA.companies.map((c) => c.health_score))),
        min_renewal_date: present(DATA.companies.map((c) => c.renewal_date)).sort()[0],
        max_last_activity_at: present(DATA.companies.map((c) => c.last_activity_at)).sort().at(-1),
        owners: new Set(present(DATA.companies.map((c) => c.owner_id))).size,
        with_renewal: present(DATA.companies.map((c) => c.renewal_date)).length,
        open_risks: DATA.ctas.filter((t) => t.is_open === 1 && t.type === 'Risk').length,
      },
    ]);
    expect(result.truncated).toBe(false);
  });

  it('an instant compared with a date means that UTC day', async () => {
    const ids = async (op: string, value: string) =>
      (await analyze({ entity: 'companies', filter: { field: 'last_activity_at', op, value }, limit: 1000, sort: [{ by: 'company_id' }] })).rows.map((r) => r.company_id);
    const day = (c: Company) => c.last_activity_at?.slice(0, 10) ?? null;
    const expected = (test: (d: string) => boolean) => DATA.companies.filter((c) => day(c) !== null && test(day(c)!)).map((c) => c.company_id);
    expect(await ids('eq', '2025-05-16')).toEqual(expected((d) => d === '2025-05-16'));
    expect(await ids('eq', '2025-05-16')).toContain('co-010');
    expect(await ids('lte', '2025-05-16')).toEqual(expected((d) => d <= '2025-05-16'));
    expect(await ids('gt', '2025-05-16')).toEqual(expected((d) => d > '2025-05-16'));
    expect(await ids('lt', '2025-05-17T00:00:00Z')).toEqual(expected((d) => d <= '2025-05-16'));
  });

  it('refuses an invalid query through the bus with INVALID_QUERY, before touching the database', async () => {
    const error = await analyze({ entity: 'companies', filter: { field: 'renewal', op: 'eq', value: 1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AnalysisQueryError);
    expect(error).toMatchObject({ code: 'INVALID_QUERY', field: 'filter.field' });
  });
});

describe('analysis on SQLite and PostgreSQL', () => {
  it('gives the same answer to 150 random valid queries', async () => {
    const random = seeded(99);
    for (let i = 0; i < 150; i++) {
      const query = randomValidQuery(random);
      const visible = random.chance(0.3) ? ['u1', 'u3'] : null;
      const [fromSqlite, fromPostgres] = await Promise.all([backends.sqlite.analyze(query, visible), backends.postgres.analyze(query, visible)]);
      try {
        expect(fromPostgres).toEqual(fromSqlite);
        expect(fromSqlite.rowCount).toBeLessThanOrEqual(typeof query.limit === 'number' ? query.limit : 50);
      } catch (error) {
        throw new Error(`#${i} ${JSON.stringify(query)} (visible: ${JSON.stringify(visible)})\n${(error as Error).message}`);
      }
    }
  });
});

// Keeps the enum imports honest: the data set uses every health color.
it('data set sanity', () => {
  expect(new Set(DATA.companies.map((c) => c.health_color))).toEqual(new Set([...HEALTH_COLORS, null]));
});
