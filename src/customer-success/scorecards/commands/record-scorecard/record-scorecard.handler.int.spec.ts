import { ImportRejectedError } from '../../../companies/commands/import-batch';
import { ImportCompaniesCommand } from '../../../companies/commands/import-companies/import-companies.command';
import { admin, rows, startAdminCommands, type AdminCommandsHarness } from '../../../companies/commands/testing/admin-commands.harness';
import { RecordScorecardCommand } from './record-scorecard.command';

describe('RecordScorecard (SQLite)', () => {
  let t: AdminCommandsHarness;
  beforeEach(async () => {
    t = await startAdminCommands();
    await t.bus.execute(new ImportCompaniesCommand(rows({ company_id: 'acme', name: 'Acme Corp' }), admin));
  });
  afterEach(() => t.close());

  const reading = { company_id: 'acme', as_of: '2025-03-31', overall_score: 64, measures: [{ name: 'Usage', score: '35' }] };

  it('records readings with colors derived from the scores; the same reading again writes nothing', async () => {
    const result = await t.bus.execute(new RecordScorecardCommand(rows(reading, { ...reading, as_of: '2025-02-28', overall_score: 80 }), admin));
    expect(result).toMatchObject({ created: 2, events: 2 });
    const events = await t.store.readStream('scorecard-acme');
    expect(events.map((e) => [e.data.asOf, e.data.overallColor])).toEqual([
      ['2025-03-31', 'Yellow'],
      ['2025-02-28', 'Green'],
    ]);
    expect(events[0].data.measures).toEqual([{ name: 'Usage', score: 35, color: 'Red', comment: null }]);
    expect(await t.bus.execute(new RecordScorecardCommand(rows(reading), admin))).toMatchObject({ unchanged: 1, events: 0 });
    expect(await t.bus.execute(new RecordScorecardCommand(rows({ ...reading, overall_score: 20 }), admin))).toMatchObject({ changed: 1, events: 1 });
  });

  it('refuses scores out of range, unknown companies and a day twice in one batch', async () => {
    const error = (await t.bus
      .execute(
        new RecordScorecardCommand(
          rows(
            { company_id: 'acme', as_of: '2025-03-31', overall_score: 150, measures: [{ name: 'Usage', score: 'high' }] },
            { ...reading, company_id: 'ghost' },
            reading,
            reading,
          ),
          admin,
        ),
      )
      .catch((e: unknown) => e)) as ImportRejectedError;
    expect(error.problems).toEqual([
      { row: 2, field: 'overall_score', problem: 'got 150', allowed: 'a number from 0 to 100' },
      { row: 2, field: 'measures[0].score', problem: 'got "high"', allowed: 'a number from 0 to 100' },
      {
        row: 3,
        field: 'company_id',
        problem: 'no company has the id ghost',
        allowed: 'the id of an imported company (import the companies first, or in the same file)',
      },
      { row: 5, field: 'as_of', problem: 'repeats the scorecard reading of row 4', allowed: 'each scorecard reading once per file' },
    ]);
    expect(await t.store.readStream('scorecard-acme')).toEqual([]);
  });
});
