import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { measureAnalysis, postgresReadModel, sqliteReadModel, type AnalysisBudget, type AnalysisResult } from './analysis.bench';
import { measureCsRebuild, type CsRebuildResult } from './cs-rebuild.bench';
import { storeSubject, subscriptionCatchUp } from './event-store.bench';
import { bootApp, measureProjectionLag, type LagBudget, type LagResult } from './projection-lag.bench';
import { projectionRebuild, seedLog } from './projections.bench';
import type { Floor } from './floors';
import { packageVersion, redact, withClient, type Target, type TargetSpec } from './targets';
import {
  combineReadRates,
  combineThroughputs,
  runAppends,
  timeRead,
  type AppendCase,
  type ReadCount,
  type ReadRate,
  type Subject,
  type Throughput,
} from './workload';

/** How long each case may run, and how much it may write (which bounds the replays that follow). */
export interface Budget {
  /** Timed appending per case and per side (csmcp, floor), split into `rounds` alternating slices. */
  readonly caseMs: number;
  readonly rounds: number;
  /** Untimed appends before a case: JIT, prepared statements, connections, caches. */
  readonly warmupMs: number;
  readonly maxSingleAppends: number;
  readonly maxBatchAppends: number;
  /** Full replays per reader, alternating; each stops at `replayCapMs` if the log is not read by then. */
  readonly replayRounds: number;
  readonly replayCapMs: number;
  /** Events in the log the projection rebuild reads (a multiple of 100). */
  readonly projectionEvents: number;
  /** Cross-account analyses: the company counts measured, per store, and the runs. */
  readonly analysisSizes: Readonly<Record<ReadSideStore, readonly number[]>>;
  readonly analysis: Omit<AnalysisBudget, 'sizes'>;
  readonly lag: LagBudget;
  /** Companies in the customer_success rebuild's log (32 events each), and passes per side. */
  readonly csRebuildCompanies: Readonly<Record<ReadSideStore, number>>;
  readonly csRebuildRounds: Readonly<Record<ReadSideStore, number>>;
}

/** The benchmarks `--only` can name, besides stores; in the order they run for each store. */
export const BENCHES = ['event-store', 'cs-rebuild', 'projection-lag', 'analysis'] as const;
export type BenchName = (typeof BENCHES)[number];
/** The read-side benchmarks run on the stores a deployment pairs with read models of its own kind. */
export type ReadSideStore = 'sqlite' | 'postgres';

export const FULL_BUDGET: Budget = {
  caseMs: 3_000,
  rounds: 4,
  warmupMs: 300,
  maxSingleAppends: 100_000,
  maxBatchAppends: 2_000,
  replayRounds: 2,
  replayCapMs: 5_000,
  projectionEvents: 10_000,
  analysisSizes: { sqlite: [10_000, 50_000], postgres: [10_000, 50_000] },
  analysis: { runs: 30, warmupRuns: 3, caseCapMs: 15_000, minRuns: 10 },
  lag: { writers: 8, warmupMs: 1_000, loadMs: 10_000, floorMs: 5_000, companies: 200 },
  csRebuildCompanies: { sqlite: 1_250, postgres: 1_250 },
  csRebuildRounds: { sqlite: 2, postgres: 1 },
};
/**
 * `--large`: the full run plus 200,000 companies on SQLite (8 million rows: about 3 more minutes on
 * a 2-core machine), which does not fit the 10-minute budget of `npm run bench`. On PostgreSQL the
 * fill alone would take several minutes more.
 */
export const LARGE_ANALYSIS_SIZES: Budget['analysisSizes'] = { sqlite: [10_000, 50_000, 200_000], postgres: [10_000, 50_000] };
export const QUICK_BUDGET: Budget = {
  caseMs: 1_000,
  rounds: 2,
  warmupMs: 150,
  maxSingleAppends: 30_000,
  maxBatchAppends: 400,
  replayRounds: 1,
  replayCapMs: 2_000,
  projectionEvents: 5_000,
  // Filling 10,000 companies into PostgreSQL takes 15-20 s here: its analysis is in the full run only.
  analysisSizes: { sqlite: [10_000, 50_000], postgres: [] },
  analysis: { runs: 10, warmupRuns: 2, caseCapMs: 4_000, minRuns: 5 },
  lag: { writers: 8, warmupMs: 500, loadMs: 2_500, floorMs: 1_500, companies: 200 },
  csRebuildCompanies: { sqlite: 400, postgres: 250 },
  csRebuildRounds: { sqlite: 2, postgres: 1 },
};

