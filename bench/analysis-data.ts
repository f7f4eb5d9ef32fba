import type { ReadModelDatabase, SqlExecutor, SqlParam } from '@csmcp/projections';
import { addDays } from '../src/customer-success/analysis/days';
import { OVERALL_MEASURE } from '../src/customer-success/read-models/customer-success.tables';

/**
 * A book of business written straight into the cs_* tables (the read model the `customer_success`
 * projection keeps), deterministic for a given company count: company i always gets the same rows.
 * The counters on cs_companies (open / risk CTAs, active plans, activity count and latest activity,
 * health) are computed from the very child rows inserted, as the projection would keep them.
 *
 * Company i never depends on how many companies there are (CSM k owns companies 250k to 250k+249),
 * so the book of 50,000 companies is the book of 10,000 plus 40,000 more: the benchmark grows one
 * read model from size to size instead of refilling it.
 *
 * Per company: 0-10 CTAs (5 on average; 55 % open, a quarter of type Risk, due dates ±90 days),
 * 0-2 success plans (about 1), exactly 20 timeline activities, and (97 % of companies) a scorecard
 * of 4 measures read twice, so 10 history rows (overall score included). About 22 % of the scored
 * companies are Red, 33 % Yellow, 45 % Green; renewal dates spread from 45 days ago to 400 days ahead.
 */

/** "Today" of the data set and of every analysis run on it: the day counts depend on it. */
export const BENCH_NOW = new Date('2026-11-21T12:00:00.000Z');
export const BENCH_TODAY = BENCH_NOW.toISOString().slice(0, 10);

export const ACTIVITIES_PER_COMPANY = 20;
const SEGMENTS = ['Enterprise', 'MidMarket', 'SMB'] as const;
const STAGES = ['Onboarding', 'Adoption', 'Mature', 'Renewal', 'Expansion', 'AtRisk'] as const;
const REGIONS = ['EMEA', 'NA', 'APAC', 'LATAM'] as const;
const INDUSTRIES = ['Software', 'Healthcare', 'Retail', 'Manufacturing', 'Finance', 'Education', 'Logistics', 'Media'] as const;
const PRIORITIES = ['Low', 'Medium', 'High', 'Urgent'] as const;
const ACTIVITY_TYPES = ['Call', 'Meeting', 'Email', 'Update', 'Milestone'] as const;
const MEASURES = ['Product usage', 'Support', 'NPS', 'Executive engagement'] as const;
const NOTE = 'Walked through the adoption dashboard; asked for a follow-up on the renewal terms and the new seats.';

/** The columns filled, in the order of the generated rows. */
export const TABLE_COLUMNS = {
  cs_companies: [
    'company_id', 'name', 'name_lower', 'external_id', 'industry', 'segment', 'lifecycle_stage', 'region', 'employees', 'arr',
    'renewal_date', 'owner_id', 'health_score', 'health_color', 'health_as_of', 'open_cta_count', 'open_risk_cta_count',
    'active_plan_count', 'activity_count', 'last_activity_at', 'created_at', 'updated_at',
  ],
  cs_success_plans: [
    'success_plan_id', 'company_id', 'relationship_id', 'name', 'plan_type', 'status', 'owner_id', 'start_date', 'due_date',
    'description', 'created_at', 'updated_at', 'closed_at', 'objective_count', 'open_objective_count',
  ],
  cs_ctas: [
    'cta_id', 'company_id', 'relationship_id', 'success_plan_id', 'name', 'type', 'priority', 'status', 'is_open', 'owner_id',
    'due_date', 'reason', 'comments', 'created_at', 'updated_at', 'closed_at', 'task_count', 'open_task_count',
  ],
  cs_timeline_activities: [
    'activity_id', 'company_id', 'context_kind', 'context_id', 'type', 'subject', 'notes', 'occurred_at', 'author_id',
    'participants', 'created_at', 'updated_at',
  ],
  cs_scorecard_measures: ['company_id', 'name', 'score', 'color', 'comment', 'previous_score', 'trend', 'as_of'],
  cs_scorecard_history: ['company_id', 'measure', 'as_of', 'score', 'color'],
} as const;

