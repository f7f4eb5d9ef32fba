import type { DomainEvent } from '../shared/decider';

/** Scorecards are read-only through MCP: recorded by admin import (or the seed) only. */
export const HEALTH_COLORS = ['Red', 'Yellow', 'Green'] as const;
export type HealthColor = (typeof HEALTH_COLORS)[number];

export type ScorecardMeasure = {
  /** e.g. "Product usage", "Support", "NPS", "Executive engagement". */
  name: string;
  /** 0-100. */
  score: number;
  color: HealthColor;
  comment: string | null;
};

/** One reading of a company's health: the overall score and each measure. Trends come from the history. */
export type ScorecardRecorded = DomainEvent<
  'ScorecardRecorded',
  {
    companyId: string;
    /** The day the scores apply to (YYYY-MM-DD). */
    asOf: string;
    overallScore: number;
    overallColor: HealthColor;
    measures: ScorecardMeasure[];
    recordedAt: string;
  }
>;

export type ScorecardEvent = ScorecardRecorded;
export const scorecardStream = (companyId: string) => `scorecard-${companyId}`;

/** The color a score falls in: < 40 Red, < 70 Yellow, else Green. */
export function colorOf(score: number): HealthColor {
  return score < 40 ? 'Red' : score < 70 ? 'Yellow' : 'Green';
}
