/**
 * `npm run bench [-- --quick] [-- --only analysis,sqlite]`: csmcp's event store adapters against
 * their database driver alone, then the read side (customer_success rebuild, projection lag,
 * cross-account analysis) against its floors. See BENCHMARKS.md for what each figure means.
 */
import { describeCode, describeMachine, renderTables, saveRun, type RunRecord } from './report';
import { BENCHES, FULL_BUDGET, LARGE_ANALYSIS_SIZES, QUICK_BUDGET, measureReadSide, measureTarget, type BenchName, type ReadSideResults, type TargetResult } from './suite';
import { loadavg } from 'node:os';
import { DEFAULT_DATABASE_URL, targetSpecs } from './targets';
import { MCP_FULL_BUDGET, MCP_QUICK_BUDGET, measureMcp } from './mcp/mcp.bench';
import { renderMcp } from './mcp/report';
import type { McpResult } from './mcp/types';
import { renderScale } from './scale/report';
import { SCALE_FULL_BUDGET, SCALE_LARGE_SIZES, SCALE_QUICK_BUDGET, measureScale, type ScaleResult } from './scale/scale.bench';

const STORES = ['sqlite', 'postgres', 'eventstoredb'];
/** The MCP tool-call benchmark needs no store of the list: it starts its own servers (bench/mcp). */
const MCP = 'mcp';
/** The scale curve starts its own servers too, on stores it builds (bench/scale). */
const SCALE = 'scale';

const USAGE = `usage: npm run bench -- [--quick | --large] [--only <names>]
  --quick   under 2 minutes: shorter cases, smaller logs, analysis on SQLite only, scale at 2,000 and 10,000 companies
  --large   the full run plus the analysis and the scale curve at 200,000 companies on SQLite (about 8 minutes more)
  --only    comma-separated benchmarks and/or stores, e.g. --only analysis or --only projection-lag,sqlite
            benchmarks: ${BENCHES.join(', ')}, ${MCP}, ${SCALE} (default: all)
            stores: ${STORES.join(', ')} (default: all reachable)
  Stores: SQLite always (temp dir); PostgreSQL at DATABASE_URL or postgres://postgres@127.0.0.1:5432/test
  when reachable (fresh schemas, dropped afterwards); EventStoreDB only when EVENTSTORE_URL is set
  (event-store benchmark only: the read-side ones run on SQLite and PostgreSQL).`;

interface Args {
  readonly quick: boolean;
  readonly large: boolean;
  /** Stores to measure; null: all. */
  readonly stores: string[] | null;
  readonly benches: ReadonlySet<BenchName>;
  /** The MCP tool-call benchmark (bench/mcp). */
  readonly mcp: boolean;
  /** The scale curve (bench/scale). */
  readonly scale: boolean;
}

