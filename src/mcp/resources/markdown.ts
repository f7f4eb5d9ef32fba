import type { GetAccountSummaryResult } from '../../customer-success/queries/get-account-summary/get-account-summary.query';
import type { GetCompanyResult } from '../../customer-success/queries/get-company/get-company.query';
import type { GetCtaResult } from '../../customer-success/queries/get-cta/get-cta.query';
import type { GetScorecardResult } from '../../customer-success/queries/get-scorecard/get-scorecard.query';
import type { GetSuccessPlanResult } from '../../customer-success/queries/get-success-plan/get-success-plan.query';
import type { CtaView, TimelineActivityView } from '../../customer-success/queries/shared/views';

/**
 * Markdown renderings of the read models for people (and LLMs: Markdown costs fewer tokens than the
 * JSON it comes from). Every value that came from data is escaped: a company named "*Acme* | x" must
 * not turn into markup or break a table.
 */

/** Inline text: Markdown's punctuation escaped, line breaks folded. */
export function md(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  return value.replace(/\s*[\r\n]+\s*/g, ' ').replace(/[\\`*_[\]<>|#~]/g, (c) => `\\${c}`);
}

/** An id in backticks (ids have no spaces; a backtick in one is replaced, it cannot be escaped there). */
export function code(id: string): string {
  return `\`${id.replace(/`/g, "'")}\``;
}

const NUMBER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

