import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { PostgresReadModelDatabase, SqliteReadModelDatabase, type ReadModelDatabase, type SqlParam } from '@csmcp/projections';
import { AnalyzeAccountsHandler } from '../src/customer-success/analysis/analyze-accounts.handler';
import { AnalyzeAccountsQuery } from '../src/customer-success/analysis/analyze-accounts.query';
import type { AnalysisQuery } from '../src/customer-success/analysis/analysis-query';
import { addDays } from '../src/customer-success/analysis/days';
import { CustomerSuccessProjection } from '../src/customer-success/read-models/customer-success.projection';
import { BENCH_NOW, BENCH_TODAY, checkConsistency, fillReadModel, type FillReport } from './analysis-data';
import { latencyOf, timeMs, type Latency } from './latency';

/**
 * Cross-account analysis latency: five typical analyses through the AnalyzeAccounts handler
 * (validation, compileAnalysis, the read-model database, row normalisation: what the MCP tool
 * runs), each beside the SQL a person would write by hand for the same answer, on the same
 * database, timed the same way and in alternation.
 */

export interface AnalysisCase {
  readonly id: string;
  readonly title: string;
  readonly query: AnalysisQuery;
  /** The hand-written equivalent: `?` placeholders, run as is through the same ReadModelDatabase. */
  readonly floorSql: string;
  readonly floorParams: SqlParam[];
  /** Columns that identify a row of the answer, to compare csmcp's answer with the floor's. */
  readonly key: readonly string[];
}

const day = (offset: number) => addDays(BENCH_TODAY, offset);

export const ANALYSIS_CASES: readonly AnalysisCase[] = [
  {
    id: 'a',
    title: '(a) Red, renewing ≤90 d, idle ≥30 d: ARR by owner',
    query: {
      entity: 'companies',
      filter: {
        all: [
          { field: 'health_color', op: 'eq', value: 'Red' },
          { field: 'renewal_in_days', op: 'between', value: [0, 90] },
          { field: 'days_since_last_activity', op: 'gte', value: 30 },
        ],
      },
      group_by: ['owner_id'],
      metrics: [
        { fn: 'sum', field: 'arr', as: 'total_arr' },
        { fn: 'count', as: 'accounts' },
      ],
      sort: [{ by: 'total_arr', dir: 'desc' }],
      limit: 1000,
    },
    // Idle for 30 days or more: the latest activity happened before the day 29 days ago (or never).
    floorSql: `SELECT owner_id, SUM(arr) AS total_arr, COUNT(*) AS accounts FROM cs_companies
      WHERE health_color = 'Red' AND renewal_date BETWEEN ? AND ? AND (last_activity_at < ? OR last_activity_at IS NULL)
      GROUP BY owner_id ORDER BY total_arr DESC LIMIT 1000`,
    floorParams: [day(0), day(90), day(-29)],
    key: ['owner_id'],
  },
  {
    id: 'b',
    title: '(b) ARR by segment and health color',
    query: {
      entity: 'companies',
      group_by: ['segment', 'health_color'],
      metrics: [
        { fn: 'sum', field: 'arr', as: 'total_arr' },
        { fn: 'count', as: 'accounts' },
      ],
    },
    floorSql: `SELECT segment, health_color, SUM(arr) AS total_arr, COUNT(*) AS accounts FROM cs_companies
      GROUP BY segment, health_color ORDER BY segment, health_color`,
    floorParams: [],
    key: ['segment', 'health_color'],
  },
  {
    id: 'c',
    title: '(c) top 20 by ARR with open risk CTAs',
    query: {
      entity: 'companies',
      filter: { field: 'open_risk_cta_count', op: 'gt', value: 0 },
      sort: [{ by: 'arr', dir: 'desc' }],
      limit: 20,
    },
    floorSql: `SELECT company_id, name, segment, owner_id, arr, renewal_date, health_color, open_risk_cta_count FROM cs_companies
      WHERE open_risk_cta_count > 0 ORDER BY arr DESC, company_id LIMIT 20`,
    floorParams: [],
    key: ['company_id'],
  },
  {
    id: 'd',
    title: '(d) renewals by month, next 12 months',
    query: {
      entity: 'companies',
      filter: { field: 'renewal_in_days', op: 'between', value: [0, 365] },
      group_by: ['renewal_month'],
      metrics: [
        { fn: 'count', as: 'renewals' },
        { fn: 'sum', field: 'arr', as: 'total_arr' },
      ],
      sort: [{ by: 'renewal_month', dir: 'asc' }],
      limit: 24,
    },
    floorSql: `SELECT substr(renewal_date, 1, 7) AS renewal_month, COUNT(*) AS renewals, SUM(arr) AS total_arr FROM cs_companies
      WHERE renewal_date BETWEEN ? AND ? GROUP BY substr(renewal_date, 1, 7) ORDER BY renewal_month`,
    floorParams: [day(0), day(365)],
    key: ['renewal_month'],
  },
  {
    id: 'e',
    title: '(e) overdue CTAs by owner (entity ctas)',
    query: {
      entity: 'ctas',
      filter: { field: 'days_overdue', op: 'gt', value: 0 },
      group_by: ['owner_id'],
      metrics: [
        { fn: 'count', as: 'overdue' },
        { fn: 'count_distinct', field: 'company_id', as: 'accounts' },
      ],
      sort: [{ by: 'overdue', dir: 'desc' }],
      limit: 1000,
    },
    floorSql: `SELECT owner_id, COUNT(*) AS overdue, COUNT(DISTINCT company_id) AS accounts FROM cs_ctas
      WHERE is_open = 1 AND due_date < ? GROUP BY owner_id ORDER BY overdue DESC, owner_id`,
    floorParams: [day(0)],
    key: ['owner_id'],
  },
];

