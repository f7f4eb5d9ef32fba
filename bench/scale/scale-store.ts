/**
 * Stores of 10,000 to 200,000 companies for the scale curve, built in seconds rather than the
 * minutes `seed demo` would take at that size (about 100 companies/s here: every company goes
 * through the real commands).
 *
 * A template book is seeded through the real commands once (`seed demo`, so every event is one the
 * application wrote), then its company events are copied into the same embedded store as many
 * times as needed, each copy with its own ids: company ids `demo-NNNNNN` shift by the template's
 * size, every other UUID (CTAs, tasks, plans, activities, contacts, correlation ids) is mapped to a
 * new one per copy. User ids are kept, so the copies belong to the same CSMs and the bench user's
 * token sees its share of them. The copies are inserted with the driver directly: this is data
 * preparation, the server under test builds its read models from them on start.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { demoUsers } from '../../src/cli/commands/seed/demo-book';
import { repositoryRoot } from '../mcp/csmcp-target';
import { shorten } from '../mcp/load';

export interface ScaleTemplate {
  readonly dir: string;
  readonly companies: number;
  /** A personal access token (cs:read cs:write) of the bench CSM. */
  readonly token: string;
  readonly userEmail: string;
  readonly cleanup: () => void;
}

export interface ScaleStore {
  readonly dataDir: string;
  readonly companies: number;
  readonly events: number;
  /** Company ids the bench user owns (a personal access token sees only those). */
  readonly ownedCompanies: string[];
  readonly buildSeconds: number;
  readonly cleanup: () => void;
}

/** A demo company id (`demo-NNNNNN`) or a UUID, in stream names, data and metadata. */
const ID = /demo-(\d{6})|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/g;
type IdToken = { readonly kind: 'demo'; readonly n: number } | { readonly kind: 'uuid'; readonly uuid: string };
type Part = string | IdToken;

