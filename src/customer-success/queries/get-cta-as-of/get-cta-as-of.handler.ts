import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import { EVENT_STORE } from '../../../infrastructure/tokens';
import { ctaDecider, type CtaState } from '../../ctas/cta.decider';
import { ctaStreamName } from '../../ctas/cta.events';
import { isCompanyVisible } from '../shared/company-reads';
import { inputObject, requiredDateTime, requiredIdInput } from '../shared/input';
import { stateAsOf } from '../shared/point-in-time';
import { notFound } from '../shared/query-error';
import { ReadModelReader } from '../shared/read-model-reader';
import { checkViewer } from '../shared/viewer';
import { GetCtaAsOfQuery, type GetCtaAsOfResult } from './get-cta-as-of.query';

const HINT = 'list_ctas finds CTAs by company, owner, status, type or due date';

/** The CTA as it was at a past instant, folded from its own events (audit, undo). */
@QueryHandler(GetCtaAsOfQuery)
export class GetCtaAsOfHandler implements IQueryHandler<GetCtaAsOfQuery> {
  constructor(
    private readonly reader: ReadModelReader,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async execute(query: GetCtaAsOfQuery): Promise<GetCtaAsOfResult> {
    const viewer = checkViewer(query.viewer);
    const input = inputObject(query.input, ['ctaId', 'asOf', 'after']);
    const ctaId = requiredIdInput('ctaId', input.ctaId);
    const asOf = requiredDateTime('asOf', input.asOf);
    const db = await this.reader.ready(input.after);
    const found = await stateAsOf<CtaState, Parameters<typeof ctaDecider.evolve>[1]>(
      this.store,
      ctaStreamName(ctaId),
      asOf,
      ctaDecider,
      (s) => s.exists,
    );
    // The company is fixed at creation: the first event names it.
    const companyId = found?.first.data.companyId;
    if (!found || typeof companyId !== 'string' || !(await isCompanyVisible(db, viewer, companyId))) throw notFound('CTA', ctaId, HINT);
    const { state, ...at } = found.at;
    return { ctaId, asOf, ...at, cta: state.exists ? state.cta : null };
  }
}
