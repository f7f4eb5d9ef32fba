import { Command } from '@nestjs/cqrs';
import type { AdminContext } from '../admin-context';
import type { ImportOptions, ImportResult, ImportRow } from '../import-batch';

/**
 * Admin only (never MCP): a batch of contact rows (a company's people). The company must exist (or
 * be imported in the same run). All rows are validated first; nothing is written if any is wrong.
 */
export class ImportContactsCommand extends Command<ImportResult> {
  constructor(
    readonly rows: readonly ImportRow[],
    readonly context: AdminContext,
    readonly options: ImportOptions = {},
  ) {
    super();
  }
}
