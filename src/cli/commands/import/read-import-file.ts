import { CsvError, parse } from 'csv-parse/sync';
import { extname } from 'node:path';
import type { ImportKind, ImportRow, RowProblem } from '../../../customer-success/companies/commands/import-batch';
import { COMPANY_COLUMNS } from '../../../customer-success/companies/commands/import-companies/import-companies.dto';
import { CONTACT_COLUMNS } from '../../../customer-success/companies/commands/import-contacts/import-contacts.dto';
import { RELATIONSHIP_COLUMNS } from '../../../customer-success/companies/commands/import-relationships/import-relationships.dto';

/**
 * Reads an import file into rows for the import commands. Nothing here knows what a valid value is
 * (the commands' DTOs do); it knows file formats:
 *
 * - CSV (`.csv`): a header line, then one record per line (quoted fields may span lines). Column
 *   names are matched ignoring case, spaces and hyphens ("Company ID" is company_id). A row is
 *   reported by its line (the header is line 1). Empty cells are "no value".
 *   Scorecards in CSV: one reading per line, company_id, as_of, overall_score, overall_color and a
 *   column per measure, `measure:<Name>` (the score), with optional `color:<Name>` and `comment:<Name>`.
 * - JSON (`.json`): an array of objects with the same (snake_case) keys. A row is reported by its
 *   position (1 = the first object). Scorecards have `measures: [{ name, score, color, comment }]`.
 *   Company objects may hold their `relationships` and `contacts` as arrays (company_id defaults to
 *   the company's): one file then imports a whole account, and those rows may refer to its companies.
 */

export type ImportFormat = 'csv' | 'json';

export interface ImportFile {
  /** Rows per kind, in the order they are imported: companies, relationships, contacts, scorecards. */
  readonly batches: Partial<Record<ImportKind, ImportRow[]>>;
  /** Problems with the file itself (not CSV, not an array, unknown columns): nothing can be imported. */
  readonly problems: RowProblem[];
}

export const SCORECARD_CSV_COLUMNS = ['company_id', 'as_of', 'overall_score', 'overall_color'] as const;

const COLUMNS: Record<ImportKind, readonly string[]> = {
  companies: COMPANY_COLUMNS,
  relationships: RELATIONSHIP_COLUMNS,
  contacts: CONTACT_COLUMNS,
  scorecards: SCORECARD_CSV_COLUMNS,
};

/** csv or json from the file name; null when it is neither. */
export function formatOf(filename: string): ImportFormat | null {
  const ext = extname(filename).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.json' ? 'json' : null;
}

export function readImportFile(kind: ImportKind, format: ImportFormat, content: string): ImportFile {
  return format === 'csv' ? readCsv(kind, content) : readJson(kind, content);
}

// --- CSV -----------------------------------------------------------------------------------------

const MEASURE_COLUMN = /^(measure|color|comment)\s*:\s*(.*)$/i;

/** "Company ID" → company_id; measure columns keep their measure's name: "Measure: Product usage" → measure:Product usage. */
export function columnName(header: string): string {
  const text = header.trim();
  const measure = MEASURE_COLUMN.exec(text);
  if (measure) return `${measure[1].toLowerCase()}:${measure[2].trim()}`;
  return text.toLowerCase().replace(/[\s-]+/g, '_');
}

function readCsv(kind: ImportKind, content: string): ImportFile {
  const bytes = Buffer.from(content, 'utf8');
  let records: Array<{ record: string[]; info: { bytes: number } }>;
  try {
    records = parse(bytes, { bom: true, skip_empty_lines: true, info: true }) as unknown as typeof records;
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const line = (error as CsvError & { lines?: number }).lines ?? 0;
    return { batches: {}, problems: [{ row: line, field: '(file)', problem: `is not valid CSV: ${error.message}`, allowed: null }] };
  }
  if (records.length === 0) return { batches: { [kind]: [] }, problems: [] };

  const header = records[0].record.map(columnName);
  const problems = checkHeader(kind, header);
  if (problems.length > 0) return { batches: {}, problems };

  const lineAt = lineCounter(bytes);
  const rows: ImportRow[] = [];
  for (let i = 1; i < records.length; i++) {
    const row = lineAt(records[i - 1].info.bytes);
    const record = Object.fromEntries(header.map((column, c) => [column, records[i].record[c]]));
    rows.push(kind === 'scorecards' ? scorecardFromCsv(record, row) : { row, data: record });
  }
  return { batches: { [kind]: rows }, problems: [] };
}

/**
 * The line a record starts on, from the byte offset where the previous record ended: past blank
 * lines, counting CRLF, LF and CR each as one line break. (csv-parse's own line count takes a CRLF
 * inside a quoted field for two.) Offsets must be asked in increasing order.
 */
function lineCounter(bytes: Buffer): (offset: number) => number {
  let position = 0;
  let line = 1;
  const LF = 0x0a;
  const CR = 0x0d;
  return (offset) => {
    let at = offset;
    while (at < bytes.length && (bytes[at] === LF || bytes[at] === CR)) at++;
    for (; position < at; position++) {
      if (bytes[position] === LF || (bytes[position] === CR && bytes[position + 1] !== LF)) line++;
    }
    return line;
  };
}

