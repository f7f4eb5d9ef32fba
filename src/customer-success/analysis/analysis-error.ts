/** One thing wrong with an analysis query: where (a JSON path like `filter.all[1].field`) and what. */
export interface AnalysisProblem {
  readonly path: string;
  /** What was given and what is allowed. */
  readonly message: string;
}

/**
 * An analysis query refused before it reached the database. Code INVALID_QUERY, like the other read
 * queries' refusals; the message lists every problem found (one per line, `path: message`), so an
 * LLM can fix them all in one go. It never contains SQL.
 */
export class AnalysisQueryError extends Error {
  readonly code = 'INVALID_QUERY' as const;
  /** The path of the first problem. */
  readonly field: string;

  constructor(readonly problems: readonly AnalysisProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
    this.name = 'AnalysisQueryError';
    this.field = problems[0]?.path ?? 'query';
  }
}
