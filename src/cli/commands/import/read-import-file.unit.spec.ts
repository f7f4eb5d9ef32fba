import { validateRow, type RowProblem } from '../../../customer-success/companies/commands/import-batch';
import { COMPANY_IMPORT } from '../../../customer-success/companies/commands/import-companies/import-companies.handler';
import { SCORECARD_IMPORT } from '../../../customer-success/scorecards/commands/record-scorecard/record-scorecard.handler';
import { columnName, formatOf, readImportFile } from './read-import-file';

describe('reading import files', () => {
  it('knows the format from the file name', () => {
    expect(formatOf('accounts.CSV')).toBe('csv');
    expect(formatOf('/tmp/accounts.json')).toBe('json');
    expect(formatOf('accounts.xlsx')).toBeNull();
  });

  it('matches column names ignoring case, spaces and hyphens, and keeps measure names', () => {
    expect(columnName(' Company ID ')).toBe('company_id');
    expect(columnName('Lifecycle-Stage')).toBe('lifecycle_stage');
    expect(columnName('Measure: Product usage')).toBe('measure:Product usage');
  });

  describe('CSV', () => {
    it('reads records with quotes, commas and line breaks, a BOM and CRLF, and numbers rows by their first line', () => {
      const csv =
        '\uFEFFCompany ID,Name,Region\r\n' +
        'acme,"Acme, Inc.",EMEA\r\n' +
        '\r\n' +
        'globex,"Globex\r\nCorporation",\r\n' +
        'initech,Initech,NA\r\n';
      expect(readImportFile('companies', 'csv', csv)).toEqual({
        batches: {
          companies: [
            { row: 2, data: { company_id: 'acme', name: 'Acme, Inc.', region: 'EMEA' } },
            { row: 4, data: { company_id: 'globex', name: 'Globex\r\nCorporation', region: '' } },
            { row: 6, data: { company_id: 'initech', name: 'Initech', region: 'NA' } },
          ],
        },
        problems: [],
      });
    });

    it('refuses a header with unknown or repeated columns, before any row', () => {
      expect(readImportFile('contacts', 'csv', 'company_id,name,e-mail,name\nacme,Dana,dana@acme.com,Dana\n').problems).toEqual([
        {
          row: 1,
          field: 'e_mail',
          problem: 'is not a column of a contacts import',
          allowed: 'contact_id, company_id, name, email, title, role, sentiment, is_primary',
        },
        { row: 1, field: 'name', problem: 'appears twice in the header', allowed: 'each column once' },
      ]);
    });

    it('reports a broken CSV with its line', () => {
      const { problems } = readImportFile('companies', 'csv', 'company_id,name\nacme,Acme\nglobex,Globex,extra\n');
      expect(problems).toEqual([
        { row: 3, field: '(file)', problem: 'is not valid CSV: Invalid Record Length: expect 2, got 3 on line 3', allowed: null },
      ]);
    });

    it('reads scorecards one reading per line, a column per measure; an empty cell is a measure not taken', () => {
      const csv =
        'company_id,as_of,overall_score,measure:Product usage,color:Product usage,measure:Support,comment:Support\n' +
        'acme,2025-03-31,64,35,,80,Few tickets\n' +
        'acme,2025-02-28,70,,,90,\n';
      expect(readImportFile('scorecards', 'csv', csv).batches.scorecards).toEqual([
        {
          row: 2,
          data: {
            company_id: 'acme',
            as_of: '2025-03-31',
            overall_score: '64',
            measures: [
              { name: 'Product usage', score: '35', color: '' },
              { name: 'Support', score: '80', comment: 'Few tickets' },
            ],
          },
          fieldLabels: expect.objectContaining({ 'measures[0].score': 'measure:Product usage', 'measures[1].comment': 'comment:Support' }),
        },
        {
          row: 3,
          data: { company_id: 'acme', as_of: '2025-02-28', overall_score: '70', measures: [{ name: 'Support', score: '90', comment: '' }] },
          fieldLabels: expect.any(Object),
        },
      ]);
    });

    it('refuses a color or comment column without its measure', () => {
      expect(readImportFile('scorecards', 'csv', 'company_id,as_of,overall_score,color:NPS\n').problems).toEqual([
        { row: 1, field: 'color:NPS', problem: 'has no measure:NPS column beside it', allowed: 'a measure:NPS column with the score' },
      ]);
    });
  });

  describe('JSON', () => {
    it('reads an array of objects, numbered from 1', () => {
      expect(readImportFile('contacts', 'json', '[{"company_id":"acme","name":"Dana"}]')).toEqual({
        batches: { contacts: [{ row: 1, data: { company_id: 'acme', name: 'Dana' } }] },
        problems: [],
      });
    });

    it('refuses what is not an array, or not JSON', () => {
      expect(readImportFile('companies', 'json', '{"company_id":"acme"}').problems).toEqual([
        { row: 0, field: '(file)', problem: 'holds an object', allowed: 'a JSON array of companies objects' },
      ]);
      expect(readImportFile('companies', 'json', '[{').problems[0]).toMatchObject({ row: 0, field: '(file)', problem: expect.stringMatching(/^is not valid JSON: /) });
    });

    it("takes a company's relationships and contacts from the company's object", () => {
      const file = readImportFile(
        'companies',
        'json',
        JSON.stringify([{ company_id: 'acme', name: 'Acme', contacts: [{ name: 'Dana', email: 'dana@acme.com' }], relationships: [{ relationship_id: 'r1', name: 'EMEA' }] }]),
      );
      expect(file.problems).toEqual([]);
      expect(file.batches.companies).toEqual([{ row: 1, data: { company_id: 'acme', name: 'Acme' } }]);
      expect(file.batches.contacts).toEqual([
        { row: 1, data: { company_id: 'acme', name: 'Dana', email: 'dana@acme.com' }, fieldLabels: expect.objectContaining({ email: 'contacts[0].email' }) },
      ]);
      expect(file.batches.relationships?.[0].data).toEqual({ company_id: 'acme', relationship_id: 'r1', name: 'EMEA' });
    });
  });

  describe('rows read from a file, checked against the import DTOs', () => {
    const problemsOf = (spec: typeof COMPANY_IMPORT | typeof SCORECARD_IMPORT, kind: 'companies' | 'scorecards', csv: string) => {
      const problems: RowProblem[] = [];
      for (const row of readImportFile(kind, 'csv', csv).batches[kind] ?? [])
        validateRow(spec as typeof COMPANY_IMPORT, row, (field, problem, allowed = null) =>
          problems.push({ row: row.row, field: row.fieldLabels?.[field] ?? field, problem, allowed }),
        );
      return problems;
    };

    it('reports each wrong cell by line and column, with what is allowed', () => {
      const csv = 'company_id,name,segment,employees,renewal_date\nacme,Acme,Enterprise,1200,2026-01-31\n,Nameless,smb,,\nglobex,Globex,Huge,many,31.01.2026\n';
      expect(problemsOf(COMPANY_IMPORT, 'companies', csv)).toEqual([
        { row: 3, field: 'company_id', problem: 'is missing', allowed: 'a company id (no spaces, at most 200 characters)' },
        { row: 4, field: 'segment', problem: 'got "Huge"', allowed: 'one of Enterprise, MidMarket, SMB, or empty' },
        { row: 4, field: 'employees', problem: 'got "many"', allowed: 'a whole number from 0 to 10000000, or empty' },
        { row: 4, field: 'renewal_date', problem: 'got "31.01.2026"', allowed: 'a date written YYYY-MM-DD (from 1900), e.g. 2026-03-31, or empty' },
      ]);
    });

    // The fuzz soak found the write tools' version of this (seed 1); a JSON import file can hold one too.
    it('refuses a JSON row holding an own "constructor" key, naming where, instead of throwing', () => {
      const problems: RowProblem[] = [];
      const file = readImportFile('companies', 'json', '[{"company_id":"acme","name":"Acme","constructor":{"prototype":1}},{"company_id":"globex","name":"Globex","renewal_date":{"constructor":"x"}}]');
      for (const row of file.batches.companies ?? [])
        expect(() => validateRow(COMPANY_IMPORT, row, (field, problem, allowed = null) => problems.push({ row: row.row, field, problem, allowed }))).not.toThrow();
      expect(problems).toEqual([
        { row: 1, field: 'constructor', problem: 'is not a column of a companies import', allowed: COMPANY_IMPORT.columns.join(', ') },
        { row: 2, field: 'renewal_date', problem: 'holds a key named "constructor", which no column accepts', allowed: null },
      ]);
    });

    it('names the CSV column of a wrong measure', () => {
      const csv = 'company_id,as_of,overall_score,measure:Usage,color:Usage\nacme,2025-03-31,50,120,Purple\n';
      expect(problemsOf(SCORECARD_IMPORT, 'scorecards', csv)).toEqual([
        { row: 2, field: 'measure:Usage', problem: 'got 120', allowed: 'a number from 0 to 100' },
        { row: 2, field: 'color:Usage', problem: 'got "Purple"', allowed: 'one of Red, Yellow, Green, or empty' },
      ]);
    });
  });
});
