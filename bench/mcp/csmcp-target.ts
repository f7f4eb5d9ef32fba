/**
 * csmcp itself as a target: `node bin/csmcp.js serve` on a fresh embedded store (SQLite in a temp
 * dir) holding a seeded demo book, called with a personal access token from the CLI, the way an
 * operator would set it up. Skips, with the reason, while the CLI or the endpoint is missing.
 */
import { ANALYSIS_CASES } from '../analysis.bench';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { demoCompany, demoUsers, type DemoOptions } from '../../src/cli/commands/seed/demo-book';
import { stopChild } from './floors';
import { shorten } from './load';
import { SkipTarget, type McpBenchTarget, type McpCall, type StartedTarget } from './types';

export const CSMCP = 'csmcp';
/** Companies in the demo book: enough for realistic summaries, seeded in well under a minute. */
const COMPANIES = 200;
/** CTAs created before the runs for update_cta to cycle through (fewer would make concurrent updates collide). */
const UPDATABLE_CTAS = 64;

/**
 * The demo book as `seed demo --companies 200 --seed 1 --as-of <today>` writes it. Personal access
 * tokens see only the companies their user owns, so the bench user is registered (users add, before
 * the seed) with the email of the book's first CSM: the seed then gives that user their share of
 * the companies, as it does with any user registered before it.
 */
function demoBook(): { options: DemoOptions; user: { email: string; name: string }; companies: string[] } {
  const options: DemoOptions = { companies: COMPANIES, seed: 1, asOf: new Date().toISOString().slice(0, 10), activitiesPerCompany: 20 };
  const csms = demoUsers(options).filter((u) => u.role === 'csm');
  const user = csms[0];
  const companies = Array.from({ length: COMPANIES }, (_, i) => demoCompany(options, i, csms))
    .filter((c) => c.ownerEmail === user.email)
    .map((c) => c.companyId);
  return { options, user, companies };
}
export const toolCall = (name: string, args: Record<string, unknown>) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });

/** The tools measured: each call moves to the next company so that reads and writes spread over the book. */
export function csmcpCalls(companies: readonly string[], ctaIds: () => readonly string[]): McpCall[] {
  const companyId = (n: number) => companies[n % companies.length];
  const call = (label: string, args: (n: number) => Record<string, unknown>): McpCall => ({
    label,
    body: toolCall(label, args(0)),
    vary: (n) => toolCall(label, args(n)),
  });
  return [
    call('get_account_summary', (n) => ({ company_id: companyId(n) })),
    call('list_ctas', (n) => ({ company_id: companyId(n) })),
    // The first analysis of the analysis benchmark: red accounts renewing within 90 days, idle for 30.
    call('analyze_accounts', () => ({ ...ANALYSIS_CASES[0].query })),
    call('create_cta', (n) => ({
      company_id: companyId(n),
      name: `Bench follow-up ${n}`,
      type: 'Risk',
      priority: 'Medium',
      due_date: '2026-12-15',
      reason: 'Usage dropped 30% this month',
    })),
    // A new comment every time: an update repeating the CTA's values is refused as "nothing to change".
    call('update_cta', (n) => ({ cta_id: ctaIds()[n % Math.max(1, ctaIds().length)] ?? 'none', comments: `Bench update ${n}` })),
    call('create_timeline_activity', (n) => ({
      company_id: companyId(n),
      type: 'Call',
      subject: `Bench check-in ${n}`,
      notes: 'Talked through adoption and the renewal timeline.',
      participants: ['champion@example.com'],
    })),
  ];
}

export function csmcpTarget(log: (line: string) => void): McpBenchTarget {
  const book = demoBook();
  const ctaIds: string[] = [];
  return {
    name: CSMCP,
    modes: ['stateless', 'session-sse'],
    calls: csmcpCalls(book.companies, () => ctaIds),
    start: async () => {
      const started = await startCsmcp(book, log);
      try {
        ctaIds.push(...(await createCtas(started, book.companies)));
      } catch (error) {
        await started.stop();
        throw error;
      }
      return started;
    },
  };
}

