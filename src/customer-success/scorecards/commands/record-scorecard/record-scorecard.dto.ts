import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, ValidateNested } from 'class-validator';
import { TEXT_LIMITS } from '../../../shared/values';
import { DateColumn, EnumColumn, RequiredTextColumn, RequiredIdColumn, ScoreColumn, TextColumn } from '../../../companies/commands/import-rules';
import { HEALTH_COLORS } from '../../scorecard.events';
import { MAX_MEASURES } from '../scorecard.decider';

export class ScorecardMeasureDto {
  @RequiredTextColumn(TEXT_LIMITS.label) name!: string;
  @ScoreColumn(true) score!: number;
  /** Default: from the score (below 40 Red, below 70 Yellow, else Green). */
  @EnumColumn(HEALTH_COLORS) color?: (typeof HEALTH_COLORS)[number] | null;
  @TextColumn(TEXT_LIMITS.reason) comment?: string | null;
}

/** One scorecard reading: a company's overall health on a day, and its measures. */
export class RecordScorecardDto {
  @RequiredIdColumn('the id of an imported company') company_id!: string;
  @DateColumn(true) as_of!: string;
  @ScoreColumn(true) overall_score!: number;
  /** Default: from the score. */
  @EnumColumn(HEALTH_COLORS) overall_color?: (typeof HEALTH_COLORS)[number] | null;
  @IsOptional()
  @IsArray({ message: 'is not a list', context: { allowed: 'a list of { name, score, color, comment }' } })
  @ArrayMaxSize(MAX_MEASURES, { message: 'has too many measures', context: { allowed: `at most ${MAX_MEASURES} measures` } })
  @ValidateNested({ each: true })
  @Type(() => ScorecardMeasureDto)
  measures?: ScorecardMeasureDto[] | null;
}

export const SCORECARD_COLUMNS = ['company_id', 'as_of', 'overall_score', 'overall_color', 'measures'] as const satisfies readonly (keyof RecordScorecardDto)[];
