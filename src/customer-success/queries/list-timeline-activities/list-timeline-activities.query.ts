import { Query } from '@nestjs/cqrs';
import type { Position } from '@csmcp/event-store';
import type { TimelineActivityType, TimelineContextKind } from '../../shared/values';
import type { Page, PageInput } from '../shared/pagination';
import type { ViewerScope } from '../shared/viewer';
import type { TimelineActivityView } from '../shared/views';

export interface ListTimelineActivitiesInput extends PageInput {
  companyId?: string;
  /** The record the activities are attached to; contextId needs contextKind. */
  contextKind?: TimelineContextKind;
  contextId?: string;
  type?: TimelineActivityType | TimelineActivityType[];
  authorId?: string;
  /**
   * When they took place (occurredAt): a date YYYY-MM-DD (from the start of that day, to its end, UTC)
   * or an ISO 8601 date-time. Both inclusive.
   */
  from?: string;
  to?: string;
  after?: Position;
}

/** Newest first (occurredAt descending). */
export type ListTimelineActivitiesResult = Page<TimelineActivityView>;

export class ListTimelineActivitiesQuery extends Query<ListTimelineActivitiesResult> {
  constructor(
    readonly viewer: ViewerScope,
    readonly input: ListTimelineActivitiesInput = {},
  ) {
    super();
  }
}
