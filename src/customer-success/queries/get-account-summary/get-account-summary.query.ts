import { Query } from '@nestjs/cqrs';
import type { Position } from '@csmcp/event-store';
import type { OverallHealth } from '../shared/company-reads';
import type { ViewerScope } from '../shared/viewer';
import type { CompanyView, ContactView, CtaView, ScorecardMeasureView, SuccessPlanView, TimelineActivityView } from '../shared/views';

export interface GetAccountSummaryInput {
  companyId: string;
  /** The moment the countdown and "overdue" are computed at (ISO 8601 date-time). Default: now. */
  now?: string;
  after?: Position;
}

/** Open CTAs shown in a summary; `openCtas.total` counts them all. */
export const SUMMARY_OPEN_CTAS = 50;
export const SUMMARY_RECENT_ACTIVITIES = 10;

export interface GetAccountSummaryResult {
  company: CompanyView;
  health: (OverallHealth & { measures: ScorecardMeasureView[] }) | null;
  openCtas: {
    total: number;
    /** Open and due before today. */
    overdue: number;
    /** By due date (none last), at most SUMMARY_OPEN_CTAS. */
    items: Array<CtaView & { isOverdue: boolean }>;
  };
  /** Success plans with status Active, by due date. */
  activeSuccessPlans: SuccessPlanView[];
  /** The SUMMARY_RECENT_ACTIVITIES most recent timeline activities, newest first. */
  recentTimeline: TimelineActivityView[];
  contacts: ContactView[];
  renewal: {
    renewalDate: string | null;
    /** Days from today (UTC, at `now`) to the renewal date; negative once it has passed; null without a date. */
    daysUntilRenewal: number | null;
    arr: number;
  };
  /** The day (YYYY-MM-DD, UTC) the countdown and overdue flags are computed for. */
  today: string;
}

export class GetAccountSummaryQuery extends Query<GetAccountSummaryResult> {
  constructor(
    readonly viewer: ViewerScope,
    readonly input: GetAccountSummaryInput,
  ) {
    super();
  }
}
