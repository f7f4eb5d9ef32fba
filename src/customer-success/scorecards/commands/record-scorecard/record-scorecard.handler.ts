import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import { EVENT_STORE } from '../../../../infrastructure/tokens';
import { runImport, type ImportResult, type ImportSpec } from '../../../companies/commands/import-batch';
import { checkCompany } from '../../../companies/commands/reference-checks';
import { scorecardStream, type ScorecardEvent } from '../../scorecard.events';
import { scorecardDecider, type RecordScorecard, type ScorecardState } from '../scorecard.decider';
import { RecordScorecardCommand } from './record-scorecard.command';
import { RecordScorecardDto, SCORECARD_COLUMNS } from './record-scorecard.dto';

type Data = RecordScorecard['data'];

export const SCORECARD_IMPORT: ImportSpec<RecordScorecardDto, Data, RecordScorecard, ScorecardState, ScorecardEvent> = {
  kind: 'scorecards',
  record: 'scorecard reading',
  dto: RecordScorecardDto,
  columns: SCORECARD_COLUMNS,
  async resolve(dto, refs, report) {
    if (!(await checkCompany(dto.company_id, refs, report))) return null;
    return {
      companyId: dto.company_id,
      asOf: dto.as_of,
      overallScore: dto.overall_score,
      overallColor: dto.overall_color,
      measures: (dto.measures ?? []).map((m) => ({ name: m.name, score: m.score, color: m.color, comment: m.comment })),
    };
  },
  identify: (data) => ({
    id: `${data.companyId}@${data.asOf}`,
    stream: scorecardStream(data.companyId),
    unique: `${data.companyId}|${data.asOf}`,
    column: 'as_of',
  }),
  decider: scorecardDecider,
  command: (data, now) => ({ type: 'RecordScorecard', data, metadata: { now } }),
  outcome: (events, before) => (events[0].data.asOf in before.readings ? 'changed' : 'created'),
  changedFields: () => ['scores'],
  fieldColumns: { companyId: 'company_id', asOf: 'as_of', overallScore: 'overall_score', overallColor: 'overall_color' },
};

@CommandHandler(RecordScorecardCommand)
export class RecordScorecardHandler implements ICommandHandler<RecordScorecardCommand, ImportResult> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  execute({ rows, context, options }: RecordScorecardCommand): Promise<ImportResult> {
    return runImport(this.store, SCORECARD_IMPORT, rows, context, options);
  }
}
