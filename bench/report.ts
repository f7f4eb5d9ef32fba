import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import type { AnalysisResult } from './analysis.bench';
import type { CsRebuildResult } from './cs-rebuild.bench';
import { formatMs } from './latency';
import type { LagResult } from './projection-lag.bench';
import { rateOf, type CaseResult, type TargetResult } from './suite';

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly freeMemoryGiB: number;
  readonly loadAverage1m: number;
  readonly node: string;
  readonly platform: string;
}

/** Which code was measured: the adapters may be ahead of the last commit while they are being written. */
export interface CodeVersion {
  readonly commit: string;
  readonly uncommittedChangesInLibs: boolean | null;
}

export interface RunRecord {
  readonly startedAt: string;
  readonly code: CodeVersion;
  readonly finishedAt: string;
  readonly mode: 'full' | 'quick' | 'large';
  readonly machine: Machine;
  /** Load average when the run ended: a busy machine shows here first. */
  readonly loadAverage1mAtEnd: number;
  /** The benchmarks run (see suite.ts BENCHES); runs recorded before they existed have none. */
  readonly benches?: string[];
  /** The event-store benchmark, per store. */
  readonly stores: TargetResult[];
  readonly csRebuild?: CsRebuildResult[];
  readonly projectionLag?: LagResult[];
  readonly analysis?: AnalysisResult[];
  readonly skipped: Array<{ store: string; reason: string }>;
}

/** The project's targets for the read side. */
export const READ_SIDE_TARGETS = {
  /** Analyses within 1.5x of the hand-written SQL: floor time / csmcp time ≥ 0.67, on medians. */
  analysisRatio: 1 / 1.5,
  /** Analysis p95 under 300 ms, at this many companies. */
  analysisP95Ms: 300,
  analysisP95AtCompanies: 50_000,
  lagP99Ms: 50,
} as const;

const GiB = 1024 ** 3;

export function describeMachine(): Machine {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: round(totalmem() / GiB, 1),
    freeMemoryGiB: round(freemem() / GiB, 1),
    loadAverage1m: round(loadavg()[0], 2),
    node: process.version,
    platform: `${process.platform} ${release()}`,
  };
}