export type FilledTable = keyof typeof TABLE_COLUMNS;
export const FILLED_TABLES = Object.keys(TABLE_COLUMNS) as FilledTable[];
type Rows = Record<FilledTable, SqlParam[][]>;

/** A small deterministic generator (an LCG whose state is scrambled on the way out); seeded per company. */
function random(seed: number): () => number {
  let state = (Math.imul(seed + 1, 0x9e3779b1) ^ 0x5bd1e995) >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    let x = state ^ (state >>> 16);
    x = Math.imul(x, 0x45d9f3b) >>> 0;
    x ^= x >>> 16;
    return (x >>> 0) / 4294967296;
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)];
const between = (r: () => number, low: number, high: number) => low + Math.floor(r() * (high - low + 1));
const colorOf = (score: number) => (score < 40 ? 'Red' : score < 70 ? 'Yellow' : 'Green');
/** The date `offset` days from BENCH_TODAY; a table, as the generator asks for millions of them. */
const DAYS_BACK = 2_000;
const DAY_TABLE = Array.from({ length: DAYS_BACK + 1_000 }, (_, i) => addDays(BENCH_TODAY, i - DAYS_BACK));
const dayAt = (offset: number) => DAY_TABLE[offset + DAYS_BACK];
const instant = (day: string, minuteOfDay: number) => `${day}T${pad(Math.floor(minuteOfDay / 60), 2)}:${pad(minuteOfDay % 60, 2)}:00.000Z`;

/** Companies per CSM. */
export const COMPANIES_PER_OWNER = 250;

export const companyId = (i: number) => `co-${pad(i, 6)}`;
export const ownerId = (k: number) => `u-csm-${pad(k, 3)}`;

function emptyRows(): Rows {
  return { cs_companies: [], cs_success_plans: [], cs_ctas: [], cs_timeline_activities: [], cs_scorecard_measures: [], cs_scorecard_history: [] };
}

/** Every row of companies [from, to). */
export function generateCompanies(from: number, to: number): Rows {
  const rows = emptyRows();
  for (let i = from; i < to; i++) addCompany(rows, i);
  return rows;
}

