/** The scale curve's tables: each size, and each figure's growth against the smallest size. */
import { formatMs } from '../latency';
import { formatRate } from '../report';
import { formatCpu, grid } from '../mcp/report';
import type { ScaleResult, ScaleSize } from './scale.bench';

/** The memory target of issue 8: RSS under 300 MB (286 MiB) under load with 50,000 companies loaded. */
export const RSS_TARGET_MIB = 300e6 / 2 ** 20;

export function renderScale(result: ScaleResult): string {
  const b = result.budget;
  const lines = [
    `Scale: csmcp serve on the embedded store at ${b.sizes.map((n) => n.toLocaleString('en-US')).join(' → ')} companies (a ${b.templateCompanies}-company book seeded`,
    `  through the real commands, copied up with new ids); stateless tool calls at ${b.concurrency} connections, ${b.runSeconds} s per call after ${b.warmupSeconds} s warm-up,`,
    '  with a CSM\'s personal access token (it sees the companies it owns, about half); "x" columns: this size ÷ the smallest size',
  ];
  if (result.sizes.length > 0) {
    const base = result.sizes[0];
    const x = (value: number | null, baseValue: number | null) => (value === null || baseValue === null || baseValue === 0 ? '-' : `${(value / baseValue).toFixed(2)}`);
    lines.push(
      ...grid(
        ['companies', 'data x', 'events', 'start → ready', 'events/s', 'RSS at rest', 'RSS peak under load', 'target', 'write → read p50', 'p99', 'p99 x'],
        result.sizes.map((s) => [
          s.companies.toLocaleString('en-US'),
          x(s.events, base.events),
          s.events.toLocaleString('en-US'),
          `${s.catchUpSeconds.toFixed(1)} s`,
          formatRate(s.catchUpEventsPerSecond),
          mib(s.rssAtRestMiB),
          mib(s.rssPeakUnderLoadMiB),
          memoryVerdict(s),
          formatMs(s.writeToReadMs.p50),
          formatMs(s.writeToReadMs.p99),
          x(s.writeToReadMs.p99, base.writeToReadMs.p99),
        ]),
        new Set([0, 1, 2, 3, 4, 5, 6, 8, 9, 10]),
      ),
    );
    lines.push('');
    const rows: string[][] = [];
    for (const s of result.sizes) {
      for (const run of s.runs) {
        const first = base.runs.find((r) => r.call === run.call);
        rows.push([
          s.companies.toLocaleString('en-US'),
          run.call,
          formatRate(run.callsPerSecond),
          formatMs(run.latency.p50),
          formatMs(run.latency.p99),
          formatCpu(run.serverCpuMsPerCall),
          s === base || !first ? '-' : x(run.serverCpuMsPerCall, first.serverCpuMsPerCall),
          s === base || !first ? '-' : x(run.latency.p99, first.latency.p99),
          run.errorCount > 0 ? `ERRORS (first: ${run.firstError ?? '-'})` : 'none',
        ]);
      }
    }
    lines.push(...grid(['companies', 'call', 'calls/s', 'p50', 'p99', 'CPU/call', 'CPU x', 'p99 x', 'errors'], rows, new Set([0, 2, 3, 4, 5, 6, 7])));
  }
  for (const error of result.errors) lines.push(`  !! ${error}`);
  return lines.join('\n');
}

function mib(value: number | null): string {
  return value === null ? '-' : `${Math.round(value)} MiB`;
}

/** RSS under 300 MB with 50,000 companies loaded, under load: judged at 50,000 and above. */
function memoryVerdict(size: ScaleSize): string {
  if (size.companies < 50_000 || size.rssPeakUnderLoadMiB === null) return '-';
  return size.rssPeakUnderLoadMiB < RSS_TARGET_MIB ? 'met (< 300 MB)' : 'MISSED (< 300 MB)';
}