export function describeCode(): CodeVersion {
  const git = (args: string) => execSync(`git ${args}`, { cwd: repositoryRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return { commit: git('rev-parse --short HEAD'), uncommittedChangesInLibs: git('status --porcelain -- libs') !== '' };
  } catch {
    return { commit: 'unknown', uncommittedChangesInLibs: null };
  }
}

/** The figures as a plain-text table per store: csmcp beside its floor, the ratio, and the reading. */
export function renderTables(run: RunRecord): string {
  const m = run.machine;
  const lines = [
    `csmcp benchmark · ${run.startedAt.slice(0, 10)} · ${run.mode} run${run.benches ? ` · ${run.benches.join(', ')}` : ''}`,
    `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, load ${m.loadAverage1m} → ${run.loadAverage1mAtEnd}`,
    `code: ${run.code.commit}${run.code.uncommittedChangesInLibs ? ' + uncommitted changes in libs/' : ''}`,
    '',
  ];
  for (const result of run.stores) {
    lines.push(`${result.store}: ${Object.values(result.details).join(' · ')}`);
    if (result.logSize !== undefined) lines.push(`  (replays read a log of ${formatRate(result.logSize)} events)`);
    lines.push(...table(result.cases));
    if (result.cases.some((c) => isPartial(c.csmcp) || (c.floor && isPartial(c.floor))))
      lines.push('  * stopped at the time cap before the end of the log: the rate is over the part read');
    for (const warning of result.warnings) lines.push(`  !! ${warning}`);
    if (result.error) lines.push(`  !! run broke off: ${result.error}`);
    lines.push('');
  }
  for (const { store, reason } of run.skipped) lines.push(`${store}: skipped (${reason})`);
  if (run.stores.length > 0) {
    lines.push('floor = the same work done with the database driver alone (for the projection rebuild: csmcp reading the log bare)');
    lines.push('ratio = csmcp throughput / floor throughput: 1.00 is as fast as the floor. Targets: appends ≥0.50 (within 2x), replay ≥0.67 (within 1.5x)');
  }
  if (run.csRebuild?.length) lines.push('', ...csRebuildTable(run.csRebuild));
  if (run.projectionLag?.length) lines.push('', ...lagTable(run.projectionLag));
  for (const result of run.analysis ?? []) lines.push('', ...analysisTables(result));
  if (run.analysis?.length)
    lines.push(
      '',
      'analysis: csmcp = the AnalyzeAccounts handler (validate, compileAnalysis, read-model query, row normalisation); floor = hand-written SQL for the same answer,',
      '  same database, same connection, runs alternating; ratio = floor time / csmcp time on medians (p95 ratio beside it): 1.00 is as fast as the hand-written SQL.',
      `  Targets: ratio ≥${READ_SIDE_TARGETS.analysisRatio.toFixed(2)} (within 1.5x) at every size; p95 < ${READ_SIDE_TARGETS.analysisP95Ms} ms at ${READ_SIDE_TARGETS.analysisP95AtCompanies.toLocaleString('en-US')} companies.`,
    );
  return lines.join('\n');
}

function csRebuildTable(results: readonly CsRebuildResult[]): string[] {
  const header = ['store', 'log', 'rebuild (csmcp)', 'floor: bare readAll', 'ratio', 'reading', 'target'];
  const rows = results.map((r) =>
    r.error
      ? [r.store, `${formatRate(r.events)} events`, `broke off: ${r.error}`, '', '', '', '']
      : [
          r.store,
          `${formatRate(r.events)} events`,
          `${formatRate(r.rebuild.eventsPerSecond)} events/s`,
          `${formatRate(r.floor.eventsPerSecond)} events/s`,
          r.ratio.toFixed(2),
          reading(r.ratio),
          r.targetEventsPerSecond === null
            ? ''
            : `${r.rebuild.eventsPerSecond >= r.targetEventsPerSecond ? 'met' : 'MISSED'} (≥${formatRate(r.targetEventsPerSecond)} events/s)`,
        ],
  );
  const warnings = results.flatMap((r) => r.warnings.map((w) => `  !! ${r.store}: ${w}`));
  return [
    'customer_success projection rebuild from zero (ProjectionRunner.rebuild(), read model in the database paired with the store)',
    ...grid(header, rows, new Set([2, 3, 4])),
    ...warnings,
  ];
}

function lagTable(results: readonly LagResult[]): string[] {
  const pair = (a: number, b: number) => `${formatMs(a)} / ${formatMs(b)}`;
  const header = ['store', 'writers', 'writes/s', 'ack p50 / p99', 'lag p50 / p99', 'read back p50 / p99', 'floor p50 / p99', 'ratio p99', 'reading', 'target'];
  const rows = results.map((r) =>
    r.error
      ? [r.store, String(r.writers), `broke off: ${r.error}`, '', '', '', '', '', '', '']
      : [
          r.store,
          String(r.writers),
          formatRate(r.writesPerSecond),
          pair(r.ack.p50, r.ack.p99),
          pair(r.lag.p50, r.lag.p99),
          pair(r.readBack.p50, r.readBack.p99),
          pair(r.floor.p50, r.floor.p99),
          r.floor.p99 > 0 ? r.ratioP99.toFixed(2) : '-',
          r.floor.p99 > 0 ? reading(r.ratioP99) : 'floor is 0',
          `${r.lag.p99 < READ_SIDE_TARGETS.lagP99Ms && r.timeouts === 0 ? 'met' : 'MISSED'} (p99 < ${READ_SIDE_TARGETS.lagP99Ms} ms)`,
        ],
  );
  const counts = results
    .filter((r) => !r.error)
    .map(
      (r) =>
        `  ${r.store}: ${formatRate(r.lag.samples)} writes in ${r.seconds.toFixed(1)} s (create_cta ${r.writes.create_cta}, update_cta ${r.writes.update_cta}, ` +
        `create_timeline_activity ${r.writes.create_timeline_activity}); lag max ${formatMs(r.lag.max)}, ` +
        `p50 by quarter of the window ${r.lagP50ByQuarter.map(formatMs).join(', ')}; floor phase ${formatRate(r.floorWritesPerSecond)} writes/s; ` +
        `bare subscription while the projections ran p50 / p99 ${formatMs(r.floorWhileProjecting.p50)} / ${formatMs(r.floorWhileProjecting.p99)}`,
    );
  const warnings = results.flatMap((r) => r.warnings.map((w) => `  !! ${r.store}: ${w}`));
  return [
    'projection lag: acknowledged MCP write (command bus) → runner.waitForPosition(position) resolved for the read-side projections;',
    '  floor: a bare subscribeToAll receiving the event, same load, before the projections start (0 = delivered before the writer saw its ack)',
    ...grid(header, rows, new Set([1, 2, 3, 4, 5, 6, 7])),
    ...counts,
    ...warnings,
  ];
}

function analysisTables(result: AnalysisResult): string[] {
  const lines = [`analysis · ${result.store}: ${Object.values(result.details).join(' · ')}`];
  const header = ['analysis', 'csmcp p50', 'csmcp p95', 'floor p50', 'floor p95', 'ratio', 'p95 ratio', 'reading', 'target'];
  for (const size of result.sizes) {
    const rows = Object.entries(size.fill.rows).map(([t, n]) => `${t.replace(/^cs_/, '')} ${formatRate(n)}`);
    lines.push(`  ${formatRate(size.companies)} companies (${rows.join(', ')}; ${size.cases[0]?.csmcp.samples ?? 0} runs per side)`);
    const atTargetSize = size.companies === READ_SIDE_TARGETS.analysisP95AtCompanies;
    const cells = size.cases.map((c) => {
      const ratioMet = c.ratioP50 >= READ_SIDE_TARGETS.analysisRatio;
      const p95Met = c.csmcp.p95 < READ_SIDE_TARGETS.analysisP95Ms;
      const target = atTargetSize
        ? `${ratioMet && p95Met ? 'met' : 'MISSED'} (≥0.67${ratioMet ? '' : ' ✗'}, p95<300 ms${p95Met ? '' : ' ✗'})`
        : `${ratioMet ? 'met' : 'MISSED'} (≥0.67)`;
      return [
        `${c.title}${c.csmcp.samples < (size.cases[0]?.csmcp.samples ?? 0) ? ` (${c.csmcp.samples} runs)` : ''}`,
        formatMs(c.csmcp.p50),
        formatMs(c.csmcp.p95),
        formatMs(c.floor.p50),
        formatMs(c.floor.p95),
        c.ratioP50.toFixed(2),
        c.ratioP95.toFixed(2),
        reading(c.ratioP50),
        target,
      ];
    });
    lines.push(...grid(header, cells, new Set([1, 2, 3, 4, 5, 6])).map((l) => `  ${l}`));
  }
  for (const warning of result.warnings) lines.push(`  !! ${warning}`);
  if (result.error) lines.push(`  !! run broke off: ${result.error}`);
  return lines;
}

/** Columns padded to their widest cell; `numeric` ones right-aligned. */
function grid(header: string[], rows: string[][], numeric: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    '  ' + cells.map((cell = '', i) => (numeric.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function table(cases: CaseResult[]): string[] {
  const header = ['case', 'csmcp', 'floor', 'floor does', 'ratio', 'reading', 'target'];
  const rows = cases.map((c) => {
    const csmcp = rateOf(c.csmcp, c.unit);
    const floor = c.floor ? rateOf(c.floor, c.unit) : null;
    const ratio = ratioOf(c);
    return [
      c.title,
      `${formatRate(csmcp)} ${c.unit}${isPartial(c.csmcp) ? '*' : ''}`,
      floor === null ? '-' : `${formatRate(floor)} ${c.unit}${isPartial(c.floor!) ? '*' : ''}`,
      c.floorDoes,
      ratio === null ? '-' : ratio.toFixed(2),
      ratio === null ? '-' : reading(ratio),
      c.targetRatio === null || ratio === null ? '' : `${ratio >= c.targetRatio ? 'met' : 'MISSED'} (≥${c.targetRatio.toFixed(2)})`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = new Set([1, 2, 4]);
  const line = (cells: string[]) => '  ' + cells.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** csmcp throughput / floor throughput. */
function ratioOf(c: CaseResult): number | null {
  return c.floor ? rateOf(c.csmcp, c.unit) / rateOf(c.floor, c.unit) : null;
}

function isPartial(figure: object): boolean {
  return 'complete' in figure && figure.complete === false;
}

/** "2.41x slower" or "1.30x faster" than the floor. */
export function reading(ratio: number): string {
  if (ratio >= 0.995 && ratio <= 1.005) return 'same speed';
  return ratio < 1 ? `${(1 / ratio).toFixed(2)}x slower` : `${ratio.toFixed(2)}x faster`;
}

export function formatRate(rate: number): string {
  return Math.round(rate).toLocaleString('en-US');
}

/**
 * bench/results/<YYYY-MM-DD>.json holds every run of that day (a re-run is appended, not overwritten),
 * each with its machine and every figure, ratios included.
 */
export function saveRun(run: RunRecord): string {
  const file = join(repositoryRoot(), 'bench', 'results', `${run.startedAt.slice(0, 10)}.json`);
  mkdirSync(dirname(file), { recursive: true });
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { runs?: RunRecord[] }).runs ?? [] : [];
  const withRatios = { ...run, stores: run.stores.map((s) => ({ ...s, cases: s.cases.map((c) => ({ ...c, ratio: ratioOf(c) })) })) };
  writeFileSync(file, JSON.stringify({ date: run.startedAt.slice(0, 10), runs: [...previous, withRatios] }, roundNumbers, 2) + '\n');
  return file;
}

/** The folder holding package.json: this file runs from bench/ (ts) or from dist/bench/ (built). */
function repositoryRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith(join('dist'))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? round(value, value < 10 ? 4 : 1) : value;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
