import { Module } from '@nestjs/common';
import { ProjectionRegistry } from '../../infrastructure/projection-registry';
import { GetAccountSummaryHandler } from '../queries/get-account-summary/get-account-summary.handler';
import { GetCompanyHandler } from '../queries/get-company/get-company.handler';
import { GetCtaAsOfHandler } from '../queries/get-cta-as-of/get-cta-as-of.handler';
import { GetCtaHandler } from '../queries/get-cta/get-cta.handler';
import { GetScorecardHandler } from '../queries/get-scorecard/get-scorecard.handler';
import { GetSuccessPlanAsOfHandler } from '../queries/get-success-plan-as-of/get-success-plan-as-of.handler';
import { GetSuccessPlanHandler } from '../queries/get-success-plan/get-success-plan.handler';
import { ListCtasHandler } from '../queries/list-ctas/list-ctas.handler';
import { ListSuccessPlansHandler } from '../queries/list-success-plans/list-success-plans.handler';
import { ListTimelineActivitiesHandler } from '../queries/list-timeline-activities/list-timeline-activities.handler';
import { SearchCompaniesHandler } from '../queries/search-companies/search-companies.handler';
import { ReadModelReader } from '../queries/shared/read-model-reader';
import { CustomerSuccessProjection } from './customer-success.projection';
import { UsersProjection } from './users.projection';

export const READ_SIDE_QUERY_HANDLERS = [
  SearchCompaniesHandler,
  GetCompanyHandler,
  GetAccountSummaryHandler,
  ListCtasHandler,
  GetCtaHandler,
  ListSuccessPlansHandler,
  GetSuccessPlanHandler,
  ListTimelineActivitiesHandler,
  GetScorecardHandler,
  GetCtaAsOfHandler,
  GetSuccessPlanAsOfHandler,
];

/**
 * The customer-success read side: the `customer_success` and `users` projections, and the query
 * handlers on the QueryBus. Needs the InfrastructureModule (global) and CqrsModule.forRoot().
 */
@Module({
  providers: [ReadModelReader, ...READ_SIDE_QUERY_HANDLERS],
  exports: [ReadModelReader],
})
export class ReadModelsModule {
  // Registered while the module graph is built: ProjectionHost builds its runner only after module init.
  constructor(registry: ProjectionRegistry) {
    registry.register(new CustomerSuccessProjection(), new UsersProjection());
  }
}
