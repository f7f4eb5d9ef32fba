import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { demoCompany, demoUsers, type DemoOptions } from '../../src/cli/commands/seed/demo-book';
import { runCli, startServerProcess, type CliResult, type ServerProcess } from '../support/cli';

/**
 * A real `csmcp serve` child process on a fresh embedded store (SQLite in a temp DATA_DIR), set up the
 * way an operator would with the CLI: a CSM registered first (`users add`, with the email of the demo
 * book's first CSM, so `seed demo` gives them their share of the companies), `seed demo`, then a
 * personal access token from `tokens issue --json`. Shared by the MCP e2e specs.
 */
export interface SeededServer {
  readonly server: ServerProcess;
  /** The server's base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly dataDir: string;
  /** The environment the CLI needs to work on the same store. */
  readonly env: Record<string, string>;
  readonly user: { readonly email: string; readonly name: string };
  /** A cs:read cs:write token of that user. */
  readonly token: string;
  /** The ids of the demo companies the user owns. */
  readonly companies: readonly string[];
  cli(args: string[], input?: string): Promise<CliResult>;
  /**
   * Rows in the events table outside the audit log, read from events.db on a read-only connection:
   * what a call wrote (every call, a refused one too, gets its audit entry).
   */
  eventCount(): number;
  stop(): Promise<void>;
}

export interface SeededServerOptions {
  readonly prefix: string;
  readonly companies?: number;
  readonly activities?: number;
  /** Extra environment for `csmcp serve` (e.g. MCP_ALLOWED_ORIGINS). */
  readonly serveEnv?: Record<string, string>;
}

export async function startSeededServer(options: SeededServerOptions): Promise<SeededServer> {
  const dataDir = mkdtempSync(join(tmpdir(), options.prefix));
  const env = { DATA_DIR: dataDir };
  const book: DemoOptions = { companies: options.companies ?? 10, seed: 1, asOf: new Date().toISOString().slice(0, 10), activitiesPerCompany: options.activities ?? 3 };
  const csms = demoUsers(book).filter((u) => u.role === 'csm');
  const user = { email: csms[0].email, name: csms[0].name };
  const companies = Array.from({ length: book.companies }, (_, i) => demoCompany(book, i, csms))
    .filter((c) => c.ownerEmail === user.email)
    .map((c) => c.companyId);
  const cli = (args: string[], input?: string) => runCli(args, env, input);
  const must = async (what: string, args: string[], input?: string): Promise<string> => {
    const result = await cli(args, input);
    if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}):\n${result.stderr}\n${result.stdout}`);
    return result.stdout;
  };
  let server: ServerProcess | undefined;
  try {
    await must('users add', ['users', 'add', '--email', user.email, '--name', user.name, '--role', 'csm', '--password-stdin'], 'e2e-password-1234\n');
    await must('seed demo', [
      'seed', 'demo', '--companies', String(book.companies), '--seed', String(book.seed), '--as-of', book.asOf, '--activities', String(book.activitiesPerCompany), '--json',
    ]);
    const issued = await must('tokens issue', ['tokens', 'issue', '--user', user.email, '--scopes', 'cs:read cs:write', '--ttl', '1h', '--name', 'e2e', '--json']);
    const token = (JSON.parse(issued) as { token: string }).token;
    server = await startServerProcess({ ...env, ...options.serveEnv });
    const started = server;
    return {
      server: started,
      url: started.url,
      dataDir,
      env,
      user,
      token,
      companies,
      cli,
      eventCount: () => {
        const db = new Database(join(dataDir, 'events.db'), { readonly: true, fileMustExist: true });
        try {
          return (db.prepare("SELECT COUNT(*) AS n FROM events WHERE stream_name <> 'audit-log'").get() as { n: number }).n;
        } finally {
          db.close();
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
