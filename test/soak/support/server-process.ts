/**
 * The compiled csmcp (`node bin/csmcp.js`, what `npm start` runs) for soak tests that start, kill and
 * restart servers many times: from source every start would cost seconds of compiling. `npm test`
 * builds first (pretest); run alone (`npx jest test/soak/...`), the first use builds if dist/ is
 * missing. A store is an embedded one (SQLite in a temp dir) or a fresh PostgreSQL schema, set up with
 * the built CLI as an operator would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { demoCompany, demoUsers, type DemoOptions } from '../../../src/cli/commands/seed/demo-book';
import { freePort } from '../../support/free-port';
export { freePort };

export const ROOT = join(__dirname, '..', '..', '..');
export const BIN = join(ROOT, 'bin', 'csmcp.js');
export const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

const BUILT = join(ROOT, 'dist', 'src', 'cli', 'main.js');

/**
 * Waits for dist/ (another `npm run build` may be half-way: it empties dist/ first), and builds it
 * if it stays missing (npm test has built it already).
 */
export async function ensureBuilt(): Promise<void> {
  for (let waited = 0; waited < 120_000 && !existsSync(BUILT); waited += 1_000) await new Promise((r) => setTimeout(r, 1_000));
  if (existsSync(BUILT)) return;
  const run = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  if (run.status !== 0 && !existsSync(BUILT)) throw new Error(`npm run build failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `csmcp <args>` with the built binary, to completion. */
export async function runBuiltCli(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  await ensureBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Where a soak's data lives; `env` is what the CLI and `csmcp serve` run with. */
export interface SoakStore {
  readonly kind: 'sqlite' | 'postgres';
  readonly env: NodeJS.ProcessEnv;
  /** DATA_DIR (the embedded store's files; on PostgreSQL, only local files such as keys). */
  readonly dataDir: string;
  /** The PostgreSQL schema, null on the embedded store. */
  readonly schema: string | null;
  /** Runs the built CLI on this store; throws with its output unless it exits 0. */
  cli(args: string[], input?: string): Promise<string>;
  /** Runs the built CLI on this store, whatever its exit code. */
  cliRaw(args: string[], input?: string): Promise<CliResult>;
  dispose(): Promise<void>;
}

function storeWith(kind: SoakStore['kind'], env: NodeJS.ProcessEnv, dataDir: string, schema: string | null, dispose: () => Promise<void>): SoakStore {
  const cliRaw = (args: string[], input?: string) => runBuiltCli(args, env, input);
  return {
    kind,
    env,
    dataDir,
    schema,
    cliRaw,
    async cli(args, input) {
      const result = await cliRaw(args, input);
      if (result.code !== 0) throw new Error(`csmcp ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
      return result.stdout;
    },
    dispose,
  };
}

/** The embedded store in a fresh temp dir, whatever the shell's DATABASE_URL says. */
export function soakSqliteStore(): SoakStore {
  const dir = mkdtempSync(join(tmpdir(), 'csmcp-soak-'));
  const dataDir = join(dir, 'data');
  const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir, DATABASE_URL: undefined, DATABASE_SCHEMA: undefined, EVENTSTORE_URL: undefined };
  return storeWith('sqlite', env, dataDir, null, async () => rmSync(dir, { recursive: true, force: true }));
}

/** A fresh PostgreSQL schema (dropped by dispose). */
export function soakPostgresStore(prefix: string): SoakStore {
  const schema = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'csmcp-soak-pg-'));
  const env: NodeJS.ProcessEnv = { DATABASE_URL, DATABASE_SCHEMA: schema, EVENTSTORE_URL: undefined, DATA_DIR: dataDir };
  return storeWith('postgres', env, dataDir, schema, async () => {
    await pgQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    rmSync(dataDir, { recursive: true, force: true });
  });
}