export interface AnalysisBudget {
  /** Company counts to build and measure, smallest first. */
  readonly sizes: readonly number[];
  /** Timed runs per analysis and side, after `warmupRuns` untimed ones. */
  readonly runs: number;
  readonly warmupRuns: number;
  /** A case stops after this long (both sides together) once it has `minRuns` runs per side. */
  readonly caseCapMs: number;
  readonly minRuns: number;
}

export interface AnalysisCaseResult {
  readonly id: string;
  readonly title: string;
  readonly csmcp: Latency;
  readonly floor: Latency;
  readonly floorSql: string;
  /** Rows (groups) in the answer. */
  readonly rows: number;
  /** floor p50 / csmcp p50, and the same of p95: 1.00 is as fast as the hand-written SQL, 0.67 is 1.5x slower. */
  readonly ratioP50: number;
  readonly ratioP95: number;
}

export interface AnalysisSizeResult {
  readonly companies: number;
  readonly fill: FillReport;
  readonly cases: AnalysisCaseResult[];
}

export interface AnalysisResult {
  readonly store: string;
  readonly details: Record<string, string>;
  readonly sizes: AnalysisSizeResult[];
  readonly warnings: string[];
  readonly error?: string;
}

/** A fresh read-model database per size: SQLite file in a temp dir, or a new PostgreSQL schema. */
interface ReadModelTarget {
  readonly db: ReadModelDatabase;
  dispose(): Promise<void>;
}

export type ReadModelOpener = () => Promise<ReadModelTarget>;

