import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { demoCompany, demoUsers, type DemoOptions } from '../../../src/cli/commands/seed/demo-book';
import { runCli, startServerProcess, type CliResult, type ServerProcess } from '../../support/cli';

/**
 * The fuzz soaks' server: `csmcp serve` on a fresh embedded store set up with the CLI as in
 * test/conformance/seeded-server.ts (a CSM, `seed demo`), plus a viewer and an admin, each with a
 * token. Differences that matter on a loaded machine: the users and tokens are made in parallel, and
 * the server gets minutes (not 30 s) to start.
 */
export interface FuzzServer {
  readonly server: ServerProcess;
  readonly url: string;
  readonly port: string;
  readonly dataDir: string;
  /** The CSM who owns `companies` (cs:read cs:write), a viewer (cs:read), an admin (cs:read admin). */
  readonly tokens: { readonly csm: string; readonly viewer: string; readonly admin: string };
  readonly users: { readonly csm: string; readonly viewer: string; readonly admin: string };
  readonly companies: readonly string[];
  cli(args: string[], input?: string): Promise<CliResult>;
  /** Rows of the events table outside the audit log (a read-only connection to events.db). */
  eventCount(): number;
  /** The highest position in the events table. */
  maxPosition(): number;
  readEvents(afterPosition: number): Array<{ stream_name: string; event_id: string; type: string; data: string }>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 180_000;

export async function startFuzzServer(prefix: string, companyCount = 10): Promise<FuzzServer> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const env = { DATA_DIR: dataDir };
  const book: DemoOptions = { companies: companyCount, seed: 1, asOf: new Date().toISOString().slice(0, 10), activitiesPerCompany: 2 };
  const csms = demoUsers(book).filter((u) => u.role === 'csm');
  const users = { csm: csms[0].email, viewer: 'vera.viewer@example.com', admin: 'ada.admin@example.com' };
  const companies = Array.from({ length: book.companies }, (_, i) => demoCompany(book, i, csms))
    .filter((c) => c.ownerEmail === users.csm)
    .map((c) => c.companyId);
  const cli = (args: string[], input?: string) => runCli(args, env, input);
  const must = async (what: string, args: string[], input?: string): Promise<string> => {
    const result = await cli(args, input);
    if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}):\n${result.stderr}\n${result.stdout}`);
    return result.stdout;
  };
  const token = async (email: string, scopes: string) =>
    (JSON.parse(await must('tokens issue', ['tokens', 'issue', '--user', email, '--scopes', scopes, '--ttl', '4h', '--name', 'fuzz', '--json'])) as { token: string }).token;
  let server: ServerProcess | undefined;
  const db = () => new Database(join(dataDir, 'events.db'), { readonly: true, fileMustExist: true });
  try {
    await must('users add', ['users', 'add', '--email', users.csm, '--name', csms[0].name, '--role', 'csm']);
    await Promise.all([
      must('users add', ['users', 'add', '--email', users.viewer, '--name', 'Vera Viewer', '--role', 'viewer']),
      must('users add', ['users', 'add', '--email', users.admin, '--name', 'Ada Admin', '--role', 'admin']),
    ]);
    await must('seed demo', ['seed', 'demo', '--companies', String(book.companies), '--seed', '1', '--as-of', book.asOf, '--activities', '2', '--json']);
    const [csm, viewer, admin] = await Promise.all([token(users.csm, 'cs:read cs:write'), token(users.viewer, 'cs:read'), token(users.admin, 'cs:read admin')]);
    server = await startServerProcess(env, START_TIMEOUT_MS);
    const started = server;
    return {
      server: started,
      url: started.url,
      port: new URL(started.url).port,
      dataDir,
      tokens: { csm, viewer, admin },
      users,
      companies,
      cli,
      eventCount: () => {
        const d = db();
        try {
          return (d.prepare("SELECT COUNT(*) AS n FROM events WHERE stream_name <> 'audit-log'").get() as { n: number }).n;
        } finally {
          d.close();
        }
      },
      maxPosition: () => {
        const d = db();
        try {
          return (d.prepare('SELECT COALESCE(MAX(position), 0) AS p FROM events').get() as { p: number }).p;
        } finally {
          d.close();
        }
      },
      readEvents: (afterPosition) => {
        const d = db();
        try {
          return d.prepare('SELECT stream_name, event_id, type, data FROM events WHERE position > ? ORDER BY position').all(afterPosition) as never;
        } finally {
          d.close();
        }
      },
      stop: async () => {
        await started.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