/** One query on the test PostgreSQL (a connection of its own). */
export async function pgQuery<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new PgClient({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export interface SoakPerson {
  readonly email: string;
  readonly name: string;
  /** A personal access token with cs:read cs:write. */
  readonly token: string;
}

export interface SoakBook {
  readonly admin: SoakPerson;
  /** The demo book's first CSM. */
  readonly ann: SoakPerson;
  /** The demo book's second CSM. */
  readonly bob: SoakPerson;
  readonly annCompanies: readonly string[];
  readonly bobCompanies: readonly string[];
}

/** The admin, ann and bob registered, the demo book seeded (`companies`), tokens issued (valid `ttl`). */
export async function seedSoakBook(store: SoakStore, companies = 12, ttl = '6h'): Promise<SoakBook> {
  const options: DemoOptions = { companies, seed: 1, asOf: new Date().toISOString().slice(0, 10), activitiesPerCompany: 2 };
  const csms = demoUsers(options).filter((u) => u.role === 'csm');
  const people = {
    admin: { email: 'admin@example.com', name: 'Ada Admin', role: 'admin' },
    ann: { email: csms[0].email, name: `Ann (${csms[0].name})`, role: 'csm' },
    bob: { email: csms[1].email, name: `Bob (${csms[1].name})`, role: 'csm' },
  };
  // The admin first: the first user of an empty store.
  for (const p of [people.admin, people.ann, people.bob]) await store.cli(['users', 'add', '--email', p.email, '--name', p.name, '--role', p.role]);
  await store.cli(['seed', 'demo', '--companies', String(companies), '--seed', '1', '--as-of', options.asOf, '--activities', '2', '--json']);
  const issue = async (email: string) =>
    (JSON.parse(await store.cli(['tokens', 'issue', '--user', email, '--scopes', 'cs:read cs:write', '--ttl', ttl, '--json'])) as { token: string }).token;
  const [admin, ann, bob] = await Promise.all([issue(people.admin.email), issue(people.ann.email), issue(people.bob.email)]);
  const book = Array.from({ length: companies }, (_, i) => demoCompany(options, i, csms));
  return {
    admin: { ...people.admin, token: admin },
    ann: { ...people.ann, token: ann },
    bob: { ...people.bob, token: bob },
    annCompanies: book.filter((c) => c.ownerEmail === people.ann.email).map((c) => c.companyId),
    bobCompanies: book.filter((c) => c.ownerEmail === people.bob.email).map((c) => c.companyId),
  };
}

export interface BuiltServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  logs(): string;
  /** True once the process has exited. */
  readonly exited: boolean;
  /** Sends the signal (default SIGKILL: no shutdown of any kind) and resolves with how it ended. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node bin/csmcp.js serve` on 127.0.0.1 (port 0: a free one; give the same port again to
 * restart "the same" server) and resolves once it logs that it is listening.
 */
export async function startBuiltServer(env: NodeJS.ProcessEnv, options: { port?: number; timeoutMs?: number; logLevel?: string } = {}): Promise<BuiltServer> {
  await ensureBuilt();
  const timeoutMs = options.timeoutMs ?? 90_000;
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(options.port ?? 0), '--host', '127.0.0.1'], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: options.logLevel ?? 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk;
    // Keep the tail only: a soak server may log for minutes.
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`csmcp serve did not listen within ${timeoutMs} ms:\n${output.slice(-4_000)}`));
    }, timeoutMs);
    const onData = () => {
      const match = /"msg":"csmcp is listening","url":"(http:\/\/[^"]+)"/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stderr.off('data', onData);
      const url = match[1].replace(/\/$/, '');
      const server: BuiltServer = {
        url,
        port: Number(new URL(url).port),
        pid: child.pid!,
        child,
        logs: () => output,
        get exited() {
          return child.exitCode !== null || child.signalCode !== null;
        },
        kill: async (signal = 'SIGKILL') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return ended;
        },
      };
      resolve(server);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void ended.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`csmcp serve exited (${signal ?? code}) before listening:\n${output.slice(-4_000)}`));
    });
  });
}


/** Waits until the server is ready and every projection is at the head of the store (readyz). */
export async function untilCaughtUp(baseUrl: string, timeoutMs = 60_000): Promise<{ head: string }> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const body = (await (await fetch(`${baseUrl}/readyz`)).json()) as { status: string; store: { head: string }; projections: Array<{ position: string }> };
      last = body;
      if (body.status === 'ready' && body.projections.every((p) => p.position === body.store.head)) return { head: body.store.head };
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) throw new Error(`the server did not catch up within ${timeoutMs} ms: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
