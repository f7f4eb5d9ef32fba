import { Argument, type Command } from 'commander';
import { CommandBus } from '@nestjs/cqrs';
import { readFileSync } from 'node:fs';
import type { INestApplicationContext } from '@nestjs/common';
import type { EventStore } from '@csmcp/event-store';
import { loadConfig } from '../../config/config';
import { CLI_ACTOR, type AdminContext } from '../../customer-success/companies/commands/admin-context';
import {
  IMPORT_KINDS,
  ImportRejectedError,
  contentHash,
  type ImportKind,
  type ImportOptions,
  type ImportResult,
  type ImportRow,
  type RowProblem,
} from '../../customer-success/companies/commands/import-batch';
import { ImportCompaniesCommand } from '../../customer-success/companies/commands/import-companies/import-companies.command';
import { ImportContactsCommand } from '../../customer-success/companies/commands/import-contacts/import-contacts.command';
import { ImportRelationshipsCommand } from '../../customer-success/companies/commands/import-relationships/import-relationships.command';
import { RecordScorecardCommand } from '../../customer-success/scorecards/commands/record-scorecard/record-scorecard.command';
import { deterministicUuid } from '../../customer-success/write/deterministic-id';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { findAdmin } from './import/find-admin';
import { formatOf, readImportFile } from './import/read-import-file';
import { print, withAppContext } from '../context';
import { UsageError } from '../errors';

/** Files larger than this are refused: the whole file is validated in memory before anything is written. */
const MAX_FILE_BYTES = 512 * 1024 * 1024;

export function registerImport(program: Command): void {
  program
    .command('import')
    .description(
      'import companies, relationships, contacts or scorecards from a CSV or JSON file: every row is checked first, ' +
        'and nothing is imported if any row is wrong; importing the same file again changes nothing',
    )
    .addArgument(new Argument('<kind>', 'what the file holds').choices(IMPORT_KINDS))
    .argument('<file>', 'a .csv file (a header line, snake_case columns) or a .json file (an array of objects)')
    .option('--dry-run', 'check the file and report what would be created, changed or unchanged; write nothing')
    .option('--as <email>', 'the admin the import is recorded as (default: the command line itself)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nColumns:\n' +
        '  companies      company_id, name, external_id, industry, segment, lifecycle_stage, region, employees, arr,\n' +
        '                 renewal_date, owner_id or owner_email (JSON: may hold "relationships" and "contacts" lists)\n' +
        '  relationships  relationship_id, company_id, name, type, arr, renewal_date, owner_id or owner_email\n' +
        '  contacts       contact_id (default: from company_id and email), company_id, name, email, title, role,\n' +
        '                 sentiment, is_primary\n' +
        '  scorecards     company_id, as_of, overall_score, overall_color, and per measure: measure:<Name> (the score),\n' +
        '                 color:<Name>, comment:<Name> (JSON: "measures": [{ name, score, color, comment }])\n' +
        'An empty cell means no value; a column the file does not have keeps the current value.\n' +
        'Exit codes: 0 imported (or a clean dry run), 1 rows were wrong and nothing was imported, 2 wrong usage.',
    )
    .action(async (kind: ImportKind, file: string, options: { dryRun?: boolean; as?: string; json?: boolean }) => {
      const format = formatOf(file);
      if (format === null) throw new UsageError(`${file}: the file name must end in .csv or .json, so that its format is known`);
      const content = readFile(file);
      const json = options.json === true;

      const parsed = readImportFile(kind, format, content);
      if (parsed.problems.length > 0) return reportProblems(file, parsed.problems, json);

      await withAppContext(loadConfig(), async (app) => {
        const context: AdminContext = {
          actor: options.as ? await findAdmin(app.get<EventStore>(EVENT_STORE), options.as) : CLI_ACTOR,
          toolName: 'import',
          correlationId: deterministicUuid(`import|${contentHash(content)}`),
        };
        const batchId = contentHash(content);
        const runner = new ImportRunner(app, context, batchId, parsed.batches);

        // Every batch is checked before any is written: nothing is half-imported.
        const checked = await runner.run(true);
        if (checked.problems.length > 0) return reportProblems(file, checked.problems, json);
        if (options.dryRun) return reportResults(file, checked.results, true, json);

        progress(json, `${file}: ${rowCount(parsed.batches)} rows checked, importing...`);
        const written = await runner.run(false);
        if (written.problems.length > 0) return reportProblems(file, written.problems, json);
        reportResults(file, written.results, false, json);
        process.stderr.write('Read models are built by the server (csmcp serve) or by: csmcp projections rebuild\n');
      });
    });
}

