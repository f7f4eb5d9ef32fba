import type { JsonValue } from '@csmcp/event-store';
import { sameJson } from '../../shared/changes';
import type { Decider, DomainCommand } from '../../shared/decider';
import { DomainError } from '../../shared/domain-error';
import { calendarDate, commandNow, describeValue, oneOf, optionalText, requiredId, requiredText } from '../../shared/validation';
import { TEXT_LIMITS } from '../../shared/values';
import { score } from '../../companies/commands/reference-validation';
import { HEALTH_COLORS, colorOf, type HealthColor, type ScorecardEvent, type ScorecardMeasure, type ScorecardRecorded } from '../scorecard.events';

export const MAX_MEASURES = 50;

/**
 * One reading of a company's health. A color left out (or null) is derived from the score with
 * colorOf. Recording the very same reading for a day again changes nothing; a different reading for a
 * day already recorded is a correction and is recorded.
 */
export type RecordScorecard = DomainCommand<
  'RecordScorecard',
  {
    /** An existing company: the handler checks it. */
    companyId: string;
    /** YYYY-MM-DD, not in the future. */
    asOf: string;
    overallScore: number;
    overallColor?: HealthColor | null;
    measures?: Array<{ name: string; score: number; color?: HealthColor | null; comment?: string | null }>;
  }
>;

type Reading = { overallScore: number; overallColor: HealthColor; measures: ScorecardMeasure[] };
/** The readings recorded so far, by day (the latest reading of a day wins). */
export type ScorecardState = { readings: Readonly<Record<string, Reading>> };

export const initialState = (): ScorecardState => ({ readings: {} });

export function evolve(state: ScorecardState, event: ScorecardEvent): ScorecardState {
  if (event.type !== 'ScorecardRecorded') return state;
  const { asOf, overallScore, overallColor, measures } = event.data;
  return { readings: { ...state.readings, [asOf]: { overallScore, overallColor, measures } } };
}

export function decide(command: RecordScorecard, state: ScorecardState): ScorecardEvent[] {
  if (command.type !== 'RecordScorecard')
    throw new DomainError('VALIDATION', `Unknown scorecard command ${JSON.stringify((command as { type?: unknown }).type)}`);
  const now = commandNow(command.metadata);
  const { data } = command;
  const companyId = requiredId('companyId', data.companyId);
  const asOf = calendarDate('asOf', data.asOf);
  // A day ahead of UTC is still "today" somewhere.
  const latestDay = new Date(now.ms + 86_400_000).toISOString().slice(0, 10);
  if (asOf > latestDay)
    throw new DomainError('VALIDATION', `asOf ${asOf} is in the future; record scores for today (${now.iso.slice(0, 10)}) or earlier`, {
      field: 'asOf',
    });
  const overallScore = score('overallScore', data.overallScore);
  const reading: Reading = {
    overallScore,
    overallColor: colorFor('overallColor', data.overallColor, overallScore),
    measures: validateMeasures(data.measures),
  };

  const previous = state.readings[asOf];
  if (previous && sameJson(previous as unknown as JsonValue, reading as unknown as JsonValue)) return [];
  const recorded: ScorecardRecorded = { type: 'ScorecardRecorded', data: { companyId, asOf, ...reading, recordedAt: now.iso } };
  return [recorded];
}

export const scorecardDecider: Decider<ScorecardState, RecordScorecard, ScorecardEvent> = { decide, evolve, initialState };

function colorFor(field: string, value: unknown, scoreValue: number): HealthColor {
  return value === undefined || value === null ? colorOf(scoreValue) : oneOf(field, value, HEALTH_COLORS);
}

function validateMeasures(value: unknown): ScorecardMeasure[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new DomainError('VALIDATION', `measures must be a list of { name, score, color, comment }; got ${describeValue(value)}`, { field: 'measures' });
  if (value.length > MAX_MEASURES)
    throw new DomainError('VALIDATION', `measures must have at most ${MAX_MEASURES} entries; got ${value.length}`, { field: 'measures' });
  const seen = new Set<string>();
  return value.map((raw: unknown, i) => {
    const field = `measures[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new DomainError('VALIDATION', `${field} must be an object { name, score, color, comment }; got ${describeValue(raw)}`, { field });
    const m = raw as Record<string, unknown>;
    const name = requiredText(`${field}.name`, m.name, TEXT_LIMITS.label);
    const key = name.toLowerCase();
    if (key === 'overall' || key === '__overall__')
      throw new DomainError('VALIDATION', `${field}.name "${name}" is reserved: the overall score goes in overallScore`, { field: `${field}.name` });
    if (seen.has(key))
      throw new DomainError('VALIDATION', `${field}.name "${name}" appears twice; each measure may appear once in a reading`, { field: `${field}.name` });
    seen.add(key);
    const measureScore = score(`${field}.score`, m.score);
    return {
      name,
      score: measureScore,
      color: colorFor(`${field}.color`, m.color, measureScore),
      comment: optionalText(`${field}.comment`, m.comment, TEXT_LIMITS.reason),
    };
  });
}
