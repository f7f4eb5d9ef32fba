import { CTA_SORTS, ListCtasQuery, type ListCtasInput } from '../../../customer-success/queries/list-ctas/list-ctas.query';
import { CTA_STATUSES, CTA_TYPES, PRIORITIES } from '../../../customer-success/shared/values';
import { camelToSnake, snakeKeys } from '../shared/case';
import { boolean, CURSOR, date, id, idOrIds, LIMIT, ORDER, oneOf, oneOrMoreOf } from '../shared/input-schemas';
import { CTA, page } from '../shared/output-schemas';
import { readTool } from '../shared/read-tool';
import { bullet, ctaLine, listText } from '../shared/render';

const SORTS = CTA_SORTS.map(camelToSnake);

export const listCtasTool = readTool({
  name: 'list_ctas',
  title: 'List CTAs',
  description:
    'List CTAs (calls to action: Risk, Expansion, Renewal, Lifecycle, Activity, Objective) filtered by company, relationship, success plan, owner, status, type, priority or due date window; ' +
    'returns one page of CTAs with company name, priority, status, owner, due date, reason and task counts. ' +
    'Use it for "my open risk CTAs", "what is due this month"; get_cta gives one CTA with its tasks; analyze_accounts counts or groups CTAs across the book. ' +
    'Filters combine with AND; a list value means any of. Default order: due date ascending (no due date last). ' +
    'Pages of 25 by default (at most 100): pass next_cursor back as cursor for more.',
  args: {
    company_id: { schema: id('Only this company\'s CTAs.') },
    relationship_id: { schema: id('Only CTAs of this relationship.') },
    success_plan_id: { schema: id('Only the objectives of this success plan.') },
    owner_id: { schema: idOrIds('The owning user id, or a list of them.') },
    status: { schema: oneOrMoreOf(CTA_STATUSES, 'Status.') },
    type: { schema: oneOrMoreOf(CTA_TYPES, 'CTA type.') },
    priority: { schema: oneOrMoreOf(PRIORITIES, 'Priority.') },
    due_from: { schema: date('Due on or after this day; CTAs without a due date are left out') },
    due_to: { schema: date('Due on or before this day; CTAs without a due date are left out') },
    open_only: { schema: boolean('true: only open CTAs (status New or WorkInProgress). Default false.') },
    sort: { schema: oneOf(SORTS, 'Sort by; default due_date (ascending, no due date last); created_at and updated_at default to newest first.'), values: SORTS },
    order: { schema: ORDER },
    limit: { schema: LIMIT },
    cursor: { schema: CURSOR },
  },
  outputSchema: page(CTA, 'CTAs'),
  query: (viewer, input: ListCtasInput) => new ListCtasQuery(viewer, input),
  structured: (r) => ({ items: snakeKeys(r.items), next_cursor: r.nextCursor }),
  text: (r) => listText(r.items.length, 'CTA', r.nextCursor, r.items.map((t) => bullet(ctaLine(t))), 'No CTAs match.'),
});
