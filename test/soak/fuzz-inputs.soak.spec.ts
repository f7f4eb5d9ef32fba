import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { PostgresReadModelDatabase, SqliteReadModelDatabase, type ReadModelDatabase } from '@csmcp/projections';
import { DATABASE_URL, dropSchema, freshSchemaName } from '../../libs/projections/test/support/postgres';
import { formatOf, readImportFile } from '../../src/cli/commands/import/read-import-file';
import { AnalysisQueryError, AnalyzeAccountsHandler, AnalyzeAccountsQuery } from '../../src/customer-success/analysis';
import { ImportRejectedError, validateRow, type ImportKind, type RowProblem } from '../../src/customer-success/companies/commands/import-batch';
import { ImportCompaniesCommand } from '../../src/customer-success/companies/commands/import-companies/import-companies.command';
import { COMPANY_IMPORT } from '../../src/customer-success/companies/commands/import-companies/import-companies.handler';
import { ImportContactsCommand } from '../../src/customer-success/companies/commands/import-contacts/import-contacts.command';
import { CONTACT_IMPORT } from '../../src/customer-success/companies/commands/import-contacts/import-contacts.handler';
import { ImportRelationshipsCommand } from '../../src/customer-success/companies/commands/import-relationships/import-relationships.command';
import { RELATIONSHIP_IMPORT } from '../../src/customer-success/companies/commands/import-relationships/import-relationships.handler';
import { admin, registerAnna, startAdminCommands, type AdminCommandsHarness } from '../../src/customer-success/companies/commands/testing/admin-commands.harness';
import { CustomerSuccessProjection } from '../../src/customer-success/read-models/customer-success.projection';
import { SCORECARD_IMPORT } from '../../src/customer-success/scorecards/commands/record-scorecard/record-scorecard.handler';
import { analysisQuery } from './support/fuzz-analysis';
import { brokenCsv, CSV_COLUMNS, csvStyle, csvTable, plausibleCell, wildCell, writeCsv, type CsvTable } from './support/fuzz-csv';
import { jsonRpcMessages, mapLimit, nastyJson, nastyNumber, nastyString, problemsOf, rawRequest, sometimes, stringsIn, type Answer } from './support/fuzz-http';
import { startFuzzServer, type FuzzServer } from './support/fuzz-server';
import { SOAK_FULL, soakScale, soakTimeout } from './support/soak-mode';

/**
 * Fuzzing the other ways input gets in, with fast-check, with the properties of the MCP fuzz
 * (fuzz-mcp.soak.spec.ts): never a crash or an unexpected error, never internals (stack traces, SQL,
 * file paths) in what the caller sees, never a write from a refused request.
 *
 * - The analysis language (analyze_accounts): queries built from the whitelist with wrong names, ops,
 *   values, limits and arbitrary JSON mixed in, run through the real query handler on a SQLite file
 *   and a PostgreSQL schema holding the cs_* tables: each is answered or refused with INVALID_QUERY,
 *   never a database error; and a sample of them through MCP.
 * - The CSV importer: fuzzed files (formulas, quotes, BOM, CR/CRLF/LF, unknown and repeated columns,
 *   ragged rows, huge fields, broken quoting) through its file reader and row validation, and through
 *   the import commands on a store: a file is imported or refused as a whole (nothing written);
 *   line ends and a BOM change nothing. A few runs of the real `csmcp import` with a bad row among
 *   good ones: exit 1, the row named, nothing written.
 * - The admin API (/admin/api, every endpoint its 404 lists): fuzzed methods, path and query
 *   parameters and bodies with an admin's token: never a 5xx, always `{ error: { code, message } }`
 *   when refused, no write from a refused request.
 */

const CASES = soakScale(1_000, 10_000);
/** JSON import files: fewer, their rows go through the same validation and commands as the CSV ones. */
const JSON_CASES = soakScale(300, 3_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20250916);
const NOW = new Date('2025-06-15T10:00:00Z');

/** SQL text or internals in an error message the caller would see. */
function leaks(message: string, echoed: readonly string[]): string[] {
  return problemsOf({ status: 200, headers: {}, text: message }, echoed);
}

// ---- the analysis language, on both databases ---------------------------------------------------