export const PAGE_SIZE = 1_000;
/** Both targets of the project: appends within 2x of the raw driver, replay within 1.5x. */
const APPEND_TARGET = 1 / 2;
const REPLAY_TARGET = 1 / 1.5;

export type Unit = 'appends/s' | 'events/s';

export interface CaseResult {
  readonly id: string;
  readonly title: string;
  readonly unit: Unit;
  readonly csmcp: Throughput | ReadRate;
  readonly floor: Throughput | ReadRate | null;
  /** What the floor did, in a few words. */
  readonly floorDoes: string;
  /** Lowest acceptable csmcp/floor throughput ratio, when the project set one. */
  readonly targetRatio: number | null;
}

export interface TargetResult {
  readonly store: string;
  readonly details: Record<string, string>;
  /** Events in the log when the replays ran. */
  readonly logSize?: number;
  readonly cases: CaseResult[];
  /** Something in the figures that does not add up, e.g. csmcp and the floor replaying different counts. */
  readonly warnings: string[];
  /** Set when the run of this store broke off; the cases measured until then are kept. */
  readonly error?: string;
}

type Log = (line: string) => void;
type Side = 'csmcp' | 'floor';

const APPEND_CASES: ReadonlyArray<{ title: string; unit: Unit; floorDoes: string; c: Omit<AppendCase, 'budgetMs' | 'maxAppends'> }> = [
  {
    title: 'append 1 event, 1 writer',
    unit: 'appends/s',
    floorDoes: 'one INSERT per transaction',
    c: { name: 'seq', writers: 1, eventsPerAppend: 1, appendsPerStream: 10 },
  },
  {
    title: 'append 1 event, 8 writers',
    unit: 'appends/s',
    floorDoes: 'one INSERT per transaction, 8 loops',
    c: { name: 'conc', writers: 8, eventsPerAppend: 1, appendsPerStream: 10 },
  },
  {
    title: 'append 100 events per append',
    unit: 'events/s',
    floorDoes: '100 rows in one transaction',
    c: { name: 'batch', writers: 1, eventsPerAppend: 100, appendsPerStream: 10 },
  },
];

/**
 * Every figure for one store. The projection rebuild goes first, while the log holds only its seed;
 * then the three append cases; then the replays and the catch-up over everything written so far.
 */
export async function measureTarget(target: Target, budget: Budget, log: Log): Promise<TargetResult> {
  const sides: Record<Side, Subject> = { csmcp: storeSubject(target.store), floor: target.floor };
  const result = { store: target.name, details: target.details, logSize: undefined as number | undefined, cases: [] as CaseResult[], warnings: [] as string[] };
  const say = (line: string) => log(`  ${target.name} · ${line}`);
  try {
    const projection = await measureProjectionRebuild(target, sides.csmcp, budget, say);
    for (const { title, unit, floorDoes, c } of APPEND_CASES) {
      const maxAppends = c.eventsPerAppend === 1 ? budget.maxSingleAppends : budget.maxBatchAppends;
      const figures = await compareAppends(sides, { ...c, budgetMs: budget.caseMs, maxAppends }, budget);
      for (const side of ['csmcp', 'floor'] as const) say(`${title} · ${sides[side].label}: ${describe(figures[side], unit)}`);
      result.cases.push({ id: c.name, title, unit, ...figures, floorDoes, targetRatio: APPEND_TARGET });
    }
    // The replays read everything written above, csmcp's and the floor's rows alike, from one table.
    const warm = await target.floor.replay(PAGE_SIZE, Infinity); // untimed: brings the table into the caches
    result.logSize = warm.events;
    say(`reading a log of ${warm.events.toLocaleString('en-US')} events, pages of ${PAGE_SIZE}`);
    result.cases.push(...(await measureReads(target, sides.csmcp, warm.events, budget, say, result.warnings)));
    result.cases.push(projection);
    for (const warning of result.warnings) say(`WARNING: ${warning}`);
    return result;
  } catch (error) {
    say(`failed: ${(error as Error).stack ?? String(error)}`);
    return { ...result, error: String((error as Error).message ?? error) };
  }
}