export function amount(value: number | null): string {
  return value === null ? '—' : NUMBER.format(value);
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function days(n: number): string {
  if (n === 0) return 'today';
  return n > 0 ? `in ${n} day${n === 1 ? '' : 's'}` : `${-n} day${n === -1 ? '' : 's'} ago`;
}

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function ctaLine(c: CtaView & { isOverdue?: boolean }): string {
  const due = c.dueDate ? `due ${c.dueDate}${c.isOverdue ? ' **(overdue)**' : ''}` : 'no due date';
  return `- **${md(c.name)}**: ${c.type}, ${c.priority}, ${c.status}, ${due}; owner ${code(c.ownerId)}; id ${code(c.ctaId)}`;
}

function activityLine(a: TimelineActivityView): string {
  const notes = a.notes ? `: ${md(shorten(a.notes, 280))}` : '';
  return `- ${a.occurredAt.slice(0, 10)} **${a.type}** ${md(a.subject)}${notes} (by ${code(a.authorId)}, on ${a.context.kind} ${code(a.context.id)})`;
}

export function accountSummaryMarkdown(s: GetAccountSummaryResult): string {
  const c = s.company;
  const renewal = s.renewal.renewalDate
    ? `${s.renewal.renewalDate} (${days(s.renewal.daysUntilRenewal ?? 0)})`
    : 'no renewal date';
  const owner = c.ownerId === null ? '—' : `${md(c.ownerName ?? c.ownerId)}${c.ownerEmail ? ` (${md(c.ownerEmail)})` : ''}, ${code(c.ownerId)}`;
  const lines = [
    `# ${md(c.name)}: account summary`,
    '',
    `Company id ${code(c.companyId)}. Computed for ${s.today} (UTC).`,
    '',
    '## Profile',
    '',
    ...table(
      ['Field', 'Value'],
      [
        ['Owner', owner],
        ['ARR', amount(s.renewal.arr)],
        ['Renewal', renewal],
        ['Segment', md(c.segment)],
        ['Lifecycle stage', md(c.lifecycleStage)],
        ['Industry', md(c.industry)],
        ['Region', md(c.region)],
        ['Employees', amount(c.employees)],
        ['External id', c.externalId ? code(c.externalId) : '—'],
      ],
    ),
    '',
    '## Health',
    '',
  ];
  if (!s.health) lines.push('No scorecard recorded yet.');
  else {
    const h = s.health;
    const since = h.previousScore === null ? '' : `, ${h.trend} from ${amount(h.previousScore)}`;
    lines.push(`Overall **${amount(h.score)} (${h.color})** as of ${h.asOf}${since}.`);
    if (h.measures.length > 0)
      lines.push(
        '',
        ...table(
          ['Measure', 'Score', 'Color', 'Trend', 'Comment'],
          h.measures.map((m) => [md(m.name), amount(m.score), m.color, m.trend ?? '—', md(m.comment)]),
        ),
      );
  }
  lines.push('', `## Open CTAs (${s.openCtas.total}, ${s.openCtas.overdue} overdue)`, '');
  if (s.openCtas.items.length === 0) lines.push('None.');
  else lines.push(...s.openCtas.items.map(ctaLine));
  if (s.openCtas.total > s.openCtas.items.length)
    lines.push('', `${s.openCtas.total - s.openCtas.items.length} more: list_ctas with company_id ${code(c.companyId)}.`);
  lines.push('', `## Active success plans (${s.activeSuccessPlans.length})`, '');
  if (s.activeSuccessPlans.length === 0) lines.push('None.');
  else
    lines.push(
      ...s.activeSuccessPlans.map(
        (p) =>
          `- **${md(p.name)}**: due ${p.dueDate ?? '—'}, ${p.openObjectiveCount} of ${p.objectiveCount} objectives open; owner ${code(p.ownerId)}; id ${code(p.successPlanId)}`,
      ),
    );
  lines.push('', `## Recent timeline (${s.recentTimeline.length} most recent of ${c.activityCount})`, '');
  if (s.recentTimeline.length === 0) lines.push('No activity logged yet.');
  else lines.push(...s.recentTimeline.map(activityLine));
  lines.push('', `## Contacts (${s.contacts.length})`, '');
  if (s.contacts.length === 0) lines.push('None recorded.');
  else
    lines.push(
      ...s.contacts.map(
        (p) =>
          `- ${md(p.name)}${p.isPrimary ? ' (primary)' : ''}: ${[p.title, p.role].filter(Boolean).map(md).join(', ') || 'no role'}; sentiment ${p.sentiment}${p.email ? `; ${md(p.email)}` : ''}`,
      ),
    );
  return `${lines.join('\n')}\n`;
}

export function timelineMarkdown(company: GetCompanyResult, activities: readonly TimelineActivityView[], more: boolean): string {
  const lines = [`# ${md(company.name)}: timeline`, '', `Company id ${code(company.companyId)}. Newest first.`, ''];
  if (activities.length === 0) lines.push('No activity logged yet.');
  else lines.push(...activities.map(activityLine));
  if (more)
    lines.push('', `Older activities: list_timeline_activities with company_id ${code(company.companyId)} and the cursor it returns.`);
  return `${lines.join('\n')}\n`;
}

export function ctaMarkdown(c: GetCtaResult): string {
  const lines = [
    `# CTA: ${md(c.name)}`,
    '',
    ...table(
      ['Field', 'Value'],
      [
        ['Id', code(c.ctaId)],
        ['Company', `${md(c.companyName)} (${code(c.companyId)})`],
        ['Type', c.type],
        ['Priority', c.priority],
        ['Status', `${c.status}${c.closedAt ? `, closed ${c.closedAt}` : ''}`],
        ['Owner', code(c.ownerId)],
        ['Due date', c.dueDate ?? '—'],
        ['Success plan', c.successPlanId ? code(c.successPlanId) : '—'],
        ['Relationship', c.relationshipId ? code(c.relationshipId) : '—'],
        ['Created', c.createdAt],
        ['Updated', c.updatedAt],
      ],
    ),
    '',
    `Reason: ${md(c.reason)}`,
    '',
    `Comments: ${md(c.comments)}`,
    '',
    `## Tasks (${c.openTaskCount} of ${c.taskCount} open)`,
    '',
  ];
  if (c.tasks.length === 0) lines.push('None.');
  else
    lines.push(
      ...table(
        ['Task', 'Status', 'Priority', 'Owner', 'Due', 'Id'],
        c.tasks.map((t) => [md(t.title), t.status, t.priority, code(t.ownerId), t.dueDate ?? '—', code(t.taskId)]),
      ),
    );
  return `${lines.join('\n')}\n`;
}

export function successPlanMarkdown(p: GetSuccessPlanResult): string {
  const lines = [
    `# Success plan: ${md(p.name)}`,
    '',
    ...table(
      ['Field', 'Value'],
      [
        ['Id', code(p.successPlanId)],
        ['Company', `${md(p.companyName)} (${code(p.companyId)})`],
        ['Status', `${p.status}${p.closedAt ? `, closed ${p.closedAt}` : ''}`],
        ['Type', md(p.planType)],
        ['Owner', code(p.ownerId)],
        ['Start', p.startDate ?? '—'],
        ['Due', p.dueDate ?? '—'],
        ['Relationship', p.relationshipId ? code(p.relationshipId) : '—'],
      ],
    ),
    '',
    `Description: ${md(p.description)}`,
    '',
    `## Objectives (${p.openObjectiveCount} of ${p.objectiveCount} open)`,
    '',
  ];
  if (p.objectives.length === 0) lines.push('None.');
  else lines.push(...p.objectives.map(ctaLine));
  return `${lines.join('\n')}\n`;
}

export function scorecardMarkdown(s: GetScorecardResult): string {
  const lines = [`# ${md(s.companyName)}: scorecard`, '', `Company id ${code(s.companyId)}.`, ''];
  if (!s.overall) return `${[...lines, 'No scorecard recorded yet.'].join('\n')}\n`;
  const o = s.overall;
  lines.push(
    `Overall **${amount(o.score)} (${o.color})** as of ${o.asOf}${o.previousScore === null ? '' : `, ${o.trend} from ${amount(o.previousScore)}`}.`,
    '',
    `History: ${o.history.map((h) => `${h.asOf} ${amount(h.score)} ${h.color}`).join('; ') || '—'}`,
    '',
    '## Measures',
    '',
  );
  if (s.measures.length === 0) lines.push('None.');
  else
    lines.push(
      ...table(
        ['Measure', 'Score', 'Color', 'Trend', 'As of', 'Comment', 'History (oldest first)'],
        s.measures.map((m) => [
          md(m.name),
          amount(m.score),
          m.color,
          m.trend ?? '—',
          m.asOf,
          md(m.comment),
          m.history.map((h) => amount(h.score)).join(', '),
        ]),
      ),
    );
  return `${lines.join('\n')}\n`;
}