function addCompany(rows: Rows, i: number): void {
  const r = random(i);
  const id = companyId(i);
  const ownerIndex = Math.floor(i / COMPANIES_PER_OWNER);
  const owner = ownerId(ownerIndex);
  const s = r();
  const segment = s < 0.01 ? null : s < 0.16 ? SEGMENTS[0] : s < 0.5 ? SEGMENTS[1] : SEGMENTS[2];
  const arr =
    segment === 'Enterprise' ? between(r, 1_000, 12_000) * 100 : segment === 'MidMarket' ? between(r, 200, 1_200) * 100 : between(r, 10, 250) * 100;
  const renewal = r() < 0.04 ? null : dayAt(between(r, -45, 400));
  const name = `Company ${pad(i, 6)} ${pick(r, INDUSTRIES)}`;
  const createdAt = instant(dayAt(-between(r, 400, 1_500)), between(r, 0, 1_439));

  // Success plans first: Objective CTAs point at them.
  const plans: Array<{ id: string; active: boolean; objectives: number; openObjectives: number; row: SqlParam[] }> = [];
  const p = r();
  const planCount = p < 0.15 ? 0 : p < 0.9 ? 1 : 2;
  for (let k = 0; k < planCount; k++) {
    const st = r();
    const status = st < 0.6 ? 'Active' : st < 0.75 ? 'Draft' : st < 0.95 ? 'Completed' : 'Cancelled';
    const startOffset = -between(r, 10, 300);
    const start = dayAt(startOffset);
    const planCreated = instant(start, between(r, 0, 1_439));
    const closed = status === 'Completed' || status === 'Cancelled' ? instant(dayAt(startOffset + between(r, 1, 9)), 600) : null;
    plans.push({
      id: `sp-${pad(i, 6)}-${k}`,
      active: status === 'Active',
      objectives: 0,
      openObjectives: 0,
      row: [`sp-${pad(i, 6)}-${k}`, id, null, `${pick(r, ['Onboarding', 'Adoption', 'Renewal', 'Expansion'])} plan`, pick(r, ['Onboarding', 'Adoption', 'Renewal']),
        status, owner, start, dayAt(startOffset + between(r, 30, 180)), null, planCreated, closed ?? planCreated, closed, 0, 0],
    });
  }

  let openCtas = 0;
  let openRisk = 0;
  const ctaIds: string[] = [];
  const ctaCount = between(r, 0, 10);
  for (let k = 0; k < ctaCount; k++) {
    const t = r();
    let type = t < 0.25 ? 'Risk' : t < 0.4 ? 'Expansion' : t < 0.6 ? 'Renewal' : t < 0.75 ? 'Lifecycle' : t < 0.95 ? 'Activity' : 'Objective';
    const plan = type === 'Objective' && plans.length > 0 ? plans[Math.floor(r() * plans.length)] : null;
    if (type === 'Objective' && !plan) type = 'Activity';
    const st = r();
    const status = st < 0.35 ? 'New' : st < 0.55 ? 'WorkInProgress' : st < 0.8 ? 'ClosedSuccess' : st < 0.92 ? 'ClosedLost' : 'ClosedInvalid';
    const open = status === 'New' || status === 'WorkInProgress';
    const createdOffset = -between(r, 1, 200);
    const createdAt = instant(dayAt(createdOffset), between(r, 0, 1_439));
    const closedAt = open ? null : instant(dayAt(Math.min(0, createdOffset + between(r, 0, 30))), 900);
    const ctaId = `cta-${pad(i, 6)}-${k}`;
    ctaIds.push(ctaId);
    if (open) {
      openCtas++;
      if (type === 'Risk') openRisk++;
    }
    if (plan) {
      plan.objectives++;
      if (open) plan.openObjectives++;
    }
    rows.cs_ctas.push([
      ctaId, id, null, plan?.id ?? null, `${type} follow-up ${k + 1}`, type, pick(r, PRIORITIES), status, open ? 1 : 0,
      r() < 0.85 ? owner : ownerId(Math.floor(r() * (ownerIndex + 1))), r() < 0.1 ? null : dayAt(between(r, -90, 90)),
      type === 'Risk' ? 'Usage dropped over the last quarter' : null, null, createdAt, closedAt ?? createdAt, closedAt, 0, 0,
    ]);
  }
  for (const plan of plans) {
    plan.row[13] = plan.objectives;
    plan.row[14] = plan.openObjectives;
    rows.cs_success_plans.push(plan.row);
  }

  // Activities: the latest one `lastTouch` days ago (half the companies: 30 days or more), the rest in the year before it.
  const lastTouch = Math.floor(r() * r() * 150);
  let lastActivity = '';
  for (let k = 0; k < ACTIVITIES_PER_COMPANY; k++) {
    const occurredAt = instant(dayAt(-(k === 0 ? lastTouch : lastTouch + between(r, 0, 365))), between(r, 0, 1_439));
    if (occurredAt > lastActivity) lastActivity = occurredAt;
    const c = r();
    const [kind, contextId] =
      c < 0.15 && ctaIds.length > 0 ? ['cta', ctaIds[Math.floor(r() * ctaIds.length)]] : c < 0.3 && plans.length > 0 ? ['success_plan', plans[0].id] : ['company', id];
    const type = pick(r, ACTIVITY_TYPES);
    rows.cs_timeline_activities.push([
      `act-${pad(i, 6)}-${pad(k, 2)}`, id, kind, contextId, type, `${type} with ${name}`, r() < 0.5 ? null : NOTE, occurredAt, owner,
      r() < 0.5 ? '[]' : '["champion@example.com","sponsor@example.com"]', occurredAt, occurredAt,
    ]);
  }

  // Health: most companies have a scorecard read twice; the latest overall reading is the company's health.
  let health: [number, string, string] | null = null;
  if (r() >= 0.03) {
    const h = r();
    const score = h < 0.22 ? between(r, 5, 39) : h < 0.55 ? between(r, 40, 69) : between(r, 70, 99);
    const previousAsOf = dayAt(-between(r, 60, 120));
    const asOf = dayAt(-between(r, 1, 30));
    const previous = Math.max(0, Math.min(100, score + between(r, -15, 15)));
    health = [score, colorOf(score), asOf];
    rows.cs_scorecard_history.push([id, OVERALL_MEASURE, previousAsOf, previous, colorOf(previous)], [id, OVERALL_MEASURE, asOf, score, colorOf(score)]);
    for (const measure of MEASURES) {
      const now = Math.max(0, Math.min(100, score + between(r, -20, 20)));
      const before = Math.max(0, Math.min(100, now + between(r, -10, 10)));
      rows.cs_scorecard_history.push([id, measure, previousAsOf, before, colorOf(before)], [id, measure, asOf, now, colorOf(now)]);
      rows.cs_scorecard_measures.push([id, measure, now, colorOf(now), null, before, now > before ? 'up' : now < before ? 'down' : 'flat', asOf]);
    }
  }

  rows.cs_companies.push([
    id, name, name.toLowerCase(), `crm-${i}`, pick(r, INDUSTRIES), segment, pick(r, STAGES), pick(r, REGIONS), between(r, 5, 20_000), arr,
    renewal, owner, health?.[0] ?? null, health?.[1] ?? null, health?.[2] ?? null, openCtas, openRisk,
    plans.filter((plan) => plan.active).length, ACTIVITIES_PER_COMPANY, lastActivity, createdAt, createdAt,
  ]);
}