/** ProjectionRunner.rebuild() over a seeded log, beside csmcp reading that same log bare. */
async function measureProjectionRebuild(target: Target, store: Subject, budget: Budget, say: Log): Promise<CaseResult> {
  await seedLog(target.store, budget.projectionEvents, `bench-projection-${randomUUID().slice(0, 8)}`);
  const bareRead = await timeRead(() => store.replay(PAGE_SIZE, Infinity));
  const rebuilt = await projectionRebuild(target.store, target.readModel, bareRead.events, budget.projectionEvents / 10);
  say(`projection rebuild: ${describe(rebuilt, 'events/s')}; bare readAll: ${describe(bareRead, 'events/s')}`);
  return {
    id: 'projection-rebuild',
    title: 'projection rebuild (ProjectionRunner)',
    unit: 'events/s',
    csmcp: rebuilt,
    floor: bareRead,
    floorDoes: 'csmcp readAll of the same log only',
    targetRatio: null,
  };
}

/** Replay through readAll against the driver's paged SELECT (decoded and not), then the subscription catch-up. */
async function measureReads(target: Target, store: Subject, logSize: number, budget: Budget, say: Log, warnings: string[]): Promise<CaseResult[]> {
  const replays = await compareReplays(store, target.floor, budget);
  say(`replay · csmcp: ${describe(replays.csmcp, 'events/s')}`);
  say(`replay · ${target.floor.label}: ${describe(replays.floor, 'events/s')}`);
  if (replays.csmcp.complete && replays.floor.complete && replays.csmcp.events !== replays.floor.events)
    warnings.push(`replays read ${replays.csmcp.events} events through csmcp but ${replays.floor.events} through the driver`);
  const cases: CaseResult[] = [
    {
      id: 'replay',
      title: `replay, readAll pages of ${PAGE_SIZE}`,
      unit: 'events/s',
      csmcp: replays.csmcp,
      floor: replays.floor,
      floorDoes: 'paged SELECT + JSON decode',
      targetRatio: REPLAY_TARGET,
    },
  ];
  if (replays.undecoded) {
    say(`replay · ${target.floor.label}, rows not decoded: ${describe(replays.undecoded, 'events/s')}`);
    cases.push({
      id: 'replay-undecoded',
      title: 'replay (floor not decoding JSON)',
      unit: 'events/s',
      csmcp: replays.csmcp,
      floor: replays.undecoded,
      floorDoes: 'paged SELECT, rows as is',
      targetRatio: null,
    });
  }
  const caughtUp = await subscriptionCatchUp(target.store, performance.now() + budget.replayCapMs);
  say(`subscription catch-up · csmcp: ${describe(caughtUp, 'events/s')}`);
  if (caughtUp.complete && caughtUp.events !== logSize)
    warnings.push(`the subscription caught up after ${caughtUp.events} events, the log holds ${logSize}`);
  cases.push({
    id: 'catch-up',
    title: 'subscribeToAll catch-up, start to head',
    unit: 'events/s',
    csmcp: caughtUp,
    floor: replays.floor,
    floorDoes: 'paged SELECT + JSON decode',
    targetRatio: null,
  });
  return cases;
}

/**
 * csmcp and the floor take turns in short slices (floor first, then csmcp first, ...), so both meet
 * the same noise from whatever else the machine is doing, and the same growing table.
 */
async function compareAppends(sides: Record<Side, Subject>, c: AppendCase, budget: Budget): Promise<Record<Side, Throughput>> {
  const slice: AppendCase = { ...c, budgetMs: c.budgetMs / budget.rounds, maxAppends: Math.ceil(c.maxAppends / budget.rounds) };
  const slices: Record<Side, Throughput[]> = { csmcp: [], floor: [] };
  for (const side of ['floor', 'csmcp'] as const) await runAppends(sides[side], { ...slice, name: `${c.name}-warmup`, budgetMs: budget.warmupMs });
  for (let round = 0; round < budget.rounds; round++)
    for (const side of turns(round)) slices[side].push(await runAppends(sides[side], slice));
  return { csmcp: combineThroughputs(slices.csmcp), floor: combineThroughputs(slices.floor) };
}

