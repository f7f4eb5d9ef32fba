import { ImportRejectedError } from '../import-batch';
import { ImportCompaniesCommand } from '../import-companies/import-companies.command';
import { admin, registerAnna, rows, startAdminCommands, type AdminCommandsHarness } from '../testing/admin-commands.harness';
import { ImportRelationshipsCommand } from './import-relationships.command';

describe('ImportRelationships (SQLite)', () => {
  let t: AdminCommandsHarness;
  beforeEach(async () => {
    t = await startAdminCommands();
    await registerAnna(t.bus);
    await t.bus.execute(new ImportCompaniesCommand(rows({ company_id: 'acme', name: 'Acme Corp' }), admin));
  });
  afterEach(() => t.close());

  const relationship = { relationship_id: 'acme-emea', company_id: 'acme', name: 'Acme EMEA', arr: '1 000', owner_email: 'ANNA@example.com' };

  it('imports relationships, and writes nothing when they are imported again', async () => {
    expect(await t.bus.execute(new ImportRelationshipsCommand(rows(relationship), admin))).toMatchObject({ created: 1, events: 1 });
    const [event] = await t.store.readStream('relationship-acme-emea');
    expect(event.data).toMatchObject({ companyId: 'acme', arr: 1000 });
    expect(await t.bus.execute(new ImportRelationshipsCommand(rows(relationship), admin))).toMatchObject({ unchanged: 1, events: 0 });
  });

  it('refuses rows of a company that does not exist, an empty name, and a move to another company', async () => {
    await t.bus.execute(new ImportCompaniesCommand(rows({ company_id: 'globex', name: 'Globex' }), admin));
    await t.bus.execute(new ImportRelationshipsCommand(rows(relationship), admin));
    const error = (await t.bus
      .execute(
        new ImportRelationshipsCommand(
          rows({ ...relationship, relationship_id: 'r-2', company_id: 'ghost' }, { ...relationship, relationship_id: 'r-3', name: '' }, { ...relationship, company_id: 'globex' }),
          admin,
        ),
      )
      .catch((e: unknown) => e)) as ImportRejectedError;
    expect(error.problems).toEqual([
      {
        row: 2,
        field: 'company_id',
        problem: 'no company has the id ghost',
        allowed: 'the id of an imported company (import the companies first, or in the same file)',
      },
      { row: 3, field: 'name', problem: 'is empty', allowed: 'text of at most 255 characters' },
      {
        row: 4,
        field: 'company_id',
        problem:
          'companyId globex is not the company of relationship acme-emea (acme); a relationship cannot move to another company. Import it under a new relationship id',
        allowed: null,
      },
    ]);
    expect(await t.store.readStream('relationship-r-2')).toEqual([]);
  });
});
