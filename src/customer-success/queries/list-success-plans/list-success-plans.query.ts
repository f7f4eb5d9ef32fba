import { Query } from '@nestjs/cqrs';
import type { Position } from '@csmcp/event-store';
import type { SuccessPlanStatus } from '../../shared/values';
import type { Page, PageInput } from '../shared/pagination';
import type { ViewerScope } from '../shared/viewer';
import type { SuccessPlanView } from '../shared/views';

export const SUCCESS_PLAN_SORTS = ['dueDate', 'createdAt', 'updatedAt', 'name'] as const;
export type SuccessPlanSort = (typeof SUCCESS_PLAN_SORTS)[number];

export interface ListSuccessPlansInput extends PageInput {
  companyId?: string;
  relationshipId?: string;
  ownerId?: string | string[];
  status?: SuccessPlanStatus | SuccessPlanStatus[];
  /** Default dueDate (asc, plans without a due date last); createdAt and updatedAt default to desc, name to asc. */
  sort?: SuccessPlanSort;
  order?: 'asc' | 'desc';
  after?: Position;
}

export type ListSuccessPlansResult = Page<SuccessPlanView>;

export class ListSuccessPlansQuery extends Query<ListSuccessPlansResult> {
  constructor(
    readonly viewer: ViewerScope,
    readonly input: ListSuccessPlansInput = {},
  ) {
    super();
  }
}