async function compareReplays(store: Subject, floor: Floor, budget: Budget): Promise<Record<Side, ReadRate> & { undecoded?: ReadRate }> {
  const readers: Record<Side | 'undecoded', ((pageSize: number, deadline: number) => Promise<ReadCount>) | undefined> = {
    csmcp: store.replay,
    floor: floor.replay,
    undecoded: floor.replayUndecoded,
  };
  const passes: Record<Side | 'undecoded', ReadRate[]> = { csmcp: [], floor: [], undecoded: [] };
  for (let round = 0; round < budget.replayRounds; round++)
    for (const side of [...turns(round), 'undecoded'] as const) {
      const read = readers[side];
      if (read) passes[side].push(await timeRead(() => read(PAGE_SIZE, performance.now() + budget.replayCapMs)));
    }
  return {
    csmcp: combineReadRates(passes.csmcp),
    floor: combineReadRates(passes.floor),
    undecoded: passes.undecoded.length > 0 ? combineReadRates(passes.undecoded) : undefined,
  };
}

function turns(round: number): Side[] {
  return round % 2 === 0 ? ['floor', 'csmcp'] : ['csmcp', 'floor'];
}

export function rateOf(figure: Throughput | ReadRate, unit: Unit): number {
  return unit === 'appends/s' ? (figure as Throughput).appendsPerSecond : figure.eventsPerSecond;
}

function describe(figure: Throughput | ReadRate, unit: Unit): string {
  const count = 'appends' in figure && unit === 'appends/s' ? `${figure.appends} appends` : `${figure.events} events`;
  const partial = 'complete' in figure && !figure.complete ? ', stopped at the time cap' : '';
  return `${Math.round(rateOf(figure, unit)).toLocaleString('en-US')} ${unit} (${count} in ${figure.seconds.toFixed(2)} s${partial})`;
}

// ---- read side: customer_success rebuild, projection lag, cross-account analysis ----

/** What the read-side benchmarks of one run produced, store by store. */
export interface ReadSideResults {
  readonly csRebuild: CsRebuildResult[];
  readonly projectionLag: LagResult[];
  readonly analysis: AnalysisResult[];
}

/**
 * The read-side benchmarks of one store, in BENCHES order. Each builds what it measures from
 * nothing: a fresh store and read model (temp dir / new schemas), dropped afterwards.
 */
export async function measureReadSide(
  spec: TargetSpec,
  benches: ReadonlySet<BenchName>,
  budget: Budget,
  databaseUrl: string,
  log: Log,
  into: ReadSideResults,
): Promise<void> {
  const store = spec.name as ReadSideStore;
  const details = await readSideDetails(store, databaseUrl);
  const dropSchema = (schema: string) => withClient(databaseUrl, async (c) => void (await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)));
  if (benches.has('cs-rebuild')) {
    const target = await spec.open();
    try {
      into.csRebuild.push(await measureCsRebuild(target, budget.csRebuildCompanies[store], budget.csRebuildRounds[store], log));
    } finally {
      await target.dispose().catch((error) => log(`  ${store}: cleanup failed: ${(error as Error).message}`));
    }
  }
  if (benches.has('projection-lag'))
    into.projectionLag.push(await measureProjectionLag(store, details, () => bootApp(store, databaseUrl, dropSchema), budget.lag, log));
  if (benches.has('analysis') && budget.analysisSizes[store].length === 0) log(`  ${store} · analysis: not in this mode (full run only)`);
  else if (benches.has('analysis')) {
    const open = store === 'sqlite' ? sqliteReadModel : postgresReadModel(databaseUrl, dropSchema);
    into.analysis.push(await measureAnalysis(store, details, open, { ...budget.analysis, sizes: budget.analysisSizes[store] }, log));
  }
}

async function readSideDetails(store: ReadSideStore, databaseUrl: string): Promise<Record<string, string>> {
  if (store === 'sqlite') {
    const memory = new Database(':memory:');
    const version = memory.prepare<[], { v: string }>('SELECT sqlite_version() AS v').get()!.v;
    memory.close();
    return { driver: `better-sqlite3 ${packageVersion('better-sqlite3')}, SQLite ${version}`, settings: 'journal_mode=WAL, synchronous=FULL', where: 'temp dir' };
  }
  return withClient(databaseUrl, async (c) => {
    const version = (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v;
    const { rows } = await c.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync', 'shared_buffers', 'work_mem', 'lc_collate') ORDER BY name`,
    );
    return {
      driver: `pg ${packageVersion('pg')}, PostgreSQL ${version}`,
      settings: rows.map((r) => `${r.name}=${r.setting}`).join(', '),
      where: `${redact(databaseUrl)}, new schemas (dropped afterwards)`,
    };
  });
}
