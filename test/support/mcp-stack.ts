/**
 * A real csmcp store for MCP end-to-end tests, set up the way an operator does it with the CLI:
 * users registered with the demo book's e-mail addresses (so the seed gives them their companies),
 * `seed demo`, personal access tokens from `tokens issue --json`. Plus a probe that counts events in
 * the store directly, so a test can say "written exactly once" or "nothing written".
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client as PgClient } from 'pg';
import { demoCompany, demoUsers, type DemoOptions } from '../../src/cli/commands/seed/demo-book';
import { runCli } from './cli';

export const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface McpPerson {
  readonly email: string;
  readonly name: string;
  readonly role: 'admin' | 'csm' | 'viewer';
  /** cs:read cs:write */
  readonly token: string;
}

export interface McpBook {
  /** A CSM who owns companies (the demo book's first CSM). */
  readonly ann: McpPerson & { readonly readToken: string };
  /** Another CSM, owning other companies. */
  readonly bob: McpPerson;
  readonly viewer: McpPerson;
  readonly admin: McpPerson;
  /** The companies ann owns, as the seed assigns them. */
  readonly annCompanies: readonly string[];
  readonly bobCompanies: readonly string[];
}

/** Where a test's data lives: an embedded store in a temp dir, or a fresh PostgreSQL schema. */
export interface McpStore {
  readonly kind: 'sqlite' | 'postgres';
  /** The environment the CLI and `csmcp serve` run with. */
  readonly env: NodeJS.ProcessEnv;
  readonly events: EventProbe;
  /** Runs the CLI on this store; throws with its output unless it exits 0. */
  cli(args: string[], input?: string): Promise<string>;
  dispose(): Promise<void>;
}

export interface EventProbe {
  /** Events of this type (any type: null) whose data has `field` equal to `value`. */
  count(type: string | null, field: string, value: string): Promise<number>;
}

export function sqliteStore(): McpStore {
  const dir = mkdtempSync(join(tmpdir(), 'csmcp-mcp-e2e-'));
  // The embedded store, whatever the shell says.
  const env: NodeJS.ProcessEnv = { DATA_DIR: join(dir, 'data'), DATABASE_URL: undefined, DATABASE_SCHEMA: undefined, EVENTSTORE_URL: undefined };
  return {
    kind: 'sqlite',
    env,
    cli: (args, input) => cliOk(args, env, input),
    events: {
      async count(type, field, value) {
        const db = new Database(join(dir, 'data', 'events.db'), { readonly: true, fileMustExist: true });
        try {
          const row = db
            .prepare(`SELECT COUNT(*) AS n FROM events WHERE (? IS NULL OR type = ?) AND json_extract(data, ?) = ?`)
            .get(type, type, `$.${field}`, value) as { n: number };
          return row.n;
        } finally {
          db.close();
        }
      },
    },
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function postgresStore(prefix: string): McpStore {
  const schema = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const env: NodeJS.ProcessEnv = { DATABASE_URL, DATABASE_SCHEMA: schema, EVENTSTORE_URL: undefined, DATA_DIR: mkdtempSync(join(tmpdir(), 'csmcp-mcp-pg-')) };
  const query = async <T>(sql: string, params: unknown[]): Promise<T[]> => {
    const client = new PgClient({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  };
  return {
    kind: 'postgres',
    env,
    cli: (args, input) => cliOk(args, env, input),
    events: {
      async count(type, field, value) {
        const rows = await query<{ n: string }>(
          `SELECT COUNT(*) AS n FROM "${schema}".es_events WHERE ($1::text IS NULL OR type = $1) AND data->>$2 = $3`,
          [type, field, value],
        );
        return Number(rows[0].n);
      },
    },
    dispose: async () => {
      await query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`, []);
      rmSync(env.DATA_DIR!, { recursive: true, force: true });
    },
  };
}

async function cliOk(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<string> {
  const result = await runCli(args, env, input);
  if (result.code !== 0) throw new Error(`csmcp ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/**
 * Registers ann and bob (the demo book's two CSMs), a viewer and the admin, seeds the demo book and
 * issues their tokens. 30 companies: ann owns about half of them.
 */
export async function seedBook(store: McpStore, companies = 30): Promise<McpBook> {
  const options: DemoOptions = { companies, seed: 1, asOf: new Date().toISOString().slice(0, 10), activitiesPerCompany: 4 };
  const csms = demoUsers(options).filter((u) => u.role === 'csm');
  const people = {
    admin: { email: 'admin@example.com', name: 'Ada Admin', role: 'admin' as const },
    ann: { email: csms[0].email, name: `Ann (${csms[0].name})`, role: 'csm' as const },
    bob: { email: csms[1].email, name: `Bob (${csms[1].name})`, role: 'csm' as const },
    viewer: { email: 'vic.viewer@example.com', name: 'Vic Viewer', role: 'viewer' as const },
  };
  // The admin first: the first user of an empty store.
  for (const p of [people.admin, people.ann, people.bob, people.viewer])
    await store.cli(['users', 'add', '--email', p.email, '--name', p.name, '--role', p.role]);
  await store.cli(['seed', 'demo', '--companies', String(companies), '--seed', '1', '--as-of', options.asOf, '--activities', '4', '--json']);
  const issue = async (email: string, scopes: string) =>
    (JSON.parse(await store.cli(['tokens', 'issue', '--user', email, '--scopes', scopes, '--ttl', '1h', '--json'])) as { token: string }).token;
  const [annToken, annRead, bobToken, viewerToken, adminToken] = await Promise.all([
    issue(people.ann.email, 'cs:read cs:write'),
    issue(people.ann.email, 'cs:read'),
    issue(people.bob.email, 'cs:read cs:write'),
    issue(people.viewer.email, 'cs:read cs:write'),
    issue(people.admin.email, 'cs:read cs:write'),
  ]);
  const book = Array.from({ length: companies }, (_, i) => demoCompany(options, i, csms));
  return {
    ann: { ...people.ann, token: annToken, readToken: annRead },
    bob: { ...people.bob, token: bobToken },
    viewer: { ...people.viewer, token: viewerToken },
    admin: { ...people.admin, token: adminToken },
    annCompanies: book.filter((c) => c.ownerEmail === people.ann.email).map((c) => c.companyId),
    bobCompanies: book.filter((c) => c.ownerEmail === people.bob.email).map((c) => c.companyId),
  };
}

/** `csmcp policy set` with this policy (JSON), as an admin does it. */
export async function setPolicy(store: McpStore, policy: unknown): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'csmcp-policy-'));
  try {
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify(policy));
    await store.cli(['policy', 'set', file, '--by', 'admin@example.com']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits until the server has caught up with the store (readyz: every projection at the head). */
export async function untilCaughtUp(baseUrl: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await fetch(`${baseUrl}/readyz`)).json()) as { status: string; store: { head: string }; projections: Array<{ position: string }> };
    if (body.status === 'ready' && body.projections.every((p) => p.position === body.store.head)) return;
    if (Date.now() > deadline) throw new Error(`the server did not catch up: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
