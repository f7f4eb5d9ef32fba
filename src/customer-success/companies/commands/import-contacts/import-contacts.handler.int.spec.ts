import { ImportRejectedError } from '../import-batch';
import { ImportCompaniesCommand } from '../import-companies/import-companies.command';
import { admin, rows, startAdminCommands, type AdminCommandsHarness } from '../testing/admin-commands.harness';
import { ImportContactsCommand } from './import-contacts.command';
import { contactIdFor } from './import-contacts.handler';

describe('ImportContacts (SQLite)', () => {
  let t: AdminCommandsHarness;
  beforeEach(async () => {
    t = await startAdminCommands();
    await t.bus.execute(new ImportCompaniesCommand(rows({ company_id: 'acme', name: 'Acme Corp' }), admin));
  });
  afterEach(() => t.close());

  const dana = { company_id: 'acme', name: 'Dana Scully', email: 'Dana@Acme.com', sentiment: 'positive', is_primary: 'yes' };

  it('imports contacts (an id derived from the email when none is given), and nothing new when imported again', async () => {
    expect(await t.bus.execute(new ImportContactsCommand(rows(dana), admin))).toMatchObject({ created: 1, events: 1 });
    const [event] = await t.store.readStream(`contact-${contactIdFor('acme', 'dana@acme.com')}`);
    expect(event.data).toMatchObject({ email: 'dana@acme.com', sentiment: 'Positive', isPrimary: true });
    expect(await t.bus.execute(new ImportContactsCommand(rows(dana), admin))).toMatchObject({ unchanged: 1, events: 0 });
  });

  it('needs an existing company, or one imported in the same run', async () => {
    const ghost = { company_id: 'ghost', name: 'Casper', email: 'casper@ghost.com' };
    const problems = await t.bus.execute(new ImportContactsCommand(rows(ghost), admin)).catch((e: ImportRejectedError) => e.problems);
    expect(problems).toEqual([
      {
        row: 2,
        field: 'company_id',
        problem: 'no company has the id ghost',
        allowed: 'the id of an imported company (import the companies first, or in the same file)',
      },
    ]);
    const dry = await t.bus.execute(new ImportContactsCommand(rows(ghost), admin, { dryRun: true, pendingCompanyIds: ['ghost'] }));
    expect(dry).toMatchObject({ created: 1, events: 0 });
  });

  it('needs a contact id or an email', async () => {
    const problems = await t.bus
      .execute(new ImportContactsCommand(rows({ company_id: 'acme', name: 'No Mail' }), admin))
      .catch((e: ImportRejectedError) => e.problems);
    expect(problems).toEqual([
      { row: 2, field: 'contact_id', problem: 'is missing, and there is no email to derive it from', allowed: 'a contact id, or an email to derive it from' },
    ]);
  });
});
