import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
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
  readonly mode: 'full' | 'quick';
  readonly machine: Machine;
  /** Load average when the run ended: a busy machine shows here first. */
  readonly loadAverage1mAtEnd: number;
  readonly stores: TargetResult[];
  readonly skipped: Array<{ store: string; reason: string }>;
}

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
    `csmcp event store benchmark · ${run.startedAt.slice(0, 10)} · ${run.mode} run`,
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
  lines.push('floor = the same work done with the database driver alone (for the projection rebuild: csmcp reading the log bare)');
  lines.push('ratio = csmcp throughput / floor throughput: 1.00 is as fast as the floor. Targets: appends ≥0.50 (within 2x), replay ≥0.67 (within 1.5x)');
  return lines.join('\n');
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
