import { Command } from '@nestjs/cqrs';
import type { AdminContext } from '../admin-context';
import type { ImportOptions, ImportResult, ImportRow } from '../import-batch';

/**
 * Admin only (never MCP): a batch of company rows (columns of ImportCompanyDto). Each row creates a
 * company, records what changed on an existing one, or writes nothing when nothing changed. Every
 * row is validated first; if any is wrong, ImportRejectedError lists the problems and nothing is written.
 */
export class ImportCompaniesCommand extends Command<ImportResult> {
  constructor(
    readonly rows: readonly ImportRow[],
    readonly context: AdminContext,
    readonly options: ImportOptions = {},
  ) {
    super();
  }
}
