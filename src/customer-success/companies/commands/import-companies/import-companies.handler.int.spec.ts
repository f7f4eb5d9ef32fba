import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { userIdFor } from '../../../../users/commands/register-user/register-user.handler';
import { ImportRejectedError } from '../import-batch';
import { admin, registerAnna, rows, startAdminCommands, type AdminCommandsHarness } from '../testing/admin-commands.harness';
import { ImportCompaniesCommand } from './import-companies.command';

describe('ImportCompanies (SQLite)', () => {
  let t: AdminCommandsHarness;
  beforeEach(async () => {
    t = await startAdminCommands();
    await registerAnna(t.bus);
  });
  afterEach(() => t.close());

  const acme = { company_id: 'acme', name: 'Acme Corp', segment: 'Enterprise', arr: '250000', owner_email: 'anna@example.com' };
  const globex = { company_id: 'globex', name: 'Globex', segment: 'smb', renewal_date: '2026-01-31' };

  it('creates new companies, records only what changed, and writes nothing for an unchanged row', async () => {
    const first = await t.bus.execute(new ImportCompaniesCommand(rows(acme, globex), admin));
    expect(first).toMatchObject({ kind: 'companies', dryRun: false, created: 2, changed: 0, unchanged: 0, events: 2 });
    const [imported] = await t.store.readStream('company-acme');
    expect(imported.data).toMatchObject({ companyId: 'acme', segment: 'Enterprise', arr: 250000, ownerId: userIdFor('anna@example.com') });
    expect(imported.metadata).toMatchObject({ actor: admin.actor, toolName: 'import' });

    const before = await t.countEvents();
    const again = await t.bus.execute(new ImportCompaniesCommand(rows(acme, { ...globex, segment: 'MidMarket', region: 'EMEA' }), admin));
    expect(again).toMatchObject({ created: 0, changed: 1, unchanged: 1, events: 1 });
    expect(again.rows[1]).toEqual({ row: 3, id: 'globex', outcome: 'changed', changedFields: ['segment', 'region'] });
    expect(await t.countEvents()).toBe(before + 1);
    const [, changed] = await t.store.readStream('company-globex');
    expect(changed.data.changes).toEqual([
      { field: 'segment', from: 'SMB', to: 'MidMarket' },
      { field: 'region', from: null, to: 'EMEA' },
    ]);
  });

  it('writes nothing at all when any row is wrong, and reports every problem by row', async () => {
    const before = await t.countEvents();
    const error = (await t.bus
      .execute(new ImportCompaniesCommand(rows(acme, { company_id: 'bad', name: 'Bad', segment: 'Huge' }, acme, { company_id: 'new-one' }), admin))
      .catch((e: unknown) => e)) as ImportRejectedError;
    expect(error).toBeInstanceOf(ImportRejectedError);
    expect(error.problems).toEqual([
      { row: 3, field: 'segment', problem: 'got "Huge"', allowed: 'one of Enterprise, MidMarket, SMB, or empty' },
      { row: 4, field: 'company_id', problem: 'repeats the company of row 2', allowed: 'each company once per file' },
      { row: 5, field: 'name', problem: 'name is required for a new company (new-one does not exist yet)', allowed: null },
    ]);
    expect(error.message).toBe(
      'The companies import has 3 problems, so nothing was imported: row 3 segment: got "Huge" (allowed: one of Enterprise, MidMarket, SMB, or empty); ' +
        'row 4 company_id: repeats the company of row 2 (allowed: each company once per file); ' +
        'row 5 name: name is required for a new company (new-one does not exist yet)',
    );
    expect(await t.countEvents()).toBe(before);
  });

  it('needs owners that are registered users', async () => {
    const problems = await t.bus
      .execute(
        new ImportCompaniesCommand(
          rows({ company_id: 'x', name: 'X', owner_email: 'nobody@example.com' }, { company_id: 'y', name: 'Y', owner_id: 'u-ghost' }, {
            company_id: 'z',
            name: 'Z',
            owner_id: 'u-admin',
            owner_email: 'anna@example.com',
          }),
          admin,
        ),
      )
      .catch((e: ImportRejectedError) => e.problems);
    expect(problems).toEqual([
      { row: 2, field: 'owner_email', problem: 'no user has the email nobody@example.com', allowed: 'the email of a registered user (csmcp users add), or empty' },
      { row: 3, field: 'owner_id', problem: 'no user has the id u-ghost', allowed: 'the id of a registered user (csmcp users add), or empty' },
      { row: 4, field: 'owner_id', problem: 'no user has the id u-admin', allowed: 'the id of a registered user (csmcp users add), or empty' },
    ]);
  });

  it('reports what a dry run would do and writes nothing', async () => {
    await t.bus.execute(new ImportCompaniesCommand(rows(acme), admin));
    const before = await t.countEvents();
    const dry = await t.bus.execute(new ImportCompaniesCommand(rows({ ...acme, arr: 300000 }, globex), admin, { dryRun: true }));
    expect(dry).toMatchObject({ dryRun: true, created: 1, changed: 1, unchanged: 0, events: 0 });
    expect(dry.rows).toEqual([
      { row: 2, id: 'acme', outcome: 'changed', changedFields: ['arr'] },
      { row: 3, id: 'globex', outcome: 'created', changedFields: [] },
    ]);
    expect(await t.countEvents()).toBe(before);
  });

  it('derives event ids from the batch id, the row and the revision: a retried batch appends the very same events', async () => {
    await t.bus.execute(new ImportCompaniesCommand(rows(acme), admin, { batchId: 'file-sha' }));
    const [first] = await t.store.readStream('company-acme');
    const other = await startAdminCommands(new SqliteEventStore({ filename: ':memory:' }));
    try {
      await registerAnna(other.bus);
      await other.bus.execute(new ImportCompaniesCommand(rows(acme), admin, { batchId: 'file-sha' }));
      expect((await other.store.readStream('company-acme'))[0].id).toBe(first.id);
      // A change later in the stream gets ids of its own revision, never the first import's.
      await other.bus.execute(new ImportCompaniesCommand(rows({ ...acme, arr: 1 }), admin, { batchId: 'file-sha' }));
      expect((await other.store.readStream('company-acme'))[1].id).not.toBe(first.id);
    } finally {
      await other.close();
    }
  });
});
