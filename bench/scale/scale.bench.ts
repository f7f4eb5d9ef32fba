/**
 * `--only scale`: csmcp serving 10,000 → 50,000 (→ 200,000 with --large) companies. For each size:
 * how long `csmcp serve` takes to build its read models from zero (start → /readyz), its memory at
 * rest and under load, the tool calls of the MCP benchmark under load, and how long an
 * acknowledged write takes to show in a read. Each figure is read against the smallest size's: a
 * cost growing faster than the data is a finding. See BENCHMARKS.md, "Scale".
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { latencyOf, type Latency } from '../latency';
import { createCtas, csmcpCalls, findString, freePort, parseAny, repositoryRoot, toolCall, waitReady } from '../mcp/csmcp-target';
import { stopChild } from '../mcp/floors';
import { measureLoad, openSession, processRssMiB, shorten } from '../mcp/load';
import type { McpRun, StartedTarget } from '../mcp/types';
import { growStore, seedTemplate, type ScaleStore } from './scale-store';

export interface ScaleBudget {
  readonly sizes: readonly number[];
  /** Companies seeded through the real commands, then copied up to each size. */
  readonly templateCompanies: number;
  readonly runSeconds: number;
  readonly warmupSeconds: number;
  readonly concurrency: number;
  /** Writes timed from acknowledgement to visible in list_ctas. */
  readonly lagProbes: number;
}

export const SCALE_FULL_BUDGET: ScaleBudget = { sizes: [10_000, 50_000], templateCompanies: 500, runSeconds: 3, warmupSeconds: 1, concurrency: 16, lagProbes: 50 };
export const SCALE_LARGE_SIZES: readonly number[] = [10_000, 50_000, 200_000];
export const SCALE_QUICK_BUDGET: ScaleBudget = { sizes: [2_000, 10_000], templateCompanies: 250, runSeconds: 1, warmupSeconds: 0.5, concurrency: 16, lagProbes: 20 };

export interface ScaleSize {
  readonly companies: number;
  readonly events: number;
  readonly ownedCompanies: number;
  /** Copying the template up to this size (data preparation, not csmcp). */
  readonly buildSeconds: number;
  /** `csmcp serve` start → /readyz 200: every projection rebuilt from zero. */
  readonly catchUpSeconds: number;
  readonly catchUpEventsPerSecond: number;
  readonly rssAtRestMiB: number | null;
  readonly rssPeakUnderLoadMiB: number | null;
  readonly runs: McpRun[];
  /** create_cta acknowledged → the CTA listed by list_ctas. */
  readonly writeToReadMs: Latency;
  readonly error?: string;
}

export interface ScaleResult {
  readonly budget: ScaleBudget;
  readonly sizes: ScaleSize[];
  readonly errors: string[];
}

type Log = (line: string) => void;

export async function measureScale(budget: ScaleBudget, log: Log): Promise<ScaleResult> {
  const result: ScaleResult = { budget, sizes: [], errors: [] };
  let template;
  try {
    template = seedTemplate(budget.templateCompanies, log);
  } catch (error) {
    result.errors.push(`template: ${(error as Error).message}`);
    log(`  scale: could not seed the template (${(error as Error).message})`);
    return result;
  }
  try {
    for (const companies of budget.sizes) {
      let store: ScaleStore | undefined;
      try {
        store = growStore(template, companies);
        log(`  scale · ${store.companies} companies: ${store.events.toLocaleString('en-US')} events (copied in ${store.buildSeconds.toFixed(1)} s)`);
        result.sizes.push(await measureSize(store, template.token, budget, log));
      } catch (error) {
        result.errors.push(`${companies} companies: ${(error as Error).message}`);
        log(`  scale · ${companies} companies: broke off (${(error as Error).stack})`);
      } finally {
        store?.cleanup();
      }
    }
  } finally {
    template.cleanup();
  }
  return result;
}