/** Runs the batches of one file in order (companies first, so the others may refer to them). */
class ImportRunner {
  private readonly bus: CommandBus;
  private readonly pendingCompanyIds: string[];

  constructor(
    app: INestApplicationContext,
    private readonly context: AdminContext,
    private readonly batchId: string,
    private readonly batches: Partial<Record<ImportKind, ImportRow[]>>,
  ) {
    this.bus = app.get(CommandBus);
    this.pendingCompanyIds = (batches.companies ?? []).flatMap((r) => {
      const id = (r.data as { company_id?: unknown } | null)?.company_id;
      return typeof id === 'string' && id.trim() !== '' ? [id.trim()] : [];
    });
  }

  async run(dryRun: boolean): Promise<{ results: ImportResult[]; problems: RowProblem[] }> {
    const results: ImportResult[] = [];
    const problems: RowProblem[] = [];
    for (const kind of IMPORT_KINDS) {
      const rows = this.batches[kind];
      if (!rows) continue;
      // In the check, companies of the file count as existing; when writing they are there already.
      const options: ImportOptions = { dryRun, batchId: this.batchId, pendingCompanyIds: dryRun ? this.pendingCompanyIds : [] };
      try {
        results.push(await this.bus.execute(this.command(kind, rows, options)));
      } catch (error) {
        if (!(error instanceof ImportRejectedError)) throw error;
        problems.push(...error.problems);
        if (!dryRun) break;
      }
    }
    return { results, problems: problems.sort((a, b) => a.row - b.row) };
  }

  private command(kind: ImportKind, rows: ImportRow[], options: ImportOptions) {
    switch (kind) {
      case 'companies':
        return new ImportCompaniesCommand(rows, this.context, options);
      case 'relationships':
        return new ImportRelationshipsCommand(rows, this.context, options);
      case 'contacts':
        return new ImportContactsCommand(rows, this.context, options);
      case 'scorecards':
        return new RecordScorecardCommand(rows, this.context, options);
    }
  }
}

function readFile(file: string): string {
  try {
    const buffer = readFileSync(file);
    if (buffer.length > MAX_FILE_BYTES) throw new UsageError(`${file} is ${buffer.length} bytes; import files must be at most ${MAX_FILE_BYTES} bytes: split it`);
    return buffer.toString('utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

function reportProblems(file: string, problems: RowProblem[], json: boolean): void {
  process.exitCode = 1;
  if (json) {
    process.stdout.write(`${JSON.stringify({ file, imported: false, problems }, null, 2)}\n`);
    return;
  }
  process.stderr.write(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was imported.\n`);
  print(
    problems.map((p) => ({ row: p.row, field: p.field, problem: p.problem, allowed: p.allowed })),
    false,
  );
}

function reportResults(file: string, results: ImportResult[], dryRun: boolean, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ file, dryRun, imported: !dryRun, results }, null, 2)}\n`);
    return;
  }
  if (dryRun) process.stderr.write(`${file}: dry run, nothing was written. This is what an import would do:\n`);
  print(
    results.map((r) => ({ kind: r.kind, created: r.created, changed: r.changed, unchanged: r.unchanged, events: r.events })),
    false,
  );
  if (dryRun) {
    const changes = results.flatMap((r) =>
      r.rows.filter((row) => row.outcome !== 'unchanged').map((row) => ({ kind: r.kind, row: row.row, id: row.id, outcome: row.outcome, fields: row.changedFields.join(', ') })),
    );
    if (changes.length > 0) {
      process.stdout.write('\n');
      print(changes.slice(0, 50), false);
      if (changes.length > 50) process.stdout.write(`... and ${changes.length - 50} more (--json lists them all)\n`);
    }
  }
}

function progress(json: boolean, line: string): void {
  if (!json) process.stderr.write(`${line}\n`);
}

function rowCount(batches: Partial<Record<ImportKind, ImportRow[]>>): number {
  return Object.values(batches).reduce((n, rows) => n + (rows?.length ?? 0), 0);
}
