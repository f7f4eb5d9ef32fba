import { Query } from '@nestjs/cqrs';
import type { Position } from '@csmcp/event-store';
import type { LifecycleStage, Segment } from '../../companies/company.events';
import type { HealthColor } from '../../scorecards/scorecard.events';
import type { Page, PageInput } from '../shared/pagination';
import type { ViewerScope } from '../shared/viewer';
import type { CompanyView } from '../shared/views';

export const COMPANY_SORTS = ['name', 'arr', 'renewalDate', 'healthScore', 'lastActivityAt', 'openCtaCount', 'updatedAt'] as const;
export type CompanySort = (typeof COMPANY_SORTS)[number];

export interface SearchCompaniesInput extends PageInput {
  /** Part of the company name, any case. */
  text?: string;
  /** One value or a list (any of). */
  segment?: Segment | Segment[];
  lifecycleStage?: LifecycleStage | LifecycleStage[];
  ownerId?: string | string[];
  /** Renewal date window, inclusive, YYYY-MM-DD. */
  renewalFrom?: string;
  renewalTo?: string;
  arrMin?: number;
  arrMax?: number;
  /** Overall health score 0-100, inclusive. */
  healthScoreMin?: number;
  healthScoreMax?: number;
  healthColor?: HealthColor | HealthColor[];
  /** Default name (asc); arr, openCtaCount, lastActivityAt and updatedAt default to desc, the others to asc. */
  sort?: CompanySort;
  order?: 'asc' | 'desc';
  /** Read-your-writes: the position a write returned. */
  after?: Position;
}

export type SearchCompaniesResult = Page<CompanyView>;

export class SearchCompaniesQuery extends Query<SearchCompaniesResult> {
  constructor(
    readonly viewer: ViewerScope,
    readonly input: SearchCompaniesInput = {},
  ) {
    super();
  }
}