function checkHeader(kind: ImportKind, header: string[]): RowProblem[] {
  const problems: RowProblem[] = [];
  const known = COLUMNS[kind];
  const seen = new Set<string>();
  const allowed =
    kind === 'scorecards'
      ? `${known.join(', ')}, and measure:<Name> (with color:<Name>, comment:<Name>) per measure`
      : known.join(', ');
  for (const column of header) {
    if (seen.has(column)) problems.push({ row: 1, field: column, problem: 'appears twice in the header', allowed: 'each column once' });
    seen.add(column);
    const isMeasure = kind === 'scorecards' && MEASURE_COLUMN.test(column);
    if (isMeasure && column.slice(column.indexOf(':') + 1) === '')
      problems.push({ row: 1, field: column, problem: 'names no measure', allowed: 'measure:<Name>, e.g. measure:Product usage' });
    else if (!isMeasure && !known.includes(column))
      problems.push({ row: 1, field: column === '' ? '(empty column name)' : column, problem: `is not a column of a ${kind} import`, allowed });
  }
  for (const column of kind === 'scorecards' ? header.filter((c) => /^(color|comment):/.test(c)) : []) {
    const name = column.slice(column.indexOf(':') + 1);
    if (!seen.has(`measure:${name}`))
      problems.push({ row: 1, field: column, problem: `has no measure:${name} column beside it`, allowed: `a measure:${name} column with the score` });
  }
  return problems;
}

/** One CSV line of scorecards → one reading with its measures; the report names the CSV columns. */
function scorecardFromCsv(record: Record<string, string>, row: number): ImportRow {
  const data: Record<string, unknown> = {};
  const measures: Array<Record<string, string>> = [];
  const fieldLabels: Record<string, string> = {};
  for (const [column, value] of Object.entries(record)) {
    if (!column.startsWith('measure:')) {
      if (!/^(color|comment):/.test(column)) data[column] = value;
      continue;
    }
    const name = column.slice('measure:'.length);
    // An empty cell: this measure was not taken that day.
    if (value.trim() === '') continue;
    const i = measures.length;
    const measure: Record<string, string> = { name, score: value };
    if (record[`color:${name}`] !== undefined) measure.color = record[`color:${name}`];
    if (record[`comment:${name}`] !== undefined) measure.comment = record[`comment:${name}`];
    measures.push(measure);
    fieldLabels[`measures[${i}]`] = column;
    fieldLabels[`measures[${i}].name`] = column;
    fieldLabels[`measures[${i}].score`] = column;
    fieldLabels[`measures[${i}].color`] = `color:${name}`;
    fieldLabels[`measures[${i}].comment`] = `comment:${name}`;
  }
  data.measures = measures;
  return { row, data, fieldLabels };
}

// --- JSON ----------------------------------------------------------------------------------------

function readJson(kind: ImportKind, content: string): ImportFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.replace(/^\uFEFF/, ''));
  } catch (error) {
    return { batches: {}, problems: [{ row: 0, field: '(file)', problem: `is not valid JSON: ${(error as Error).message}`, allowed: null }] };
  }
  if (!Array.isArray(parsed))
    return {
      batches: {},
      problems: [{ row: 0, field: '(file)', problem: `holds ${describe(parsed)}`, allowed: `a JSON array of ${kind} objects` }],
    };

  if (kind !== 'companies') return { batches: { [kind]: parsed.map((data, i) => ({ row: i + 1, data })) }, problems: [] };

  const companies: ImportRow[] = [];
  const nested: Record<'relationships' | 'contacts', ImportRow[]> = { relationships: [], contacts: [] };
  const problems: RowProblem[] = [];
  parsed.forEach((item: unknown, i) => {
    const row = i + 1;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      companies.push({ row, data: item });
      return;
    }
    const { relationships, contacts, ...company } = item as Record<string, unknown>;
    companies.push({ row, data: company });
    for (const [key, list] of [['relationships', relationships], ['contacts', contacts]] as const) {
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list)) {
        problems.push({ row, field: key, problem: `holds ${describe(list)}`, allowed: `a list of ${key} objects` });
        continue;
      }
      list.forEach((entry: unknown, j) => {
        const prefix = `${key}[${j}]`;
        const data =
          typeof entry === 'object' && entry !== null && !Array.isArray(entry)
            ? { company_id: (company as { company_id?: unknown }).company_id, ...(entry as object) }
            : entry;
        const keys = new Set([...COLUMNS[key], ...(typeof data === 'object' && data !== null ? Object.keys(data) : [])]);
        const fieldLabels: Record<string, string> = { '(row)': prefix };
        for (const k of keys) fieldLabels[k] = `${prefix}.${k}`;
        nested[key].push({ row, data, fieldLabels });
      });
    }
  });
  const batches: Partial<Record<ImportKind, ImportRow[]>> = { companies };
  if (nested.relationships.length > 0) batches.relationships = nested.relationships;
  if (nested.contacts.length > 0) batches.contacts = nested.contacts;
  return { batches, problems };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
