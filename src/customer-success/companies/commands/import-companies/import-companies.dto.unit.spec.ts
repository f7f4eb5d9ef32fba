import { validateRow, type RowProblem } from '../import-batch';
import { COMPANY_IMPORT } from './import-companies.handler';

function check(data: unknown): { dto: unknown; problems: Array<Omit<RowProblem, 'row'>> } {
  const problems: Array<Omit<RowProblem, 'row'>> = [];
  const dto = validateRow(COMPANY_IMPORT, { row: 2, data }, (field, problem, allowed = null) => problems.push({ field, problem, allowed }));
  return { dto, problems };
}

describe('company import rows', () => {
  it('reads CSV text the same as typed JSON: trimmed, numbers, enums by any case, empty cells as none', () => {
    const fromCsv = check({
      company_id: ' acme ',
      name: 'Acme Corp',
      segment: 'mid-market',
      lifecycle_stage: 'at risk',
      employees: '1200',
      arr: '1,250,000.50',
      renewal_date: '2026-01-31',
      region: '',
      owner_email: 'anna@example.com',
    });
    expect(fromCsv.problems).toEqual([]);
    expect({ ...(fromCsv.dto as object) }).toEqual(
      expect.objectContaining({
        company_id: 'acme',
        segment: 'MidMarket',
        lifecycle_stage: 'AtRisk',
        employees: 1200,
        arr: 1_250_000.5,
        region: null,
        owner_email: 'anna@example.com',
      }),
    );
    const fromJson = check({ company_id: 'acme', name: 'Acme Corp', segment: 'MidMarket', employees: 1200, arr: 1_250_000.5 });
    expect(fromJson.problems).toEqual([]);
  });

  it('leaves out what the row does not name (an existing company keeps it)', () => {
    const { dto } = check({ company_id: 'acme' });
    expect((dto as { name?: string }).name).toBeUndefined();
    expect((dto as { region?: string }).region).toBeUndefined();
  });

  it('reports every wrong field: what was wrong and what is allowed', () => {
    expect(
      check({
        company_id: '',
        name: '',
        segment: 'Giant',
        lifecycle_stage: 'Zombie',
        employees: '12.5',
        arr: '$100',
        renewal_date: '31/01/2026',
        owner_id: 'anna smith',
        owner_email: 'anna',
        industry: 'x'.repeat(101),
        segmnt: 'SMB',
      }).problems,
    ).toEqual([
      {
        field: 'segmnt',
        problem: 'is not a column of a companies import',
        allowed: 'company_id, name, external_id, industry, segment, lifecycle_stage, region, employees, arr, renewal_date, owner_id, owner_email',
      },
      { field: 'company_id', problem: 'is missing', allowed: 'a company id (no spaces, at most 200 characters)' },
      { field: 'name', problem: 'is empty', allowed: 'text of at most 255 characters' },
      { field: 'industry', problem: 'has 101 characters', allowed: 'text of at most 100 characters, or empty' },
      { field: 'segment', problem: 'got "Giant"', allowed: 'one of Enterprise, MidMarket, SMB, or empty' },
      {
        field: 'lifecycle_stage',
        problem: 'got "Zombie"',
        allowed: 'one of Onboarding, Adoption, Mature, Renewal, Expansion, AtRisk, Churned, or empty',
      },
      { field: 'employees', problem: 'got 12.5', allowed: 'a whole number from 0 to 10000000, or empty' },
      { field: 'arr', problem: 'got "$100"', allowed: 'an amount from 0 (digits, optional decimals, no currency sign), or empty for 0' },
      { field: 'renewal_date', problem: 'got "31/01/2026"', allowed: 'a date written YYYY-MM-DD (from 1900), e.g. 2026-03-31, or empty' },
      {
        field: 'owner_id',
        problem: 'got "anna smith", which contains spaces or control characters',
        allowed: 'a user id (no spaces, at most 200 characters), or empty',
      },
      { field: 'owner_email', problem: 'got "anna"', allowed: 'an email address like anna@example.com, or empty' },
    ]);
  });

  it('refuses dates that do not exist', () => {
    expect(check({ company_id: 'acme', renewal_date: '2026-02-29' }).problems).toEqual([
      { field: 'renewal_date', problem: 'got "2026-02-29"', allowed: 'a date written YYYY-MM-DD (from 1900), e.g. 2026-03-31, or empty' },
    ]);
  });

  it('refuses a row that is not an object', () => {
    expect(check(['acme']).problems).toEqual([{ field: '(row)', problem: 'is a list', allowed: 'an object with the columns of a company' }]);
  });
});
