import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { ReadModelDatabase } from '@csmcp/projections';
import { READ_MODEL_DB } from '../../infrastructure/tokens';
import type { AnalysisColumn, AnalysisResult } from './analysis-query';
import { AnalyzeAccountsQuery } from './analyze-accounts.query';
import { compileAnalysis } from './compile';

@QueryHandler(AnalyzeAccountsQuery)
export class AnalyzeAccountsHandler implements IQueryHandler<AnalyzeAccountsQuery, AnalysisResult> {
  constructor(@Inject(READ_MODEL_DB) private readonly db: ReadModelDatabase) {}

  async execute(query: AnalyzeAccountsQuery): Promise<AnalysisResult> {
    const compiled = compileAnalysis(query.query, {
      now: query.now ?? new Date(),
      dialect: this.db.dialect,
      visibleOwnerIds: query.viewer.visibleOwnerIds,
    });
    const fetched = await this.db.all(compiled.sql, compiled.params);
    const truncated = fetched.length > compiled.limit;
    const rows = (truncated ? fetched.slice(0, compiled.limit) : fetched).map((row) => normalizeRow(row, compiled.columns));
    return {
      entity: compiled.entity,
      columns: compiled.columns,
      rows,
      rowCount: rows.length,
      truncated,
      explanation: compiled.explanation,
    };
  }
}

/** The same JSON from both databases: numbers as numbers (PostgreSQL may return bigints or numeric text), booleans as booleans. */
export function normalizeRow(row: Record<string, unknown>, columns: readonly AnalysisColumn[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { name, type } of columns) {
    const value = row[name] ?? null;
    if (value === null) out[name] = null;
    else if (type === 'number') out[name] = typeof value === 'number' ? value : Number(value);
    else if (type === 'boolean') out[name] = value === true || value === 1 || value === '1';
    else out[name] = value;
  }
  return out;
}
