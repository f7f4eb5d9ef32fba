import {
  GetAccountSummaryQuery,
  SUMMARY_OPEN_CTAS,
  SUMMARY_RECENT_ACTIVITIES,
  type GetAccountSummaryInput,
  type GetAccountSummaryResult,
} from '../../../customer-success/queries/get-account-summary/get-account-summary.query';
import { snakeObject } from '../shared/case';
import { id } from '../shared/input-schemas';
import { ACCOUNT_SUMMARY } from '../shared/output-schemas';
import { readTool } from '../shared/read-tool';
import { activityLine, bullet, companyLine, ctaLine, money, planLine, plural } from '../shared/render';

export const getAccountSummaryTool = readTool({
  name: 'get_account_summary',
  title: 'Account summary (briefing)',
  description:
    'A briefing on one account in one call, e.g. before a QBR or a renewal call: the company profile, overall health with each scorecard measure and its trend, ' +
    `open CTAs (up to ${SUMMARY_OPEN_CTAS}, by due date, overdue flagged, with the total), active success plans, the ${SUMMARY_RECENT_ACTIVITIES} most recent timeline activities, ` +
    'contacts, and the renewal date with days until renewal. Use this first when asked about one company; use list_ctas, list_success_plans or ' +
    'list_timeline_activities to go further back or page through more, get_scorecard for score history, and analyze_accounts for questions across many accounts. ' +
    'Find the company_id with search_companies.',
  args: { company_id: { schema: id('The company id (from search_companies).'), required: true } },
  outputSchema: ACCOUNT_SUMMARY,
  query: (viewer, input: GetAccountSummaryInput) => new GetAccountSummaryQuery(viewer, input),
  structured: (r) => snakeObject(r),
  text: summaryText,
});

function summaryText(r: GetAccountSummaryResult): string {
  const lines = [companyLine(r.company)];
  const { renewal, health } = r;
  if (renewal.renewalDate)
    lines.push(
      `Renewal: ${renewal.renewalDate} (${renewal.daysUntilRenewal! >= 0 ? `in ${plural(renewal.daysUntilRenewal!, 'day')}` : `${plural(-renewal.daysUntilRenewal!, 'day')} ago`}), ARR ${money(renewal.arr)}`,
    );
  if (health) {
    const trend = health.trend ? `, ${health.trend} from ${health.previousScore}` : '';
    const measures = health.measures.map((m) => `${m.name} ${m.score} ${m.color}${m.trend ? ` (${m.trend})` : ''}`).join('; ');
    lines.push(`Health: ${health.score} ${health.color} as of ${health.asOf}${trend}${measures ? ` — ${measures}` : ''}`);
  } else lines.push('Health: no scorecard recorded.');
  const shown = r.openCtas.items.length;
  lines.push(
    `Open CTAs: ${r.openCtas.total}${r.openCtas.overdue > 0 ? ` (${r.openCtas.overdue} overdue)` : ''}${shown < r.openCtas.total ? `, first ${shown} shown` : ''}`,
    ...r.openCtas.items.map((t) => bullet(ctaLine(t))),
  );
  lines.push(`Active success plans: ${r.activeSuccessPlans.length}`, ...r.activeSuccessPlans.map((s) => bullet(planLine(s))));
  lines.push(`Recent timeline: ${r.recentTimeline.length === 0 ? 'none' : ''}`.trimEnd(), ...r.recentTimeline.map((a) => bullet(activityLine(a))));
  if (r.contacts.length > 0)
    lines.push(`Contacts: ${r.contacts.map((p) => `${p.name}${p.title ? ` (${p.title})` : ''}${p.isPrimary ? ' *primary*' : ''} ${p.sentiment}`).join('; ')}`);
  return lines.join('\n');
}
