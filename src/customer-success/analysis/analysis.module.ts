import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AnalyzeAccountsHandler } from './analyze-accounts.handler';

/**
 * Cross-account analysis on the query bus (AnalyzeAccountsQuery). Needs READ_MODEL_DB from the
 * (global) infrastructure module and the customer_success read models.
 */
@Module({
  imports: [CqrsModule],
  providers: [AnalyzeAccountsHandler],
})
export class AnalysisModule {}
