import { Query } from '@nestjs/cqrs';
import type { Position } from '@csmcp/event-store';
import type { CtaStatus, CtaType, Priority } from '../../shared/values';
import type { Page, PageInput } from '../shared/pagination';
import type { ViewerScope } from '../shared/viewer';
import type { CtaView } from '../shared/views';

export const CTA_SORTS = ['dueDate', 'createdAt', 'updatedAt'] as const;
export type CtaSort = (typeof CTA_SORTS)[number];

export interface ListCtasInput extends PageInput {
  companyId?: string;
  relationshipId?: string;
  successPlanId?: string;
  /** One owner or a list (any of). */
  ownerId?: string | string[];
  status?: CtaStatus | CtaStatus[];
  type?: CtaType | CtaType[];
  priority?: Priority | Priority[];
  /** Due date window, inclusive, YYYY-MM-DD. CTAs without a due date are left out when either is given. */
  dueFrom?: string;
  dueTo?: string;
  /** Only CTAs whose status is New or WorkInProgress. */
  openOnly?: boolean;
  /** Default dueDate (asc, CTAs without a due date last); createdAt and updatedAt default to desc. */
  sort?: CtaSort;
  order?: 'asc' | 'desc';
  after?: Position;
}

export type ListCtasResult = Page<CtaView>;

export class ListCtasQuery extends Query<ListCtasResult> {
  constructor(
    readonly viewer: ViewerScope,
    readonly input: ListCtasInput = {},
  ) {
    super();
  }
}
