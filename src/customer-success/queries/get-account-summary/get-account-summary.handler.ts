import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { contactsOf, daysBetween, measuresOf, overallHealth, visibleCompany } from '../shared/company-reads';
import { inputObject, optionalDateTime, requiredIdInput } from '../shared/input';
import { ReadModelReader } from '../shared/read-model-reader';
import { checkViewer } from '../shared/viewer';
import {
  ACTIVITY_COLUMNS,
  ACTIVITY_FROM,
  CTA_COLUMNS,
  CTA_FROM,
  PLAN_COLUMNS,
  PLAN_FROM,
  toActivityView,
  toCtaView,
  toPlanView,
  type ActivityRow,
  type CtaRow,
  type PlanRow,
} from '../shared/views';
import {
  GetAccountSummaryQuery,
  type GetAccountSummaryResult,
  SUMMARY_OPEN_CTAS,
  SUMMARY_RECENT_ACTIVITIES,
} from './get-account-summary.query';

@QueryHandler(GetAccountSummaryQuery)
export class GetAccountSummaryHandler implements IQueryHandler<GetAccountSummaryQuery> {
  constructor(private readonly reader: ReadModelReader) {}

  async execute(query: GetAccountSummaryQuery): Promise<GetAccountSummaryResult> {
    const viewer = checkViewer(query.viewer);
    const input = inputObject(query.input, ['companyId', 'now', 'after']);
    const companyId = requiredIdInput('companyId', input.companyId);
    const now = optionalDateTime('now', input.now) ?? new Date().toISOString();
    const today = now.slice(0, 10);
    const db = await this.reader.ready(input.after);
    const company = await visibleCompany(db, viewer, companyId);

    const [health, measures, counts, ctas, plans, activities, contacts] = await Promise.all([
      overallHealth(db, companyId),
      measuresOf(db, companyId),
      db.get<{ total: number; overdue: number | null }>(
        `SELECT COUNT(*) AS total, SUM(CASE WHEN due_date < ? THEN 1 ELSE 0 END) AS overdue FROM cs_ctas WHERE company_id = ? AND is_open = 1`,
        [today, companyId],
      ),
      db.all<CtaRow>(
        `SELECT ${CTA_COLUMNS} FROM ${CTA_FROM} WHERE t.company_id = ? AND t.is_open = 1
         ORDER BY t.due_date ASC NULLS LAST, t.created_at, t.cta_id LIMIT ?`,
        [companyId, SUMMARY_OPEN_CTAS],
      ),
      db.all<PlanRow>(
        `SELECT ${PLAN_COLUMNS} FROM ${PLAN_FROM} WHERE s.company_id = ? AND s.status = 'Active'
         ORDER BY s.due_date ASC NULLS LAST, s.created_at, s.success_plan_id`,
        [companyId],
      ),
      db.all<ActivityRow>(
        `SELECT ${ACTIVITY_COLUMNS} FROM ${ACTIVITY_FROM} WHERE a.company_id = ? ORDER BY a.occurred_at DESC, a.activity_id DESC LIMIT ?`,
        [companyId, SUMMARY_RECENT_ACTIVITIES],
      ),
      contactsOf(db, companyId),
    ]);

    return {
      company,
      health: health && { ...health, measures },
      openCtas: {
        total: Number(counts?.total ?? 0),
        overdue: Number(counts?.overdue ?? 0),
        items: ctas.map((r) => ({ ...toCtaView(r), isOverdue: r.due_date !== null && r.due_date < today })),
      },
      activeSuccessPlans: plans.map(toPlanView),
      recentTimeline: activities.map(toActivityView),
      contacts,
      renewal: {
        renewalDate: company.renewalDate,
        daysUntilRenewal: company.renewalDate === null ? null : daysBetween(today, company.renewalDate),
        arr: company.arr,
      },
      today,
    };
  }
}
