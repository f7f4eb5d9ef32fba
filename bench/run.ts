/**
 * `npm run bench [-- --quick] [-- --only sqlite,postgres]`: csmcp's event store adapters against
 * their database driver alone. See BENCHMARKS.md for what each figure means.
 */
import { describeCode, describeMachine, renderTables, saveRun, type RunRecord } from './report';
import { FULL_BUDGET, QUICK_BUDGET, measureTarget, type TargetResult } from './suite';
import { loadavg } from 'node:os';
import { targetSpecs } from './targets';

const USAGE = `usage: npm run bench -- [--quick] [--only sqlite,postgres,eventstoredb]
  --quick   about 30 s: 1 s per case instead of 3 s, smaller batches
  --only    measure only these stores
  Stores: SQLite always (temp dir); PostgreSQL at DATABASE_URL or postgres://postgres@127.0.0.1:5432/test
  when reachable (fresh schema, dropped afterwards); EventStoreDB only when EVENTSTORE_URL is set.`;

interface Args {
  readonly quick: boolean;
  readonly only: string[] | null;
}

function parseArgs(argv: string[]): Args {
  let quick = false;
  let only: string[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--only') only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg.startsWith('--only=')) only = arg.slice('--only='.length).split(',').filter(Boolean);
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`unknown argument ${arg}\n${USAGE}`);
      process.exit(2);
    }
  }
  return { quick, only };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const budget = args.quick ? QUICK_BUDGET : FULL_BUDGET;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  const stores: TargetResult[] = [];
  const skipped: RunRecord['skipped'] = [];
  log(`csmcp bench (${args.quick ? 'quick' : 'full'}): ${budget.caseMs / 1000} s per case and side`);

  for (const spec of await targetSpecs(args.only)) {
    if (spec.skipReason) {
      skipped.push({ store: spec.name, reason: spec.skipReason });
      log(`${spec.name}: skipped (${spec.skipReason})`);
      continue;
    }
    log(`${spec.name}:`);
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

  const run: RunRecord = {
    startedAt,
    finishedAt: new Date().toISOString(),
    mode: args.quick ? 'quick' : 'full',
    code: describeCode(),
    machine,
    loadAverage1mAtEnd: Math.round(loadavg()[0] * 100) / 100,
    stores,
    skipped,
  };
  console.log(renderTables(run));
  // A run that measured nothing (every store skipped or broken at once) is not worth keeping.
  if (stores.some((s) => s.cases.length > 0)) log(`\nresults written to ${saveRun(run)}`);
  return stores.some((s) => s.error) || stores.length === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
