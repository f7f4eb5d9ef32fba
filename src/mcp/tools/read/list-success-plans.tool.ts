import { ListSuccessPlansQuery, SUCCESS_PLAN_SORTS, type ListSuccessPlansInput } from '../../../customer-success/queries/list-success-plans/list-success-plans.query';
import { SUCCESS_PLAN_STATUSES } from '../../../customer-success/shared/values';
import { camelToSnake, snakeKeys } from '../shared/case';
import { CURSOR, id, idOrIds, LIMIT, ORDER, oneOf, oneOrMoreOf } from '../shared/input-schemas';
import { page, SUCCESS_PLAN } from '../shared/output-schemas';
import { readTool } from '../shared/read-tool';
import { bullet, listText, planLine } from '../shared/render';

const SORTS = SUCCESS_PLAN_SORTS.map(camelToSnake);

export const listSuccessPlansTool = readTool({
  name: 'list_success_plans',
  title: 'List success plans',
  description:
    'List success plans filtered by company, relationship, owner or status (Draft, Active, Completed, Cancelled); returns one page of plans with status, owner, ' +
    'start and due dates and objective counts. get_success_plan gives one plan with its objectives. Default order: due date ascending (none last). ' +
    'Pages of 25 by default (at most 100): pass next_cursor back as cursor for more.',
  args: {
    company_id: { schema: id('Only this company\'s plans.') },
    relationship_id: { schema: id('Only plans of this relationship.') },
    owner_id: { schema: idOrIds('The owning user id, or a list of them.') },
    status: { schema: oneOrMoreOf(SUCCESS_PLAN_STATUSES, 'Status.') },
    sort: { schema: oneOf(SORTS, 'Sort by; default due_date (ascending, none last); created_at and updated_at default to newest first, name to A-Z.'), values: SORTS },
    order: { schema: ORDER },
    limit: { schema: LIMIT },
    cursor: { schema: CURSOR },
  },
  outputSchema: page(SUCCESS_PLAN, 'Success plans'),
  query: (viewer, input: ListSuccessPlansInput) => new ListSuccessPlansQuery(viewer, input),
  structured: (r) => ({ items: snakeKeys(r.items), next_cursor: r.nextCursor }),
  text: (r) => listText(r.items.length, 'success plan', r.nextCursor, r.items.map((s) => bullet(planLine(s))), 'No success plans match.'),
});