async function startCsmcp(book: ReturnType<typeof demoBook>, log: (line: string) => void): Promise<StartedTarget> {
  const root = repositoryRoot();
  const bin = join(root, 'bin', 'csmcp.js');
  if (!existsSync(join(root, 'dist', 'src', 'cli', 'main.js'))) throw new SkipTarget('csmcp is not built (dist/src/cli/main.js missing): run `npm run build` first');
  const dir = mkdtempSync(join(tmpdir(), 'csmcp-bench-mcp-'));
  // The embedded store, whatever the shell says: DATABASE_URL may point at the test PostgreSQL.
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.DATABASE_SCHEMA;
  delete env.EVENTSTORE_URL;
  const cli = (args: string[], input?: string, timeoutMs = 60_000) => {
    const run = spawnSync(process.execPath, [bin, ...args], { cwd: root, env, input, encoding: 'utf8', timeout: timeoutMs });
    return { code: run.status, out: run.stdout ?? '', err: (run.stderr ?? '') + (run.error ? String(run.error) : '') };
  };
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    for (const command of ['users', 'tokens']) {
      const help = cli([command, '--help']);
      if (help.code !== 0) throw new SkipTarget(`the csmcp CLI has no \`${command}\` command yet (${shorten(help.err || help.out, 120)})`);
    }
    const { user, options } = book;
    const added = cli(['users', 'add', '--email', user.email, '--name', user.name, '--role', 'csm', '--password-stdin'], 'bench-password-1234\n');
    if (added.code !== 0) throw new Error(`users add failed (exit ${added.code}): ${shorten(added.err || added.out)}`);
    log(`  csmcp: seeding ${COMPANIES} demo companies into ${dir} (${book.companies.length} owned by ${user.email}, the bench user)`);
    const seeded = cli(
      ['seed', 'demo', '--companies', String(COMPANIES), '--seed', String(options.seed), '--as-of', options.asOf, '--activities', String(options.activitiesPerCompany), '--json'],
      undefined,
      300_000,
    );
    if (seeded.code !== 0) throw new Error(`seed demo failed (exit ${seeded.code}): ${shorten(seeded.err || seeded.out)}`);
    const issued = cli(['tokens', 'issue', '--user', user.email, '--scopes', 'cs:read cs:write', '--ttl', '1h', '--json']);
    if (issued.code !== 0) throw new Error(`tokens issue failed (exit ${issued.code}): ${shorten(issued.err || issued.out)}`);
    let token: unknown;
    try {
      token = (JSON.parse(issued.out) as { token?: unknown }).token;
    } catch {
      /* reported below */
    }
    if (typeof token !== 'string') throw new Error(`tokens issue --json printed no token: ${shorten(issued.out)}`);

    const port = await freePort();
    const logFile = join(dir, 'serve.log');
    const logFd = openSync(logFile, 'a');
    // CSMCP_BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when it stops (open it in
    // Chrome DevTools or speedscope); only the server, not the CLI commands that set the store up.
    // (node flags, not NODE_OPTIONS: node refuses --cpu-prof there).
    const profileDir = process.env.CSMCP_BENCH_CPU_PROF;
    const nodeFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    if (profileDir) log(`  csmcp: CPU profile of the server to ${profileDir}`);
    const server = spawn(process.execPath, [...nodeFlags, bin, 'serve', '--port', String(port), '--host', '127.0.0.1'], { cwd: root, env, stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    const stop = async () => {
      await stopChild(server);
      cleanup();
    };
    try {
      await waitReady(`http://127.0.0.1:${port}`, server, logFile);
      const url = `http://127.0.0.1:${port}/mcp`;
      const probe = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      const probeText = await probe.text();
      if (probe.status === 404) throw new SkipTarget(`csmcp serves no POST /mcp yet (404: ${shorten(probeText, 120)})`);
      if (probe.status === 401 || probe.status === 403) throw new Error(`POST /mcp refused the token from \`tokens issue\` (${probe.status}: ${shorten(probeText, 200)})`);
      return { url, headers: { authorization: `Bearer ${token}` }, pid: server.pid!, stop, details: `csmcp serve, embedded SQLite store, ${COMPANIES} demo companies (${book.companies.length} visible to the token's CSM), LOG_LEVEL=warn` };
    } catch (error) {
      await stop();
      throw error;
    }
  } catch (error) {
    cleanup();
    throw error;
  }
}

/** CTAs for update_cta to work on, created through the endpoint itself (stateless calls). */
export async function createCtas(started: StartedTarget, companies: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < UPDATABLE_CTAS; i++) {
    const response = await fetch(started.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...started.headers },
      body: JSON.stringify({
        ...toolCall('create_cta', { company_id: companies[i % companies.length], name: `Bench CTA to update ${i}`, type: 'Activity', priority: 'Low', due_date: '2026-12-31' }),
        id: i + 1,
      }),
    });
    const text = await response.text();
    // Writes answer { entity_id, ... } in structuredContent.
    const id = findString(parseAny(text), 'entity_id');
    if (!response.ok || !id) throw new Error(`could not create the CTAs update_cta works on: create_cta answered ${response.status}: ${shorten(text)}`);
    ids.push(id);
  }
  return ids;
}

/** JSON, or the data of the first SSE event. */
export function parseAny(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const data = /^data: ?(.*)$/m.exec(text);
    try {
      return data ? JSON.parse(data[1]) : null;
    } catch {
      return null;
    }
  }
}

/** The first string under `key` anywhere in a value (structuredContent's shape is the tool's business). */
export function findString(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k === key && typeof v === 'string') return v;
    const inner = findString(v, key);
    if (inner) return inner;
  }
  return undefined;
}

export async function waitReady(base: string, server: ChildProcess, logFile: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`csmcp serve exited with ${server.exitCode}: ${shorten(readFileSync(logFile, 'utf8'), 500)}`);
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`csmcp serve was not ready within ${Math.round(timeoutMs / 1000)} s: ${shorten(readFileSync(logFile, 'utf8'), 500)}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The folder holding package.json and bin/: this file runs from bench/mcp (ts) or dist/bench/mcp (built). */
export function repositoryRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'bin', 'csmcp.js'))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}