function parseArgs(argv: string[]): Args {
  let quick = false;
  let large = false;
  let only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--large') large = true;
    else if (arg === '--only') only = [...only, ...(argv[++i] ?? '').split(',').filter(Boolean)];
    else if (arg.startsWith('--only=')) only = [...only, ...arg.slice('--only='.length).split(',').filter(Boolean)];
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`unknown argument ${arg}\n${USAGE}`);
      process.exit(2);
    }
  }
  if (quick && large) {
    console.error(`--quick and --large exclude each other\n${USAGE}`);
    process.exit(2);
  }
  const unknown = only.filter((name) => name !== MCP && name !== SCALE && !STORES.includes(name) && !(BENCHES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    console.error(`--only: unknown ${unknown.join(', ')}\n${USAGE}`);
    process.exit(2);
  }
  const stores = only.filter((name) => STORES.includes(name));
  const benches = only.filter((name): name is BenchName => (BENCHES as readonly string[]).includes(name));
  const mcp = only.includes(MCP);
  const scale = only.includes(SCALE);
  // Naming mcp or scale alone runs it alone; naming no benchmark runs them all.
  const all = benches.length === 0 && !mcp && !scale;
  return { quick, large, stores: stores.length > 0 ? stores : null, benches: new Set(all ? BENCHES : benches), mcp: all || mcp, scale: all || scale };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const budget = args.quick ? QUICK_BUDGET : args.large ? { ...FULL_BUDGET, analysisSizes: LARGE_ANALYSIS_SIZES } : FULL_BUDGET;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  const stores: TargetResult[] = [];
  const readSide: ReadSideResults = { csRebuild: [], projectionLag: [], analysis: [] };
  const skipped: RunRecord['skipped'] = [];
  const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  log(`csmcp bench (${mode(args)}): ${names(args).join(', ')}`);

  // Only the MCP benchmark: no store to open (and no PostgreSQL to probe).
  for (const spec of args.benches.size > 0 ? await targetSpecs(args.stores) : []) {
    if (spec.skipReason) {
      skipped.push({ store: spec.name, reason: spec.skipReason });
      log(`${spec.name}: skipped (${spec.skipReason})`);
      continue;
    }
    log(`${spec.name}:`);
    if (args.benches.has('event-store')) {
      let target;
      try {
        target = await spec.open();
      } catch (error) {
        skipped.push({ store: spec.name, reason: `could not open: ${(error as Error).message}` });
        log(`${spec.name}: could not open (${(error as Error).stack})`);
        continue;
      }
      try {
        stores.push(await measureTarget(target, budget, log));
      } finally {
        await target.dispose().catch((error) => log(`${spec.name}: cleanup failed: ${(error as Error).message}`));
      }
    }
    if (spec.name === 'eventstoredb') continue;
    try {
      await measureReadSide(spec, args.benches, budget, databaseUrl, log, readSide);
    } catch (error) {
      skipped.push({ store: spec.name, reason: `read-side benchmarks broke off: ${(error as Error).message}` });
      log(`${spec.name}: read-side benchmarks broke off (${(error as Error).stack})`);
    }
  }

  const mcp: McpResult | undefined = args.mcp ? await measureMcp(args.quick ? MCP_QUICK_BUDGET : MCP_FULL_BUDGET, log) : undefined;
  const scaleBudget = args.quick ? SCALE_QUICK_BUDGET : args.large ? { ...SCALE_FULL_BUDGET, sizes: SCALE_LARGE_SIZES } : SCALE_FULL_BUDGET;
  const scale: ScaleResult | undefined = args.scale ? await measureScale(scaleBudget, log) : undefined;

  const run: RunRecord & { mcp?: McpResult; scale?: ScaleResult } = {
    startedAt,
    finishedAt: new Date().toISOString(),
    mode: mode(args),
    code: describeCode(),
    machine,
    loadAverage1mAtEnd: Math.round(loadavg()[0] * 100) / 100,
    benches: names(args),
    stores,
    ...readSide,
    skipped,
    ...(mcp ? { mcp } : {}),
    ...(scale ? { scale } : {}),
  };
  console.log(renderTables(run));
  if (mcp) console.log(`\n${renderMcp(mcp)}`);
  if (scale) console.log(`\n${renderScale(scale)}`);
  const measured =
    stores.some((s) => s.cases.length > 0) ||
    readSide.csRebuild.some((r) => !r.error) ||
    readSide.projectionLag.some((r) => !r.error) ||
    readSide.analysis.some((r) => r.sizes.length > 0) ||
    (mcp?.runs.length ?? 0) > 0 ||
    (scale?.sizes.length ?? 0) > 0;
  // A run that measured nothing (every store skipped or broken at once) is not worth keeping.
  if (measured) log(`\nresults written to ${saveRun(run)}`);
  const broken = [...stores, ...readSide.csRebuild, ...readSide.projectionLag, ...readSide.analysis].some((r) => r.error);
  // Failed calls in a run count as broken: a figure measured over errors is not a figure.
  const mcpBroken = !!mcp && (mcp.errors.length > 0 || mcp.runs.some((r) => r.errorCount > 0));
  const scaleBroken = !!scale && (scale.errors.length > 0 || scale.sizes.some((s) => s.runs.some((r) => r.errorCount > 0)));
  return broken || mcpBroken || scaleBroken || !measured ? 1 : 0;
}

function names(args: Args): string[] {
  return [...args.benches, ...(args.mcp ? [MCP] : []), ...(args.scale ? [SCALE] : [])];
}

function mode(args: Args): RunRecord['mode'] {
  return args.quick ? 'quick' : args.large ? 'large' : 'full';
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
