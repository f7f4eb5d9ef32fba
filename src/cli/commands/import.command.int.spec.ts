import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '@csmcp/event-store';
import { PostgresEventStore } from '@csmcp/event-store/postgres/postgres-event-store';
import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { DATABASE_URL, dropSchema, freshSchemaName } from '../../../libs/projections/test/support/postgres';
import { runCli } from '../../../test/support/cli';

/**
 * `csmcp import` through the real CLI (from the sources) against a temporary store: a valid file,
 * a wrong file (nothing written), a dry run (nothing written), and the same file again (nothing new).
 */

const COMPANIES_CSV =
  'Company ID,Name,Segment,Lifecycle Stage,ARR,Renewal Date,Owner Email\n' +
  'acme,"Acme, Inc.",Enterprise,Adoption,"1,250,000",2026-01-31,\n' +
  'globex,Globex,smb,at risk,12000,,\n';

const CONTACTS_CSV = 'company_id,name,email,sentiment,is_primary\nacme,Dana Scully,dana@acme.example,positive,yes\nglobex,Fox Mulder,fox@globex.example,,\n';

const BAD_CSV =
  'company_id,name,segment,arr,renewal_date\n' + //
  'acme,Acme,Giant,lots,2026-02-30\n' +
  'initech,Initech,SMB,100,2026-01-31\n' +
  ',Nameless,SMB,1,\n';

const ACCOUNT_JSON = JSON.stringify([
  {
    company_id: 'initech',
    name: 'Initech',
    segment: 'MidMarket',
    relationships: [{ relationship_id: 'initech-tps', name: 'TPS reports', type: 'Product line' }],
    contacts: [{ name: 'Bill Lumbergh', email: 'bill@initech.example', role: 'Executive sponsor' }],
  },
]);

const SCORECARDS_CSV = 'company_id,as_of,overall_score,measure:Product usage,measure:Support,comment:Support\nacme,2025-03-31,64,35,80,Few tickets\nacme,2025-02-28,71,,75,\n';

function suite(name: string, env: () => NodeJS.ProcessEnv, openStore: () => Promise<EventStore>) {
  describe(`csmcp import (${name})`, () => {
    let dir: string;
    const file = (fileName: string, content: string) => {
      const path = join(dir, fileName);
      writeFileSync(path, content);
      return path;
    };
    const events = async () => {
      const store = await openStore();
      try {
        return (await store.readAll({ maxCount: 100_000 })).filter((e) => !e.streamName.startsWith('write-policy'));
      } finally {
        await store.close();
      }
    };
    const cli = (...args: string[]) => runCli(['import', ...args], env());

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'csmcp-import-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('refuses a file with wrong rows, reports each problem, and writes nothing', async () => {
      const result = await cli('companies', file('bad.csv', BAD_CSV));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('bad.csv: 4 problems; nothing was imported.');
      expect(result.stdout.split('\n').map((line) => line.trimEnd())).toEqual([
        'row  field         problem           allowed',
        '2    segment       got "Giant"       one of Enterprise, MidMarket, SMB, or empty',
        '2    arr           got "lots"        an amount from 0 (digits, optional decimals, no currency sign), or empty for 0',
        '2    renewal_date  got "2026-02-30"  a date written YYYY-MM-DD (from 1900), e.g. 2026-03-31, or empty',
        '4    company_id    is missing        a company id (no spaces, at most 200 characters)',
        '',
      ]);
      expect(await events()).toEqual([]);

      const asJson = await cli('contacts', file('orphans.json', JSON.stringify([{ company_id: 'ghost', name: 'Casper' }])), '--json');
      expect(asJson.code).toBe(1);
      expect(JSON.parse(asJson.stdout)).toEqual({
        file: join(dir, 'orphans.json'),
        imported: false,
        problems: [{ row: 1, field: 'contact_id', problem: 'is missing, and there is no email to derive it from', allowed: 'a contact id, or an email to derive it from' }],
      });
    });

    it('checks a dry run without writing, imports the file, and writes nothing new when it is imported again', async () => {
      const companies = file('companies.csv', COMPANIES_CSV);
      const dry = await cli('companies', companies, '--dry-run', '--json');
      expect(dry.code).toBe(0);
      expect(JSON.parse(dry.stdout).results[0]).toMatchObject({ kind: 'companies', dryRun: true, created: 2, events: 0 });
      expect(await events()).toEqual([]);

      const first = await cli('companies', companies);
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('companies  2        0        0          2');
      expect(first.stderr).toContain('csmcp projections rebuild');
      // Rows are written concurrently: the order between streams is not the file's.
      const written = (await events()).sort((a, b) => a.streamName.localeCompare(b.streamName));
      expect(written.map((e) => [e.streamName, e.type])).toEqual([
        ['company-acme', 'CompanyImported'],
        ['company-globex', 'CompanyImported'],
      ]);
      expect(written[0].data).toMatchObject({ name: 'Acme, Inc.', segment: 'Enterprise', arr: 1_250_000, renewalDate: '2026-01-31', ownerId: null });
      expect(written[1].data).toMatchObject({ segment: 'SMB', lifecycleStage: 'AtRisk' });
      expect(written[0].metadata).toMatchObject({ actor: { type: 'system', id: 'csmcp-cli' }, toolName: 'import' });

      const again = await cli('companies', companies, '--json');
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout).results[0]).toMatchObject({ created: 0, changed: 0, unchanged: 2, events: 0 });
      expect(await events()).toHaveLength(2);
    });

    it('imports contacts of existing companies, a whole account from one JSON file, and scorecards', async () => {
      expect((await cli('contacts', file('contacts.csv', CONTACTS_CSV))).code).toBe(0);
      const account = await cli('companies', file('account.json', ACCOUNT_JSON), '--json');
      expect(account.code).toBe(0);
      expect(JSON.parse(account.stdout).results.map((r: { kind: string; created: number }) => [r.kind, r.created])).toEqual([
        ['companies', 1],
        ['relationships', 1],
        ['contacts', 1],
      ]);
      expect((await cli('scorecards', file('scores.csv', SCORECARDS_CSV))).code).toBe(0);
      const byType = (await events()).reduce<Record<string, number>>((n, e) => ({ ...n, [e.type]: (n[e.type] ?? 0) + 1 }), {});
      expect(byType).toEqual({ CompanyImported: 3, ContactImported: 3, RelationshipImported: 1, ScorecardRecorded: 2 });
    });

    it('says how to call it when the file cannot be used', async () => {
      const result = await cli('companies', join(dir, 'accounts.xlsx'));
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('the file name must end in .csv or .json');
    });
  });
}

let sqliteDir: string;
suite(
  'SQLite',
  () => ({ DATA_DIR: sqliteDir }),
  async () => new SqliteEventStore({ filename: join(sqliteDir, 'events.db') }),
);
beforeAll(() => {
  sqliteDir = mkdtempSync(join(tmpdir(), 'csmcp-import-store-'));
});
afterAll(() => rmSync(sqliteDir, { recursive: true, force: true }));

const schema = freshSchemaName('import_cli');
suite(
  'PostgreSQL',
  () => ({ DATABASE_URL, DATABASE_SCHEMA: schema }),
  async () => new PostgresEventStore({ connectionString: DATABASE_URL, schema }),
);
afterAll(() => dropSchema(schema));