async function measureSize(store: ScaleStore, token: string, budget: ScaleBudget, log: Log): Promise<ScaleSize> {
  const root = repositoryRoot();
  const port = await freePort();
  const logFile = join(store.dataDir, '..', 'serve.log');
  const logFd = openSync(logFile, 'a');
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: store.dataDir, LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.DATABASE_SCHEMA;
  delete env.EVENTSTORE_URL;
  const startedAt = process.hrtime.bigint();
  const server = spawn(process.execPath, [join(root, 'bin', 'csmcp.js'), 'serve', '--port', String(port), '--host', '127.0.0.1'], { cwd: root, env, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  try {
    // Generous: 200,000 companies are about 7 million events to project on 2 cores.
    await waitReady(`http://127.0.0.1:${port}`, server, logFile, 20 * 60_000);
    const catchUpSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    log(`  scale · ${store.companies} companies: ready after ${catchUpSeconds.toFixed(1)} s (${Math.round(store.events / catchUpSeconds)} events/s)`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const rssAtRestMiB = processRssMiB(server.pid!);
    const started: StartedTarget = { url: `http://127.0.0.1:${port}/mcp`, headers: { authorization: `Bearer ${token}` }, pid: server.pid!, stop: async () => {} };
    const ctaIds = await createCtas(started, store.ownedCompanies);
    const session = await openSession(started, 'stateless');
    const sampler = rssSampler(server.pid!);
    const runs: McpRun[] = [];
    for (const call of csmcpCalls(store.ownedCompanies, () => ctaIds)) {
      const run = await measureLoad({
        target: 'csmcp',
        started,
        session,
        mode: 'stateless',
        call,
        concurrency: budget.concurrency,
        budget: { runSeconds: budget.runSeconds, warmupSeconds: budget.warmupSeconds, concurrencies: [budget.concurrency] },
      });
      runs.push(run);
      log(
        `  scale · ${store.companies} · ${call.label}: ${Math.round(run.callsPerSecond)} calls/s, p50 ${run.latency.p50.toFixed(2)} ms, ` +
          `p99 ${run.latency.p99.toFixed(2)} ms, CPU ${run.serverCpuMsPerCall.toFixed(3)} ms/call` +
          (run.errorCount > 0 ? `, ERRORS (first: ${run.firstError ?? '-'})` : ''),
      );
    }
    const rssPeakUnderLoadMiB = sampler.stop();
    const writeToReadMs = await probeWriteToRead(started, store.ownedCompanies, budget.lagProbes);
    log(`  scale · ${store.companies}: RSS ${rssAtRestMiB} MiB at rest, ${rssPeakUnderLoadMiB} MiB peak under load; write → read p50 ${writeToReadMs.p50.toFixed(2)} ms, p99 ${writeToReadMs.p99.toFixed(2)} ms`);
    return {
      companies: store.companies,
      events: store.events,
      ownedCompanies: store.ownedCompanies.length,
      buildSeconds: store.buildSeconds,
      catchUpSeconds,
      catchUpEventsPerSecond: store.events / catchUpSeconds,
      rssAtRestMiB,
      rssPeakUnderLoadMiB,
      runs,
      writeToReadMs,
    };
  } finally {
    await stopChild(server);
  }
}

/**
 * Acknowledged write → visible to a read, as a client sees it over HTTP: create_cta (stateless),
 * then list_ctas for that company until the new CTA is in it.
 */
async function probeWriteToRead(target: StartedTarget, companies: readonly string[], probes: number): Promise<Latency> {
  const post = async (body: object) => {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...target.headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${shorten(text)}`);
    return text;
  };
  const samples: number[] = [];
  for (let i = 0; i < probes; i++) {
    const company = companies[(i * 7919) % companies.length];
    const created = await post(toolCall('create_cta', { company_id: company, name: `Scale probe ${i}`, type: 'Activity', priority: 'Low', due_date: '2026-12-31' }));
    const acked = process.hrtime.bigint();
    const id = findString(parseAny(created), 'entity_id');
    if (!id) throw new Error(`create_cta answered without an entity_id: ${shorten(created)}`);
    for (;;) {
      const listed = await post(toolCall('list_ctas', { company_id: company }));
      if (listed.includes(id)) break;
      if (Number(process.hrtime.bigint() - acked) / 1e6 > 30_000) throw new Error(`CTA ${id} was not listed 30 s after create_cta was acknowledged`);
    }
    samples.push(Number(process.hrtime.bigint() - acked) / 1e6);
  }
  return latencyOf(samples);
}

/** The highest RSS seen, sampled every 100 ms: the end of a run can miss a peak in the middle of it. */
function rssSampler(pid: number): { stop: () => number | null } {
  let peak: number | null = null;
  const sample = () => {
    const rss = processRssMiB(pid);
    if (rss !== null && (peak === null || rss > peak)) peak = rss;
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
