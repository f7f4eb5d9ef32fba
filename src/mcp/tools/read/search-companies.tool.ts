import { LIFECYCLE_STAGES, SEGMENTS } from '../../../customer-success/companies/company.events';
import { MAX_TEXT } from '../../../customer-success/queries/shared/input';
import { COMPANY_SORTS, SearchCompaniesQuery, type SearchCompaniesInput } from '../../../customer-success/queries/search-companies/search-companies.query';
import { HEALTH_COLORS } from '../../../customer-success/scorecards/scorecard.events';
import { camelToSnake, snakeKeys } from '../shared/case';
import { CURSOR, date, idOrIds, LIMIT, number, ORDER, oneOf, oneOrMoreOf, searchText } from '../shared/input-schemas';
import { COMPANY, page } from '../shared/output-schemas';
import { readTool } from '../shared/read-tool';
import { bullet, companyLine, listText } from '../shared/render';

const SORTS = COMPANY_SORTS.map(camelToSnake);

export const searchCompaniesTool = readTool({
  name: 'search_companies',
  title: 'Search companies',
  description:
    'Find companies (accounts) by part of their name, segment, lifecycle stage, owner, renewal date window, ARR range or health; ' +
    'returns one page of company profiles with ARR, renewal date, owner, health score/color and counters (open CTAs, active plans, activities). ' +
    'Use it to find the company_id the other tools need, or to list accounts matching simple criteria. ' +
    'For a full briefing on one account use get_account_summary; for totals, grouping or ranking across the book use analyze_accounts. ' +
    'Filters combine with AND; a list value means any of. Pages of 25 by default (at most 100): pass next_cursor back as cursor for more. ' +
    'Read-only: company data cannot be changed through MCP (an admin imports it).',
  args: {
    text: { schema: searchText(`Part of the company name, any case (at most ${MAX_TEXT} characters).`) },
    segment: { schema: oneOrMoreOf(SEGMENTS, 'Segment.') },
    lifecycle_stage: { schema: oneOrMoreOf(LIFECYCLE_STAGES, 'Lifecycle stage.') },
    owner_id: { schema: idOrIds('The owning user id (CSM), or a list of them.') },
    renewal_from: { schema: date('Renewal date on or after this day') },
    renewal_to: { schema: date('Renewal date on or before this day') },
    arr_min: { schema: number(0, Number.MAX_SAFE_INTEGER, 'Minimum ARR, inclusive.') },
    arr_max: { schema: number(0, Number.MAX_SAFE_INTEGER, 'Maximum ARR, inclusive.') },
    health_score_min: { schema: number(0, 100, 'Minimum overall health score (0-100), inclusive. Companies without a score are left out.') },
    health_score_max: { schema: number(0, 100, 'Maximum overall health score (0-100), inclusive. Companies without a score are left out.') },
    health_color: { schema: oneOrMoreOf(HEALTH_COLORS, 'Overall health color.') },
    sort: {
      schema: oneOf(SORTS, 'Sort by; default name (A-Z). arr, open_cta_count, last_activity_at and updated_at default to descending.'),
      values: SORTS,
    },
    order: { schema: ORDER },
    limit: { schema: LIMIT },
    cursor: { schema: CURSOR },
  },
  outputSchema: page(COMPANY, 'Companies'),
  query: (viewer, input: SearchCompaniesInput) => new SearchCompaniesQuery(viewer, input),
  structured: (r) => ({ items: snakeKeys(r.items), next_cursor: r.nextCursor }),
  text: (r) =>
    listText(r.items.length, ['company', 'companies'], r.nextCursor, r.items.map((c) => bullet(companyLine(c))), 'No companies match (you see only the companies you have access to).'),
});