export interface FillReport {
  readonly companies: number;
  /** Rows in each table once filled. */
  readonly rows: Record<FilledTable, number>;
  /** Time to add the companies after the previous size (the whole fill for the first size). */
  readonly seconds: number;
}

/** Companies generated and written per read-model transaction. */
const COMPANIES_PER_TRANSACTION = 2_500;
/** SQLite: rows per multi-row INSERT (bound parameters stay well under SQLite's limit of 32,766). */
const SQLITE_ROWS_PER_STATEMENT = 100;

/**
 * Adds companies [`previous.companies`, `companies`) and their rows to the cs_* tables (set up by the
 * projection, and holding `previous` so far), in transactions of 2,500 companies (about 50,000
 * activities each). SQLite: multi-row INSERTs of 100 rows; PostgreSQL: one INSERT ... SELECT FROM
 * json_populate_recordset per table and transaction.
 */
export async function fillReadModel(db: ReadModelDatabase, previous: FillReport | null, companies: number, say: (line: string) => void): Promise<FillReport> {
  const started = performance.now();
  const counts = { ...(previous?.rows ?? (Object.fromEntries(FILLED_TABLES.map((t) => [t, 0])) as Record<FilledTable, number>)) };
  let lastReport = started;
  for (let from = previous?.companies ?? 0; from < companies; from += COMPANIES_PER_TRANSACTION) {
    const to = Math.min(companies, from + COMPANIES_PER_TRANSACTION);
    const rows = generateCompanies(from, to);
    await db.transaction(async (tx) => {
      for (const table of FILLED_TABLES) {
        await insertRows(tx, table, rows[table]);
        counts[table] += rows[table].length;
      }
    });
    if (performance.now() - lastReport > 10_000) {
      say(`filling: ${to.toLocaleString('en-US')} of ${companies.toLocaleString('en-US')} companies`);
      lastReport = performance.now();
    }
  }
  if (db.dialect === 'postgres') {
    // What autovacuum does after a bulk load anyway: fresh statistics and visibility map.
    for (const table of FILLED_TABLES) await db.exec(`VACUUM ANALYZE ${table}`);
  }
  return { companies, rows: counts, seconds: (performance.now() - started) / 1000 };
}