export function sqliteReadModel(): Promise<ReadModelTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'csmcp-bench-analysis-'));
  const db = new SqliteReadModelDatabase({ filename: join(dir, 'read-models.sqlite') });
  return Promise.resolve({
    db,
    async dispose() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export function postgresReadModel(connectionString: string, dropSchema: (schema: string) => Promise<void>): ReadModelOpener {
  return async () => {
    const schema = `bench_${randomUUID().replace(/-/g, '').slice(0, 12)}_an`;
    const db = new PostgresReadModelDatabase({ connectionString, schema });
    return {
      db,
      async dispose() {
        await db.close();
        await dropSchema(schema);
      },
    };
  };
}

type Log = (line: string) => void;

/**
 * One fresh read model, set up by the projection, grown from size to size (the data set of a smaller
 * size is the start of a larger one's); at each size it is checked, then the five analyses run.
 */
export async function measureAnalysis(
  store: string,
  details: Record<string, string>,
  open: ReadModelOpener,
  budget: AnalysisBudget,
  log: Log,
): Promise<AnalysisResult> {
  const say = (line: string) => log(`  ${store} · analysis · ${line}`);
  const result: AnalysisResult = { store, details, sizes: [], warnings: [] };
  let target: ReadModelTarget | null = null;
  try {
    target = await open();
    await new CustomerSuccessProjection().setup(target.db);
    let fill: FillReport | null = null;
    for (const companies of budget.sizes) {
      fill = await fillReadModel(target.db, fill, companies, say);
      say(
        `${companies.toLocaleString('en-US')} companies: ${Object.entries(fill.rows)
          .map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`)
          .join(', ')} (${fill.seconds.toFixed(1)} s to fill)`,
      );
      const problems = await checkConsistency(target.db, fill);
      for (const problem of problems) result.warnings.push(`${companies} companies: data set inconsistent: ${problem}`);
      const cases: AnalysisCaseResult[] = [];
      for (const c of ANALYSIS_CASES) {
        const measured = await measureCase(target.db, c, budget, result.warnings, companies);
        say(
          `${companies.toLocaleString('en-US')} · ${c.title}: csmcp p50 ${measured.csmcp.p50.toFixed(2)} / p95 ${measured.csmcp.p95.toFixed(2)} ms, ` +
            `floor p50 ${measured.floor.p50.toFixed(2)} / p95 ${measured.floor.p95.toFixed(2)} ms (${measured.csmcp.samples} runs, ${measured.rows} rows)`,
        );
        cases.push(measured);
      }
      result.sizes.push({ companies, fill, cases });
    }
    return result;
  } catch (error) {
    say(`failed: ${(error as Error).stack ?? String(error)}`);
    return { ...result, error: String((error as Error).message ?? error) };
  } finally {
    await target?.dispose().catch((error) => say(`cleanup failed: ${(error as Error).message}`));
  }
}

async function measureCase(db: ReadModelDatabase, c: AnalysisCase, budget: AnalysisBudget, warnings: string[], companies: number): Promise<AnalysisCaseResult> {
  const handler = new AnalyzeAccountsHandler(db);
  const viewer = { userId: 'bench', visibleOwnerIds: null };
  const sides = {
    csmcp: async () => (await handler.execute(new AnalyzeAccountsQuery({ query: c.query, viewer, now: BENCH_NOW }))).rows,
    floor: () => db.all(c.floorSql, c.floorParams),
  };
  // Same answer from both, or the comparison means nothing.
  const [answer, floorAnswer] = [await sides.csmcp(), await sides.floor()];
  const mismatch = compareAnswers(answer, floorAnswer, c.key);
  if (mismatch) warnings.push(`${companies} companies, ${c.title}: csmcp and the hand-written SQL disagree: ${mismatch}`);
  if (answer.length === 0) warnings.push(`${companies} companies, ${c.title}: the answer is empty`);

  for (let i = 0; i < budget.warmupRuns; i++) {
    await sides.floor();
    await sides.csmcp();
  }
  const samples = { csmcp: [] as number[], floor: [] as number[] };
  const deadline = performance.now() + budget.caseCapMs;
  for (let i = 0; i < budget.runs && (i < budget.minRuns || performance.now() < deadline); i++)
    for (const side of i % 2 === 0 ? (['floor', 'csmcp'] as const) : (['csmcp', 'floor'] as const))
      samples[side].push((await timeMs(sides[side])).ms);
  const csmcp = latencyOf(samples.csmcp);
  const floor = latencyOf(samples.floor);
  return {
    id: c.id,
    title: c.title,
    csmcp,
    floor,
    floorSql: c.floorSql.replace(/\s+/g, ' '),
    rows: answer.length,
    ratioP50: floor.p50 / csmcp.p50,
    ratioP95: floor.p95 / csmcp.p95,
  };
}

/** null when both answers hold the same rows (numbers compared to 6 significant digits), else what differs. */
export function compareAnswers(csmcp: Record<string, unknown>[], floor: Record<string, unknown>[], key: readonly string[]): string | null {
  if (csmcp.length !== floor.length) return `${csmcp.length} rows against ${floor.length}`;
  const canonical = (row: Record<string, unknown>) =>
    JSON.stringify(
      Object.keys(row)
        .sort()
        .map((k) => [k, normalise(row[k])]),
    );
  const keyOf = (row: Record<string, unknown>) => JSON.stringify(key.map((k) => row[k] ?? null));
  const floorByKey = new Map(floor.map((row) => [keyOf(row), canonical(row)]));
  for (const row of csmcp) {
    const other = floorByKey.get(keyOf(row));
    if (other === undefined) return `row ${keyOf(row)} only in csmcp's answer`;
    if (other !== canonical(row)) return `row ${keyOf(row)}: ${canonical(row)} against ${other}`;
  }
  return null;
}

function normalise(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return Number(value.toPrecision(6));
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(Number(value).toPrecision(6));
  return value;
}
