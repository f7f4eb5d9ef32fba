import { Command } from '@nestjs/cqrs';
import type { AdminContext } from '../../../companies/commands/admin-context';
import type { ImportOptions, ImportResult, ImportRow } from '../../../companies/commands/import-batch';

/**
 * Admin only (never MCP: scorecards are read-only there): one or more scorecard readings (columns of
 * RecordScorecardDto), each a ScorecardRecorded on the company's scorecard stream. The company must
 * exist; scores are 0-100; a color left out is derived from the score. All readings are validated
 * first; nothing is written if any is wrong. The same reading recorded again writes nothing.
 */
export class RecordScorecardCommand extends Command<ImportResult> {
  constructor(
    readonly rows: readonly ImportRow[],
    readonly context: AdminContext,
    readonly options: ImportOptions = {},
  ) {
    super();
  }
}
