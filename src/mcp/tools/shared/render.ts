import type { CompanyView, CtaTaskView, CtaView, SuccessPlanView, TimelineActivityView } from '../../../customer-success/queries/shared/views';

/**
 * Short text renderings for people (and for clients that show the model only text): one line per
 * record, ids in brackets so the next call can use them.
 */

const MAX_NOTE = 120;

export function money(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function clip(text: string, max = MAX_NOTE): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** "3 CTAs (more: next_cursor …)" then the lines. */
export function listText(count: number, noun: string | readonly [string, string], nextCursor: string | null, lines: string[], empty: string): string {
  if (count === 0) return empty;
  const [one, many] = typeof noun === 'string' ? [noun, `${noun}s`] : noun;
  const head = `${plural(count, one, many)}${nextCursor ? ` (more: next_cursor ${nextCursor})` : ''}`;
  return [head, ...lines].join('\n');
}

export function companyLine(c: CompanyView): string {
  const facts = [
    c.segment,
    c.lifecycleStage,
    `ARR ${money(c.arr)}`,
    c.renewalDate ? `renews ${c.renewalDate}` : null,
    c.healthScore !== null ? `health ${c.healthScore}${c.healthColor ? ` ${c.healthColor}` : ''}` : 'no health score',
    c.openCtaCount > 0 ? plural(c.openCtaCount, 'open CTA') : null,
    (c.ownerName ?? c.ownerId) ? `owner ${c.ownerName ?? c.ownerId}` : null,
  ].filter((f): f is string => f !== null);
  return `${c.name} [${c.companyId}] — ${facts.join(', ')}`;
}

export function ctaLine(t: CtaView & { isOverdue?: boolean }): string {
  const when = t.dueDate ? `due ${t.dueDate}${t.isOverdue ? ', OVERDUE' : ''}` : 'no due date';
  return `[${t.priority}] ${t.name} — ${t.companyName ?? t.companyId} (${t.type}, ${when}, ${t.status}) [${t.ctaId}]`;
}

export function taskLine(k: CtaTaskView): string {
  return `${k.title} (${k.status}, ${k.priority}${k.dueDate ? `, due ${k.dueDate}` : ''}, owner ${k.ownerId}) [${k.taskId}]`;
}

export function planLine(s: SuccessPlanView): string {
  const when = s.dueDate ? `due ${s.dueDate}` : 'no due date';
  return `${s.name} — ${s.companyName ?? s.companyId} (${s.status}, ${when}, ${s.openObjectiveCount}/${s.objectiveCount} objectives open) [${s.successPlanId}]`;
}

export function activityLine(a: TimelineActivityView): string {
  const where = a.context.kind === 'company' ? '' : ` on ${a.context.kind} ${a.context.id}`;
  const notes = a.notes ? `: ${clip(a.notes, 80)}` : '';
  return `${a.occurredAt.slice(0, 10)} ${a.type}: ${a.subject} — ${a.companyName ?? a.companyId}${where}${notes} [${a.activityId}]`;
}

export const bullet = (line: string) => `- ${line}`;
