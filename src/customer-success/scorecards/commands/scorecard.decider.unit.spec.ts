import { DeciderSpecification } from '@csmcp/testing';
import { DomainError } from '../../shared/domain-error';
import type { ScorecardRecorded } from '../scorecard.events';
import { scorecardDecider, type RecordScorecard } from './scorecard.decider';

const spec = DeciderSpecification.for(scorecardDecider);
const now = '2025-04-01T09:00:00.000Z';

const record = (data: Partial<RecordScorecard['data']> = {}): RecordScorecard => ({
  type: 'RecordScorecard',
  data: { companyId: 'acme', asOf: '2025-03-31', overallScore: 72, ...data },
  metadata: { now },
});

const recorded = (data: Partial<ScorecardRecorded['data']> = {}): ScorecardRecorded => ({
  type: 'ScorecardRecorded',
  data: { companyId: 'acme', asOf: '2025-03-31', overallScore: 72, overallColor: 'Green', measures: [], recordedAt: now, ...data },
});

describe('scorecard decider', () => {
  it('records a reading, colors derived from the scores when not given', () => {
    spec
      .given([])
      .when(
        record({
          overallScore: 55,
          measures: [
            { name: 'Product usage', score: 39.5 },
            { name: 'Support', score: 70, comment: 'Few tickets' },
            { name: 'NPS', score: 90, color: 'Yellow' },
          ],
        }),
      )
      .then([
        recorded({
          overallScore: 55,
          overallColor: 'Yellow',
          measures: [
            { name: 'Product usage', score: 39.5, color: 'Red', comment: null },
            { name: 'Support', score: 70, color: 'Green', comment: 'Few tickets' },
            { name: 'NPS', score: 90, color: 'Yellow', comment: null },
          ],
        }),
      ]);
  });

  it('writes nothing when the same reading of the day is recorded again', () => {
    spec.given([recorded()]).when(record()).thenNothingHappened();
  });

  it('records a corrected reading of a day, and readings of other days', () => {
    spec.given([recorded()]).when(record({ overallScore: 30 })).then([recorded({ overallScore: 30, overallColor: 'Red' })]);
    spec.given([recorded()]).when(record({ asOf: '2025-02-28' })).then([recorded({ asOf: '2025-02-28' })]);
  });

  it.each([
    [{ overallScore: 101 }, 'overallScore', 'overallScore must be a number from 0 to 100; got 101'],
    [{ overallColor: 'Blue' }, 'overallColor', 'overallColor must be one of Red, Yellow, Green; got "Blue"'],
    [{ asOf: '2025-04-03' }, 'asOf', 'asOf 2025-04-03 is in the future; record scores for today (2025-04-01) or earlier'],
    [{ measures: [{ name: 'Support', score: -1 }] }, 'measures[0].score', 'measures[0].score must be a number from 0 to 100; got -1'],
    [
      { measures: [{ name: 'Support', score: 1 }, { name: 'support', score: 2 }] },
      'measures[1].name',
      'measures[1].name "support" appears twice; each measure may appear once in a reading',
    ],
    [{ measures: [{ name: 'Overall', score: 1 }] }, 'measures[0].name', 'measures[0].name "Overall" is reserved: the overall score goes in overallScore'],
  ] as unknown as Array<[Partial<RecordScorecard['data']>, string, string]>)('refuses %j', (data, field, message) => {
    spec.given([]).when(record(data)).thenThrows(DomainError, { code: 'VALIDATION', field, message });
  });

  it('accepts tomorrow (it is already tomorrow somewhere)', () => {
    spec.given([]).when(record({ asOf: '2025-04-02' })).then([recorded({ asOf: '2025-04-02' })]);
  });
});