describe('fuzz: the analysis query language (the query handler on SQLite and PostgreSQL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'csmcp-fuzz-analysis-'));
  const schema = freshSchemaName('csmcp_fuzz_analysis');
  const dbs: ReadModelDatabase[] = [];
  const outcomes = { answered: 0, refused: 0 };

  beforeAll(async () => {
    dbs.push(new SqliteReadModelDatabase({ filename: join(dir, 'read-models.db') }));
    dbs.push(new PostgresReadModelDatabase({ connectionString: DATABASE_URL, schema, poolSize: 2 }));
    for (const db of dbs) {
      await new CustomerSuccessProjection().setup(db);
      await seedReadModel(db);
    }
  }, 60_000);

  afterAll(async () => {
    process.stdout.write(`fuzz-inputs analysis (${SOAK_FULL ? 'full' : 'short'}, seed ${SEED}): ${CASES} queries x 2 databases: answered ${outcomes.answered}, refused ${outcomes.refused}\n`);
    for (const db of dbs) await db.close();
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${CASES} fuzzed queries: answered, or refused with INVALID_QUERY saying where; never a database error`, async () => {
    await fc.assert(
      fc.asyncProperty(analysisQuery, fc.option(fc.constantFrom(['u1'], [], ['u1', "o'neil"]), { freq: 2 }), async (query, visible) => {
        for (const db of dbs) {
          const handler = new AnalyzeAccountsHandler(db);
          try {
            const result = await handler.execute(new AnalyzeAccountsQuery({ query, viewer: { userId: 'u-fuzz', visibleOwnerIds: visible }, now: NOW }));
            expect(Array.isArray(result.rows)).toBe(true);
            expect(result.rowCount).toBe(result.rows.length);
            outcomes.answered++;
          } catch (error) {
            if (!(error instanceof AnalysisQueryError)) throw new Error(`${db.dialect}: not an AnalysisQueryError: ${String(error)} for ${JSON.stringify(query)?.slice(0, 2000)}`);
            expect(error.code).toBe('INVALID_QUERY');
            expect(error.problems.length).toBeGreaterThan(0);
            expect(leaks(error.message, stringsIn(query))).toEqual([]);
            outcomes.refused++;
          }
        }
      }),
      { numRuns: CASES, seed: SEED, endOnFailure: true },
    );
    // Both outcomes were reached: the generator is not all noise, nor all valid.
    expect(outcomes.answered).toBeGreaterThan(CASES / 10);
    expect(outcomes.refused).toBeGreaterThan(CASES / 10);
  }, soakTimeout(240_000, 1_800_000));
});

/** A few rows in cs_companies, cs_ctas and cs_timeline_activities, some with nasty text, so queries have something to match. */
async function seedReadModel(db: ReadModelDatabase): Promise<void> {
  const names = ['Acme', "O'Reilly", '50% off_', 'ünïcode', '\u202Eevil', 'x!y'];
  await db.transaction(async (tx) => {
    for (const [i, name] of names.entries()) {
      const id = `c${i}`;
      await tx.run(
        'INSERT INTO cs_companies (company_id, name, name_lower, segment, lifecycle_stage, arr, renewal_date, owner_id, health_score, health_color, open_cta_count, last_activity_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [id, name, name.toLowerCase(), i % 2 ? 'SMB' : 'Enterprise', 'Adoption', i * 1000.5, i % 3 ? `2025-0${i + 1}-15` : null, i % 2 ? 'u1' : 'u2', i * 10, i % 2 ? 'Red' : 'Green', i, i % 2 ? '2025-06-01T10:00:00Z' : null, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'],
      );
      await tx.run(
        'INSERT INTO cs_ctas (cta_id, company_id, name, type, priority, status, is_open, owner_id, due_date, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [`t${i}`, id, name, 'Risk', 'High', i % 2 ? 'Open' : 'Closed Success', i % 2, 'u1', i % 2 ? '2025-06-10' : null, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'],
      );
      await tx.run(
        'INSERT INTO cs_timeline_activities (activity_id, company_id, context_kind, context_id, type, subject, occurred_at, author_id, participants, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [`a${i}`, id, 'company', id, 'Meeting', name, `2025-05-0${i + 1}T09:00:00Z`, 'u1', '[]', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'],
      );
    }
  });
}

// ---- the CSV importer, its reader and the import commands -----------------------------------------

const SPECS = { companies: COMPANY_IMPORT, contacts: CONTACT_IMPORT, relationships: RELATIONSHIP_IMPORT, scorecards: SCORECARD_IMPORT } as const;
const KINDS: ImportKind[] = ['companies', 'contacts', 'relationships', 'scorecards'];

/** The rows and problems of a read file, without what depends on the bytes (for comparing line-end styles). */
function shapeOf(file: ReturnType<typeof readImportFile>) {
  return { problems: file.problems.map((p) => ({ ...p, problem: p.problem.replace(/\b(line|at|bytes?) \d+/g, '') })), batches: file.batches };
}

function expectWellFormed(problems: readonly RowProblem[]): void {
  for (const p of problems) {
    expect(Number.isInteger(p.row) && p.row >= 0).toBe(true);
    expect(typeof p.field).toBe('string');
    expect(typeof p.problem === 'string' && p.problem.length > 0).toBe(true);
  }
}

describe('fuzz: the CSV importer (file reader, row validation, import commands on a store)', () => {
  let harness: AdminCommandsHarness;
  const ids = ['acme', 'globex', 'initech'];
  const emails = ['anna@example.com', 'nobody@example.com'];
  const tally = { files: 0, fileProblems: 0, rejected: 0, imported: 0 };

  beforeAll(async () => {
    harness = await startAdminCommands();
    await registerAnna(harness.bus);
  });

  afterAll(async () => {
    process.stdout.write(
      `fuzz-inputs csv (${SOAK_FULL ? 'full' : 'short'}, seed ${SEED}): ${tally.files} files: refused as files ${tally.fileProblems}, rows refused ${tally.rejected}, imported ${tally.imported}\n`,
    );
    await harness?.close();
  });

  const fileCase = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...KINDS).chain((kind) => fc.tuple(csvTable(kind, ids, emails), csvStyle, csvStyle)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...KINDS), brokenCsv) },
  );

  it(`${CASES} fuzzed CSV files: read or refused with problems; imported whole or not at all; line ends and BOM change nothing`, async () => {
    await fc.assert(
      fc.asyncProperty(fileCase, async (c) => {
        tally.files++;
        if (typeof c[1] === 'string') {
          const file = readImportFile(c[0] as ImportKind, 'csv', c[1]);
          expectWellFormed(file.problems);
          await importAllOrNothing(c[0] as ImportKind, file);
          return;
        }
        const [table, style, otherStyle] = c as [CsvTable, ReturnType<typeof Object>, ReturnType<typeof Object>];
        const content = writeCsv(table, style as never);
        const file = readImportFile(table.kind, 'csv', content);
        expectWellFormed(file.problems);
        // The same table written another way (line ends, BOM, quoting) reads the same. Not when a record
        // is all empty cells: unquoted with one column that is an empty line, which the reader skips as
        // blank, where `""` is a row (the long run's counterexample); a format ambiguity, not a bug.
        const again = readImportFile(table.kind, 'csv', writeCsv(table, otherStyle as never));
        if (!table.records.some((record) => record.every((cell) => cell === ''))) expect(shapeOf(again)).toEqual(shapeOf(file));
        // Every row the reader let through is validated without throwing; each problem names its row.
        const rows = file.batches[table.kind] ?? [];
        for (const row of rows) {
          const problems: RowProblem[] = [];
          validateRow(SPECS[table.kind] as Parameters<typeof validateRow>[0], row, (field, problem, allowed = null) => problems.push({ row: row.row, field, problem, allowed }));
          expectWellFormed(problems);
          expect(row.row).toBeGreaterThanOrEqual(2);
        }
        await importAllOrNothing(table.kind, file);
      }),
      { numRuns: CASES, seed: SEED, endOnFailure: true },
    );
    expect(tally.fileProblems + tally.rejected).toBeGreaterThan(0);
    expect(tally.imported).toBeGreaterThan(0);
  }, soakTimeout(240_000, 1_800_000));

  // JSON import files (`csmcp import … file.json`): objects whose keys may be anything, "constructor"
  // and "__proto__" included (an own "constructor" key made class-transformer throw), nested values.
  const oddKey = fc.constantFrom('constructor', '__proto__', 'prototype', 'toString', 'hasOwnProperty', 'valueOf');
  /** An object with one odd own key, as JSON.parse makes it ("__proto__" an own property too). */
  const oddObject = fc.tuple(oddKey, fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => JSON.parse(`{${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}}`) as unknown);
  const jsonCell = (column: string) =>
    fc.oneof(
      { weight: 12, arbitrary: plausibleCell(column, ids, emails) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      { weight: 1, arbitrary: oddObject },
      { weight: 1, arbitrary: nastyString },
    );
  const jsonRecord = (kind: ImportKind): fc.Arbitrary<Record<string, unknown>> =>
    fc
      .tuple(
        fc.oneof(fc.constant([...CSV_COLUMNS[kind]]), fc.subarray([...CSV_COLUMNS[kind]])).chain((columns) => fc.tuple(...columns.map((c) => jsonCell(c).map((v) => [c, v] as const)))),
        fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(fc.oneof(oddKey, fc.string({ maxLength: 12 })), fc.oneof(fc.jsonValue({ maxDepth: 3 }), oddObject)), { minLength: 1, maxLength: 2 }) }),
        kind === 'companies' ? fc.array(fc.constantFrom('contacts', 'relationships')).chain((keys) => fc.tuple(...keys.map((k) => fc.jsonValue({ maxDepth: 3 }).map((v) => [k, v] as const)))) : fc.constant([]),
      )
      // Own properties, "__proto__" included, as JSON.parse makes them.
      .map(([cells, odd, nested]) => JSON.parse(`{${[...cells, ...odd, ...nested].map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`) as Record<string, unknown>);
  const jsonFile = fc.constantFrom(...KINDS).chain((kind) =>
    fc.tuple(
      fc.constant(kind),
      fc.oneof(
        { weight: 8, arbitrary: fc.array(jsonRecord(kind), { minLength: 1, maxLength: 4 }).map((records) => JSON.stringify(records)) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null') },
        { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
      ),
    ),
  );

  it(`${JSON_CASES} fuzzed JSON import files: read or refused with problems, each row validated without throwing, imported whole or not at all`, async () => {
    const before = { ...tally };
    await fc.assert(
      fc.asyncProperty(jsonFile, async ([kind, content]) => {
        tally.files++;
        const file = readImportFile(kind, 'json', content);
        expectWellFormed(file.problems);
        for (const row of file.batches[kind] ?? []) {
          const problems: RowProblem[] = [];
          validateRow(SPECS[kind] as Parameters<typeof validateRow>[0], row, (field, problem, allowed = null) => problems.push({ row: row.row, field, problem, allowed }));
          expectWellFormed(problems);
        }
        await importAllOrNothing(kind, file);
      }),
      { numRuns: JSON_CASES, seed: SEED, endOnFailure: true },
    );
    process.stdout.write(
      `fuzz-inputs json (${SOAK_FULL ? 'full' : 'short'}, seed ${SEED}): ${tally.files - before.files} files: refused as files ${tally.fileProblems - before.fileProblems}, rows refused ${tally.rejected - before.rejected}, imported ${tally.imported - before.imported}\n`,
    );
  }, soakTimeout(240_000, 1_800_000));

  /** Through the import command (not scorecards: another module's): imported, or refused with nothing written. */
  async function importAllOrNothing(kind: ImportKind, file: ReturnType<typeof readImportFile>): Promise<void> {
    if (file.problems.length > 0) {
      tally.fileProblems++;
      return;
    }
    if (kind === 'scorecards') return;
    const rows = file.batches[kind] ?? [];
    const command =
      kind === 'companies' ? new ImportCompaniesCommand(rows, admin) : kind === 'contacts' ? new ImportContactsCommand(rows, admin) : new ImportRelationshipsCommand(rows, admin);
    const before = await harness.countEvents();
    try {
      await harness.bus.execute(command);
      tally.imported++;
    } catch (error) {
      if (!(error instanceof ImportRejectedError)) throw error;
      expectWellFormed(error.problems);
      expect(await harness.countEvents()).toBe(before);
      tally.rejected++;
    }
  }
});

// ---- against a running server: the admin API, analyze_accounts over MCP, the import CLI ----------

describe('fuzz: the admin API, analyze_accounts over MCP and `csmcp import` (csmcp serve, embedded store)', () => {
  let csmcp: FuzzServer;
  let port: string;
  let adminToken: string;
  let endpoints: Array<{ method: string; path: string }>;
  let pathIds: string[];
  const tally = { cases: 0, byStatus: new Map<number, number>(), checkedGroups: 0 };

  beforeAll(async () => {
    csmcp = await startFuzzServer('csmcp-fuzz-inputs-', 8);
    port = csmcp.port;
    adminToken = csmcp.tokens.admin;

    // The endpoints, as the API's own 404 lists them.
    const notFound = await admin_('GET', '/admin/api/no-such-thing');
    const list = /the endpoints are: (.*)$/.exec(JSON.parse(notFound.text).error.message)![1];
    endpoints = [...list.matchAll(/(GET|POST|PUT|PATCH|DELETE) (\/admin\/api\/[^\s,]*)/g)].map((m) => ({ method: m[1], path: m[2] }));
    // Ids for path parameters: users other than Ada (so a fuzzed PATCH cannot take her admin role away), audit seqs, made-up ones.
    const users = JSON.parse((await admin_('GET', '/admin/api/users')).text) as { items?: Array<{ user_id: string; email: string }> } | Array<{ user_id: string; email: string }>;
    const userIds = (Array.isArray(users) ? users : (users.items ?? [])).filter((u) => u.email !== csmcp.users.admin).map((u) => u.user_id);
    pathIds = [...userIds, '1', '2', '0', '-1', '999999', 'abc', '00000000-0000-4000-8000-000000000000', 'csmcp-cli'];
  }, 400_000);

  afterAll(async () => {
    if (csmcp) {
      const status = [...tally.byStatus.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}: ${n}`).join(', ');
      process.stdout.write(
        `fuzz-inputs admin API (${SOAK_FULL ? 'full' : 'short'}, seed ${SEED}): ${tally.cases} requests over ${endpoints?.length} endpoints; statuses ${status}; ` +
          `${tally.checkedGroups} groups of refused writes checked for events\n`,
      );
    }
    await csmcp?.stop();
  });

  function admin_(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
    return rawRequest({
      port,
      method,
      path,
      headers: { authorization: `Bearer ${adminToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body,
    });
  }

  const FIELDS = [
    'name', 'preset', 'redirect_uris', 'add_redirect_uris', 'remove_redirect_uris', 'ip_allow_list', 'immediately', 'role', 'team', 'email', 'reason', 'amount', 'scope', 'id',
    'monthlyLimit', 'byKind', 'byTool', 'url', 'transport', 'auth', 'client_secret', 'allowed_hosts', 'user_email', 'timeout', 'rules', 'password', 'token_endpoint_auth_method',
  ];
  const fieldValue = fc.oneof(
    fc.constantFrom('viewer', 'csm', 'claude', 'chatgpt', 'user', 'integration', 'Team A', null, true, 5, -5, 0, [], ['https://evil.example/cb'], ['10.0.0.0/8'], { read: 1 }, { create_cta: 2 }),
    nastyString,
    nastyNumber,
    nastyJson,
  );
  const body = fc.oneof(
    { weight: 6, arbitrary: fc.dictionary(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...FIELDS) }, { weight: 1, arbitrary: nastyString }), fieldValue, { maxKeys: 4 }).map((b) => JSON.stringify(b)) },
    { weight: 2, arbitrary: nastyJson.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.oneof(nastyString, fc.constantFrom('{', '{"a":', '[1,', 'null', '')) },
    { weight: 1, arbitrary: fc.constant(`{"reason":"${'x'.repeat(70 * 1024)}"}`) },
  );
  const segment = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...['1', 'x']) }, { weight: 2, arbitrary: nastyString.map((s) => encode(s.slice(0, 300))) }, { weight: 1, arbitrary: fc.constantFrom('..', '%2e%2e', '%00', '%', '%zz', '') });
  const query = fc.dictionary(
    fc.oneof(fc.constantFrom('limit', 'cursor', 'user', 'tool', 'from', 'to', 'outcome', 'company_id', 'integration', 'sort', 'order', 'q', 'access_token'), nastyString.map((s) => s.slice(0, 50))),
    fc.oneof(fc.constantFrom('1', '0', '-1', '1000000', 'abc', '2025-02-30', '', 'a,b'), nastyString.map((s) => s.slice(0, 300))),
    { maxKeys: 3 },
  );

  interface AdminCase {
    method: string;
    path: string;
    body?: string;
    contentType?: string;
  }
  const adminCase = (): fc.Arbitrary<AdminCase> =>
    fc
      .tuple(
        fc.constantFrom(...endpoints),
        fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE') }),
        fc.array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...pathIds) }, { weight: 1, arbitrary: segment }), { minLength: 3, maxLength: 3 }),
        sometimes(query, 3),
        fc.option(body, { freq: 4 }),
        sometimes(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'multipart/form-data'), 8),
      )
      .map(([endpoint, otherMethod, params, q, b, contentType]) => {
        let n = 0;
        const path = endpoint.path.replace(/\{[^}]+\}|:[A-Za-z]+/g, () => params[n++ % params.length]);
        const search = q === null ? '' : `?${Object.entries(q).map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')}`;
        const method = otherMethod ?? endpoint.method;
        const withBody = b !== null && method !== 'GET' && method !== 'HEAD';
        return { method, path: path + search, ...(withBody ? { body: b } : {}), ...(withBody && contentType ? { contentType } : {}) };
      });

  it(`${CASES} fuzzed admin API requests: never a 5xx, always { error: { code, message } } when refused, no write from a refused request`, async () => {
    expect(endpoints.length).toBeGreaterThan(15);
    await fc.assert(
      fc.asyncProperty(fc.array(adminCase(), { minLength: 8, maxLength: 8 }), async (cases) => {
        const before = csmcp.eventCount();
        const answers = await mapLimit(cases, 8, (c) => admin_(c.method, c.path, c.body, c.contentType ? { 'content-type': c.contentType } : {}));
        const bad: string[] = [];
        answers.forEach((answer, i) => {
          const c = cases[i];
          tally.cases++;
          tally.byStatus.set(answer.status, (tally.byStatus.get(answer.status) ?? 0) + 1);
          const where = `${c.method} ${c.path.slice(0, 200)} ${c.body?.slice(0, 200) ?? ''}`;
          // What the request said may come back in a refusal ("\"UNION SELECT …\" is not a query parameter"): not a leak.
          const sent = [c.path, decodeURIComponentSafe(c.path), ...partsOf(c.path), c.body ?? '', ...stringsIn(safeJson(c.body))];
          for (const p of problemsOf(answer, sent)) bad.push(`${where}: ${p}`);
          if (answer.status >= 400 && c.method !== 'HEAD') {
            const error = (safeJson(answer.text) as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
            if (typeof error?.code !== 'string' || error.code === '' || typeof error.message !== 'string' || error.message === '')
              bad.push(`${where}: ${answer.status} without { error: { code, message } }: ${answer.text.slice(0, 300)}`);
          }
        });
        // A group where no write was accepted (every request refused, or a read) must leave the store as it was.
        const writesAccepted = answers.some((a, i) => a.status < 400 && !['GET', 'HEAD', 'OPTIONS'].includes(cases[i].method));
        if (!writesAccepted) {
          tally.checkedGroups++;
          const after = csmcp.eventCount();
          if (after !== before) bad.push(`${after - before} events written by a group of refused requests: ${cases.map((c) => `${c.method} ${c.path.slice(0, 100)}`).join('; ')}`);
        }
        if (bad.length > 0) throw new Error(bad.join('\n'));
      }),
      { numRuns: Math.ceil(CASES / 8), seed: SEED, endOnFailure: true },
    );
    expect(tally.checkedGroups).toBeGreaterThan(CASES / 8 / 4);
    // Still serving, and Ada is still an admin.
    expect(csmcp.server.child.exitCode).toBeNull();
    expect((await admin_('GET', '/admin/api/me')).status).toBe(200);
  }, soakTimeout(600_000, 3_600_000));

  it(`${soakScale(100, 1_000)} fuzzed analyze_accounts calls over MCP: answered or INVALID_QUERY, never internals, nothing written`, async () => {
    const queries = fc.sample(analysisQuery, { numRuns: soakScale(100, 1_000), seed: SEED });
    const before = csmcp.eventCount();
    const results = await mapLimit(queries, 8, async (query, i) => {
      // The tool's arguments are the query itself.
      const sent = { jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'analyze_accounts', arguments: query } };
      const answer = await rawRequest({
        port,
        path: '/mcp',
        headers: { authorization: `Bearer ${csmcp.tokens.csm}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify(sent),
      });
      const problems = problemsOf(answer, stringsIn(query)).map((p) => `${p} for ${JSON.stringify(query).slice(0, 500)}`);
      const result = jsonRpcMessages(answer)[0]?.result;
      const code = result?.isError ? result._meta?.['csmcp/error']?.code : 'ok';
      return { problems, code: answer.status === 200 ? String(code) : `HTTP ${answer.status}` };
    });
    expect(results.flatMap((r) => r.problems)).toEqual([]);
    const codes = new Set(results.map((r) => r.code));
    // Answered or refused as a bad query (a value over 1 MiB is refused at the door: 413).
    for (const code of codes) expect(['ok', 'INVALID_QUERY', 'VALIDATION', 'HTTP 413']).toContain(code);
    expect(codes.has('ok')).toBe(true);
    expect(codes.has('INVALID_QUERY')).toBe(true);
    expect(csmcp.eventCount()).toBe(before);
  }, soakTimeout(300_000, 1_800_000));

  it('`csmcp import` refuses a file with one bad row among good ones (exit 1, the row named) and writes nothing; a good file imports', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'csmcp-fuzz-import-'));
    try {
      const emails = [csmcp.users.csm];
      const good = (n: number) => Array.from({ length: n }, (_, i) => [`fuzz-co-${i}`, `Fuzz Co ${i}`, 'SMB', String(1000 * i), emails[0]]);
      const header = ['company_id', 'name', 'segment', 'arr', 'owner_email'];
      // Bad rows: a cell that is surely wrong for its column (formulas in numbers, bad dates, unknown segments), or a broken quote.
      const badCells = fc.sample(
        fc.tuple(fc.constantFrom(2, 3), fc.oneof(fc.constantFrom('=cmd|\' /C calc\'!A0', '@SUM(1+1)', 'Giant', 'lots', '-5', '1e400'), wildCell.filter((s) => s.length < 1_000 && /[a-z=@]/i.test(s) && !/^\s*[+-]?\d/.test(s)))),
        { numRuns: soakScale(3, 10), seed: SEED },
      );
      const runs = await mapLimit(badCells, 3, async ([column, value], n) => {
        const records = good(5);
        const at = n % records.length;
        records[at] = [...records[at]];
        records[at][column] = value;
        const path = join(dir, `bad-${n}.csv`);
        writeFileSync(path, writeCsv({ kind: 'companies', header, records }, { eol: n % 2 ? '\r\n' : '\n', bom: n % 3 === 0, quoteAll: false }));
        expect(formatOf(path)).toBe('csv');
        const before = csmcp.eventCount();
        const result = await csmcp.cli(['import', 'companies', path]);
        return { result, before, after: csmcp.eventCount(), line: at + 2, value, path };
      });
      for (const { result, before, after, line, value, path } of runs) {
        if (result.code !== 1) throw new Error(`import of a bad ${JSON.stringify(value.slice(0, 80))} exited ${result.code}: ${result.stderr}${result.stdout}`);
        expect(result.stderr).toMatch(/nothing was imported/);
        expect(result.stdout).toMatch(new RegExp(`\\b${line}\\b`));
        expect(leaks(result.stdout + result.stderr, [value, path])).toEqual([]);
        expect(after).toBe(before);
      }
      // Broken quoting: refused as not CSV, nothing written.
      const broken = join(dir, 'broken.csv');
      writeFileSync(broken, 'company_id,name\nfuzz-co-1,"Fuzz\n');
      const before = csmcp.eventCount();
      const refused = await csmcp.cli(['import', 'companies', broken]);
      expect(refused.code).toBe(1);
      expect(refused.stdout + refused.stderr).toMatch(/not valid CSV/);
      expect(csmcp.eventCount()).toBe(before);
      // The control: the good rows alone import (the refusals above were for the bad row).
      const okPath = join(dir, 'good.csv');
      writeFileSync(okPath, writeCsv({ kind: 'companies', header, records: good(5) }, { eol: '\n', bom: false, quoteAll: false }));
      const imported = await csmcp.cli(['import', 'companies', okPath]);
      expect(imported.code).toBe(0);
      expect(csmcp.eventCount()).toBeGreaterThan(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

function safeJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** encodeURIComponent of any string (a lone surrogate would throw: it becomes U+FFFD, as on the wire). */
function encode(text: string): string {
  return encodeURIComponent(Buffer.from(text, 'utf8').toString('utf8'));
}

/** The path's segments and its query parameters' names and values, decoded as the server reads them. */
function partsOf(path: string): string[] {
  try {
    const url = new URL(path, 'http://csmcp.invalid');
    return [...url.pathname.split('/').map(decodeURIComponentSafe), ...[...url.searchParams].flat()];
  } catch {
    return [];
  }
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

