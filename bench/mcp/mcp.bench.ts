/**
 * `--only mcp`: tool calls over HTTP under load, csmcp beside the bare MCP SDK in the same transport
 * mode, and the bare SDK beside raw node:http, all measured in the same run. See BENCHMARKS.md.
 */
import { csmcpTarget, CSMCP } from './csmcp-target';
import { floorTargets, RAW_FLOOR, SDK_FLOOR } from './floors';
import { callOnce, measureLoad, openSession, shorten } from './load';
import { describeErrors } from './responses';
import { SkipTarget, type McpBenchTarget, type McpBudget, type McpComparison, type McpMode, type McpResult, type McpRun } from './types';

export const MCP_FULL_BUDGET: McpBudget = { runSeconds: 3, warmupSeconds: 1, concurrencies: [1, 16, 64] };
export const MCP_QUICK_BUDGET: McpBudget = { runSeconds: 2, warmupSeconds: 1, concurrencies: [1, 16, 64] };

type Log = (line: string) => void;

export async function measureMcp(budget: McpBudget, log: Log, targets: readonly McpBenchTarget[] = [...floorTargets(), csmcpTarget(log)]): Promise<McpResult> {
  const result: McpResult = { budget, targets: [], runs: [], comparisons: [], skipped: [], warnings: [], errors: [] };
  log(`mcp: ${budget.runSeconds} s per run after ${budget.warmupSeconds} s warm-up, ${budget.concurrencies.join(' / ')} connections`);
  for (const target of targets) {
    let started;
    try {
      started = await target.start();
    } catch (error) {
      if (error instanceof SkipTarget) {
        result.skipped.push({ target: target.name, reason: error.message });
        log(`  ${target.name}: skipped (${error.message})`);
      } else {
        result.errors.push({ target: target.name, error: (error as Error).message });
        log(`  ${target.name}: could not start (${(error as Error).stack})`);
      }
      continue;
    }
    result.targets.push({ name: target.name, ...(started.details ? { details: started.details } : {}) });
    try {
      // Sessions first, then each call in every mode before the next call: the reads of both modes
      // run before any write grows the book, so modes are compared on the same data.
      const sessions = new Map<McpMode, Awaited<ReturnType<typeof openSession>>>();
      for (const mode of target.modes) {
        try {
          sessions.set(mode, await openSession(started, mode));
        } catch (error) {
          result.errors.push({ target: `${target.name} ${mode}`, error: `session: ${(error as Error).message}` });
          log(`  ${target.name} ${mode}: no session (${(error as Error).message})`);
        }
      }
      for (const call of target.calls) {
        for (const [mode, session] of sessions) {
          // One call first: a tool that fails outright is reported with the server's words, not timed.
          const once = await callOnce(started, session, call);
          if (!once.ok) {
            result.errors.push({ target: `${target.name} ${mode} ${call.label}`, error: `the first call failed: HTTP ${once.status}: ${shorten(once.body)}` });
            log(`  ${target.name} · ${mode} · ${call.label}: the first call failed (HTTP ${once.status}: ${shorten(once.body)})`);
            continue;
          }
          for (const concurrency of budget.concurrencies) {
            const run = await measureLoad({ target: target.name, started, session, mode, call, concurrency, budget });
            result.runs.push(run);
            log(
              `  ${target.name} · ${mode} · ${call.label} · ${concurrency} conn: ${Math.round(run.callsPerSecond)} calls/s, ` +
                `p50 ${run.latency.p50.toFixed(2)} ms, p99 ${run.latency.p99.toFixed(2)} ms, CPU ${run.serverCpuMsPerCall.toFixed(3)} ms/call ` +
                `(client ${run.loadGeneratorCpuMsPerCall.toFixed(3)})` +
                (run.errorCount > 0 ? `, ERRORS: ${describeErrors(run.errors)} (first: ${run.firstError ?? '-'})` : ''),
            );
          }
        }
      }
    } catch (error) {
      result.errors.push({ target: target.name, error: `runs broke off: ${(error as Error).message}` });
      log(`  ${target.name}: runs broke off (${(error as Error).stack})`);
    } finally {
      await started.stop().catch((error: Error) => log(`  ${target.name}: stop failed: ${error.message}`));
    }
  }
  result.comparisons.push(...compare(result.runs));
  result.warnings.push(...warningsOf(result.runs));
  return result;
}

/** The floor a run is read against: csmcp → the bare SDK in the same mode; the bare SDK → raw node:http. */
export function floorNameOf(run: Pick<McpRun, 'target' | 'mode'>): string | null {
  if (run.target === RAW_FLOOR) return null;
  if (run.target.startsWith(SDK_FLOOR)) return RAW_FLOOR;
  return `${SDK_FLOOR} ${run.mode}`;
}

export function compare(runs: readonly McpRun[]): McpComparison[] {
  const comparisons: McpComparison[] = [];
  for (const run of runs) {
    const floorName = floorNameOf(run);
    const floor = floorName && runs.find((r) => r.target === floorName && r.concurrency === run.concurrency);
    if (!floor) continue;
    comparisons.push({
      target: run.target,
      floor: floor.target,
      mode: run.mode,
      call: run.call,
      concurrency: run.concurrency,
      throughputRatio: run.callsPerSecond / floor.callsPerSecond,
      p50Ratio: run.latency.p50 / floor.latency.p50,
      p99Ratio: run.latency.p99 / floor.latency.p99,
      cpuPerCallRatio: run.serverCpuMsPerCall / floor.serverCpuMsPerCall,
      withErrors: run.errorCount > 0 || floor.errorCount > 0,
    });
  }
  return comparisons;
}

function warningsOf(runs: readonly McpRun[]): string[] {
  const warnings: string[] = [];
  for (const run of runs) {
    if (run.errorCount > 0)
      warnings.push(`${run.target} ${run.mode} ${run.call} at ${run.concurrency}: ${describeErrors(run.errors)} of ${run.responses} responses (first: ${run.firstError ?? '-'})`);
    // The mode a session actually got: csmcp decides JSON or SSE, not the client.
    const expected = run.mode === 'session-sse' ? 'text/event-stream' : run.mode === 'raw' ? null : 'application/json';
    const other = Object.keys(run.contentTypes).filter((type) => expected !== null && type !== expected);
    if (run.target === CSMCP && other.length > 0)
      warnings.push(`${run.target} ${run.mode} ${run.call}: answered ${other.join(', ')} where ${expected} was expected; its floor is the SDK in ${run.mode} mode all the same`);
  }
  // The content-type warning repeats at every concurrency.
  return [...new Set(warnings)];
}
