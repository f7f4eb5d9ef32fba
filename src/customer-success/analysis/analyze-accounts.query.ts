import { Query } from '@nestjs/cqrs';
import type { AnalysisResult } from './analysis-query';

/** Who asks: the analysis only ever sees the companies of `visibleOwnerIds` (null: every company). */
export interface AnalysisViewer {
  readonly userId: string;
  readonly visibleOwnerIds: readonly string[] | null;
}

/**
 * Cross-account analysis (MCP tool `analyze_accounts`): filter, group, aggregate and rank across the
 * book of business. `query` is the JSON an LLM wrote (see AnalysisQuery), validated by the handler;
 * an invalid one is refused with AnalysisQueryError (code INVALID_QUERY).
 */
export class AnalyzeAccountsQuery extends Query<AnalysisResult> {
  readonly query: unknown;
  readonly viewer: AnalysisViewer;
  /** "Today" for the day counts; default the time the query runs. */
  readonly now?: Date;

  constructor(input: { query: unknown; viewer: AnalysisViewer; now?: Date }) {
    super();
    this.query = input.query;
    this.viewer = input.viewer;
    if (input.now !== undefined) this.now = input.now;
  }
}