async function insertRows(tx: SqlExecutor, table: FilledTable, rows: readonly SqlParam[][]): Promise<void> {
  if (rows.length === 0) return;
  const columns = TABLE_COLUMNS[table];
  if (tx.dialect === 'postgres') {
    const objects = rows.map((row) => Object.fromEntries(columns.map((c, j) => [c, row[j]])));
    const list = columns.join(', ');
    await tx.run(`INSERT INTO ${table} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${table}, CAST(? AS json))`, [JSON.stringify(objects)]);
    return;
  }
  for (let start = 0; start < rows.length; start += SQLITE_ROWS_PER_STATEMENT) {
    const count = Math.min(SQLITE_ROWS_PER_STATEMENT, rows.length - start);
    const params: SqlParam[] = new Array(count * columns.length);
    for (let i = 0; i < count; i++) {
      const row = rows[start + i];
      for (let j = 0; j < columns.length; j++) params[i * columns.length + j] = row[j];
    }
    await tx.run(insertSql(table, count), params);
  }
}

const insertSqlCache = new Map<string, string>();

/** `INSERT INTO table (...) VALUES (?, ...), ...` for `count` rows. */
function insertSql(table: FilledTable, count: number): string {
  const key = `${table}:${count}`;
  let text = insertSqlCache.get(key);
  if (text === undefined) {
    const columns = TABLE_COLUMNS[table];
    const row = `(${columns.map(() => '?').join(', ')})`;
    text = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: count }, () => row).join(', ')}`;
    insertSqlCache.set(key, text);
  }
  return text;
}

/**
 * Checks the counters on cs_companies against the child rows, table-wide: what the projection
 * guarantees, so the data set must too. Returns the mismatches (none expected).
 */
export async function checkConsistency(db: SqlExecutor, report: FillReport): Promise<string[]> {
  const problems: string[] = [];
  const one = async (sql: string) => Number((await db.get<{ n: number | string | null }>(sql))?.n ?? 0);
  const expect = (what: string, got: number, wanted: number) => {
    if (got !== wanted) problems.push(`${what}: ${got}, expected ${wanted}`);
  };
  for (const table of FILLED_TABLES) expect(`rows in ${table}`, await one(`SELECT COUNT(*) AS n FROM ${table}`), report.rows[table]);
  expect('sum of open_cta_count', await one('SELECT SUM(open_cta_count) AS n FROM cs_companies'), await one('SELECT COUNT(*) AS n FROM cs_ctas WHERE is_open = 1'));
  expect(
    'sum of open_risk_cta_count',
    await one('SELECT SUM(open_risk_cta_count) AS n FROM cs_companies'),
    await one("SELECT COUNT(*) AS n FROM cs_ctas WHERE is_open = 1 AND type = 'Risk'"),
  );
  expect(
    'sum of active_plan_count',
    await one('SELECT SUM(active_plan_count) AS n FROM cs_companies'),
    await one("SELECT COUNT(*) AS n FROM cs_success_plans WHERE status = 'Active'"),
  );
  expect('sum of activity_count', await one('SELECT SUM(activity_count) AS n FROM cs_companies'), report.rows.cs_timeline_activities);
  expect(
    'companies whose last_activity_at is not their latest activity',
    await one(
      `SELECT COUNT(*) AS n FROM cs_companies c
       WHERE c.last_activity_at <> (SELECT MAX(a.occurred_at) FROM cs_timeline_activities a WHERE a.company_id = c.company_id)`,
    ),
    0,
  );
  expect(
    'companies whose health is not their latest overall reading',
    await one(
      `SELECT COUNT(*) AS n FROM cs_companies c
       WHERE c.health_as_of IS NOT NULL AND c.health_score <> (SELECT h.score FROM cs_scorecard_history h
         WHERE h.company_id = c.company_id AND h.measure = '${OVERALL_MEASURE}' ORDER BY h.as_of DESC LIMIT 1)`,
    ),
    0,
  );
  return problems;
}