/** `users add` (the bench CSM, before the seed so the seed gives it companies), `seed demo`, `tokens issue`. */
export function seedTemplate(companies: number, log: (line: string) => void): ScaleTemplate {
  const root = repositoryRoot();
  const bin = join(root, 'bin', 'csmcp.js');
  const dir = mkdtempSync(join(tmpdir(), 'csmcp-bench-scale-'));
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.DATABASE_SCHEMA;
  delete env.EVENTSTORE_URL;
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const cli = (args: string[], input?: string) => {
    const run = spawnSync(process.execPath, [bin, ...args], { cwd: root, env, input, encoding: 'utf8', timeout: 600_000 });
    if (run.status !== 0) throw new Error(`csmcp ${args.slice(0, 2).join(' ')} failed (exit ${run.status}): ${shorten((run.stderr ?? '') + (run.stdout ?? '') + (run.error ?? ''))}`);
    return run.stdout;
  };
  try {
    const asOf = new Date().toISOString().slice(0, 10);
    const user = demoUsers({ companies, seed: 1, asOf, activitiesPerCompany: 20 }).find((u) => u.role === 'csm')!;
    cli(['users', 'add', '--email', user.email, '--name', user.name, '--role', 'csm', '--password-stdin'], 'bench-password-1234\n');
    log(`  scale: seeding the template book (${companies} companies, 20 activities each) through the real commands`);
    cli(['seed', 'demo', '--companies', String(companies), '--seed', '1', '--as-of', asOf, '--activities', '20', '--json']);
    const token = (JSON.parse(cli(['tokens', 'issue', '--user', user.email, '--scopes', 'cs:read cs:write', '--ttl', '2h', '--json'])) as { token: string }).token;
    return { dir: join(dir, 'data'), companies, token, userEmail: user.email, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}

/** A copy of the template's data dir grown to `companies` companies (a multiple of the template's). */
export function growStore(template: ScaleTemplate, companies: number): ScaleStore {
  const started = process.hrtime.bigint();
  const copies = Math.ceil(companies / template.companies);
  const parent = mkdtempSync(join(tmpdir(), 'csmcp-bench-scale-store-'));
  const dataDir = join(parent, 'data');
  cpSync(template.dir, dataDir, { recursive: true });
  // The server under test builds its read models from zero.
  for (const file of ['read-models.db', 'read-models.db-wal', 'read-models.db-shm']) rmSync(join(dataDir, file), { force: true });
  const db = new Database(join(dataDir, 'events.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    const userIds = new Set(
      (db.prepare(`SELECT data FROM events WHERE type = 'UserRegistered'`).all() as { data: string }[]).map((r) => (JSON.parse(r.data) as { userId: string }).userId),
    );
    // Company events: every event of a stream that belongs to a demo company names its id.
    const rows = db
      .prepare(`SELECT stream_name, revision, type, data, metadata FROM events WHERE stream_name LIKE '%demo-%' OR data LIKE '%"demo-%' ORDER BY position`)
      .all() as { stream_name: string; revision: number; type: string; data: string; metadata: string }[];
    const owner = userIds.size > 0 ? ownerOf(db, template.userEmail) : null;
    const insert = db.prepare('INSERT INTO events (event_id, stream_name, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');
    // Each text split once into literal parts and ids, so a copy is a join, not a regex scan.
    const compiled = rows.map((row) => ({ ...row, stream: split(row.stream_name), data: split(row.data), metadata: split(row.metadata) }));
    // Ascending event ids: each insert lands at the end of the unique index instead of a random page
    // (random UUIDs made the copy of 1.6 million events take 90 s here).
    const run = randomUUID().slice(0, 8);
    let counter = 0;
    const eventId = () => `${run}-0000-7000-8000-${(counter++).toString(16).padStart(12, '0')}`;
    const copy = db.transaction((k: number) => {
      const ids = new Map<string, string>();
      const id = (token: IdToken): string => {
        if (token.kind === 'demo') return `demo-${String(token.n + k * template.companies).padStart(6, '0')}`;
        if (userIds.has(token.uuid)) return token.uuid;
        let mapped = ids.get(token.uuid);
        if (!mapped) {
          mapped = uuidFrom(`${k}|${token.uuid}`);
          ids.set(token.uuid, mapped);
        }
        return mapped;
      };
      const join = (parts: Part[]) => parts.map((part) => (typeof part === 'string' ? part : id(part))).join('');
      for (const row of compiled) insert.run(eventId(), join(row.stream), row.revision, row.type, join(row.data), join(row.metadata));
    });
    for (let k = 1; k < copies; k++) copy(k);
    const events = (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    const owned = owner
      ? (db.prepare(`SELECT json_extract(data, '$.companyId') AS id FROM events WHERE type = 'CompanyImported' AND json_extract(data, '$.ownerId') = ?`).all(owner) as { id: string }[]).map((r) => r.id)
      : [];
    db.pragma('wal_checkpoint(TRUNCATE)');
    return {
      dataDir,
      companies: copies * template.companies,
      events,
      ownedCompanies: owned,
      buildSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      cleanup: () => rmSync(parent, { recursive: true, force: true }),
    };
  } finally {
    db.close();
  }
}

function ownerOf(db: Database.Database, email: string): string | null {
  const row = db.prepare(`SELECT json_extract(data, '$.userId') AS id FROM events WHERE type = 'UserRegistered' AND json_extract(data, '$.email') = ?`).get(email) as
    | { id: string }
    | undefined;
  return row?.id ?? null;
}

function split(text: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const match of text.matchAll(ID)) {
    parts.push(text.slice(last, match.index));
    parts.push(match[1] !== undefined ? { kind: 'demo', n: Number(match[1]) } : { kind: 'uuid', uuid: match[2] });
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

/** A UUID-shaped id derived from a string (v5-like layout; only uniqueness matters here). */
function uuidFrom(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
