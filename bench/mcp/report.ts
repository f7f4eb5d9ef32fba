/** The MCP benchmark's table: every run beside its floor of the same run. */
import { formatMs } from '../latency';
import { formatRate } from '../report';
import { floorNameOf } from './mcp.bench';
import { describeErrors } from './responses';
import type { McpResult } from './types';

export function renderMcp(result: McpResult): string {
  const b = result.budget;
  const lines = [
    `MCP tool calls over HTTP (autocannon, ${b.runSeconds} s per run after ${b.warmupSeconds} s warm-up; each server in its own process;`,
    '  CPU/call = the server process, user + system, per response; client CPU = the load generator (this process) per response;',
    '  floor: csmcp → bare SDK in the same mode, bare SDK → raw node:http, same concurrency, same run)',
  ];
  for (const t of result.targets) lines.push(`  ${t.name}: ${t.details ?? ''}`);
  const header = ['target', 'mode', 'call', 'conns', 'calls/s', 'p50', 'p99', 'CPU/call', 'client CPU', 'RSS', 'floor', 'calls/s ratio', 'p50 x', 'p99 x', 'CPU x', 'errors'];
  const rows = result.runs.map((run) => {
    const c = result.comparisons.find((x) => x.target === run.target && x.mode === run.mode && x.call === run.call && x.concurrency === run.concurrency);
    const floorName = floorNameOf(run);
    return [
      run.target,
      run.mode,
      run.call,
      String(run.concurrency),
      formatRate(run.callsPerSecond),
      formatMs(run.latency.p50),
      formatMs(run.latency.p99),
      formatCpu(run.serverCpuMsPerCall),
      formatCpu(run.loadGeneratorCpuMsPerCall),
      run.serverRssMiB === null ? '-' : `${Math.round(run.serverRssMiB)} MiB`,
      c ? c.floor : floorName ? `${floorName}: not measured` : '-',
      c ? `${c.throughputRatio.toFixed(2)}${c.withErrors ? '!' : ''}` : '-',
      c ? c.p50Ratio.toFixed(2) : '-',
      c ? c.p99Ratio.toFixed(2) : '-',
      c ? c.cpuPerCallRatio.toFixed(2) : '-',
      run.errorCount > 0 ? `ERRORS: ${describeErrors(run.errors)}` : 'none',
    ];
  });
  if (rows.length > 0) lines.push(...grid(header, rows, new Set([3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14])));
  if (result.comparisons.some((c) => c.withErrors)) lines.push('  ! calls failed on one side or the other: that ratio is not a clean comparison');
  lines.push(
    '  calls/s ratio = calls/s ÷ the floor\'s (1.00: as fast); p50 x, p99 x, CPU x = this ÷ the floor (2.00: twice the floor\'s)',
  );
  for (const { target, reason } of result.skipped) lines.push(`  ${target}: skipped (${reason})`);
  for (const { target, error } of result.errors) lines.push(`  !! ${target}: ${error}`);
  for (const warning of new Set(result.warnings)) lines.push(`  !! ${warning}`);
  return lines.join('\n');
}

/** "0.123 ms": CPU per call is often well under a millisecond. */
export function formatCpu(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms < 1 ? `${ms.toFixed(3)} ms` : formatMs(ms);
}

export function grid(header: string[], rows: string[][], numeric: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    '  ' + cells.map((cell = '', i) => (numeric.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}
