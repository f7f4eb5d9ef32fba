import { Command } from '@nestjs/cqrs';
import type { AdminContext } from '../admin-context';
import type { ImportOptions, ImportResult, ImportRow } from '../import-batch';

/**
 * Admin only (never MCP): a batch of relationship rows (a company's business units or product
 * lines). The company must exist (or be imported in the same run: options.pendingCompanyIds).
 * All rows are validated first; nothing is written if any is wrong.
 */
export class ImportRelationshipsCommand extends Command<ImportResult> {
  constructor(
    readonly rows: readonly ImportRow[],
    readonly context: AdminContext,
    readonly options: ImportOptions = {},
  ) {
    super();
  }
}
