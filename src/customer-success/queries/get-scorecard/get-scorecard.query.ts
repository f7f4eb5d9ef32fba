import { Query } from '@nestjs/cqrs';
import type { Position } from '@csmcp/event-store';
import type { OverallHealth } from '../shared/company-reads';
import type { ViewerScope } from '../shared/viewer';
import type { ScorecardMeasureView, ScorePoint } from '../shared/views';

export interface GetScorecardInput {
  companyId: string;
  /** Readings of history to return per measure (the most recent ones): 1-100, default 12. */
  historyLimit?: number;
  after?: Position;
}

export interface GetScorecardResult {
  companyId: string;
  companyName: string;
  /** The latest overall score, null when no scorecard was ever recorded. */
  overall: (OverallHealth & { history: ScorePoint[] }) | null;
  /** Each measure's latest reading with its trend against the reading before, and its history (oldest first). */
  measures: Array<ScorecardMeasureView & { history: ScorePoint[] }>;
}

export class GetScorecardQuery extends Query<GetScorecardResult> {
  constructor(
    readonly viewer: ViewerScope,
    readonly input: GetScorecardInput,
  ) {
    super();
  }
}
