import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { SqlExecutor } from '@csmcp/projections';
import { OVERALL_MEASURE } from '../../read-models/customer-success.tables';
import type { HealthColor } from '../../scorecards/scorecard.events';
import { measuresOf, overallHealth, visibleCompany } from '../shared/company-reads';
import { inputObject, optionalInteger, requiredIdInput } from '../shared/input';
import { ReadModelReader } from '../shared/read-model-reader';
import { checkViewer } from '../shared/viewer';
import type { ScorePoint } from '../shared/views';
import { GetScorecardQuery, type GetScorecardResult } from './get-scorecard.query';

@QueryHandler(GetScorecardQuery)
export class GetScorecardHandler implements IQueryHandler<GetScorecardQuery> {
  constructor(private readonly reader: ReadModelReader) {}

  async execute(query: GetScorecardQuery): Promise<GetScorecardResult> {
    const viewer = checkViewer(query.viewer);
    const input = inputObject(query.input, ['companyId', 'historyLimit', 'after']);
    const companyId = requiredIdInput('companyId', input.companyId);
    const historyLimit = optionalInteger('historyLimit', input.historyLimit, { min: 1, max: 100, default: 12 });
    const db = await this.reader.ready(input.after);
    const company = await visibleCompany(db, viewer, companyId);
    const [overall, measures, history] = await Promise.all([
      overallHealth(db, companyId),
      measuresOf(db, companyId),
      historyOf(db, companyId, historyLimit),
    ]);
    return {
      companyId,
      companyName: company.name,
      overall: overall && { ...overall, history: history.get(OVERALL_MEASURE) ?? [] },
      measures: measures.map((m) => ({ ...m, history: history.get(m.name) ?? [] })),
    };
  }
}

/** The last `limit` readings of every measure (and the overall score), oldest first. */
async function historyOf(db: SqlExecutor, companyId: string, limit: number): Promise<Map<string, ScorePoint[]>> {
  const rows = await db.all<{ measure: string; as_of: string; score: number; color: string }>(
    `SELECT measure, as_of, score, color FROM (
       SELECT measure, as_of, score, color, ROW_NUMBER() OVER (PARTITION BY measure ORDER BY as_of DESC) AS rn
       FROM cs_scorecard_history WHERE company_id = ?
     ) h WHERE rn <= ? ORDER BY measure, as_of`,
    [companyId, limit],
  );
  const byMeasure = new Map<string, ScorePoint[]>();
  for (const r of rows) {
    let points = byMeasure.get(r.measure);
    if (!points) byMeasure.set(r.measure, (points = []));
    points.push({ asOf: r.as_of, score: Number(r.score), color: r.color as HealthColor });
  }
  return byMeasure;
}
