import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { LIFECYCLE_STAGES, SEGMENTS } from '../../companies/company.events';
import { HEALTH_COLORS } from '../../scorecards/scorecard.events';
import {
  enumList,
  idList,
  inputObject,
  optionalDate,
  optionalNumber,
  optionalSearchText,
  orderedRange,
} from '../shared/input';
import { Keyset, pageLimit, resolveSort, type SortSpec } from '../shared/pagination';
import { ReadModelReader } from '../shared/read-model-reader';
import { checkViewer, ownerCondition } from '../shared/viewer';
import { COMPANY_COLUMNS, COMPANY_FROM, toCompanyView, type CompanyRow } from '../shared/views';
import { containsPattern, Where } from '../shared/where';
import { type CompanySort, SearchCompaniesQuery, type SearchCompaniesResult } from './search-companies.query';

const FIELDS = [
  'text', 'segment', 'lifecycleStage', 'ownerId', 'renewalFrom', 'renewalTo', 'arrMin', 'arrMax', 'healthScoreMin', 'healthScoreMax',
  'healthColor', 'sort', 'order', 'limit', 'cursor', 'after',
];

const SORTS: Record<CompanySort, SortSpec> = {
  name: { column: 'c.name_lower', kind: 'text', nullable: false, defaultDirection: 'asc' },
  arr: { column: 'c.arr', kind: 'number', nullable: false, defaultDirection: 'desc' },
  renewalDate: { column: 'c.renewal_date', kind: 'text', nullable: true, defaultDirection: 'asc' },
  healthScore: { column: 'c.health_score', kind: 'number', nullable: true, defaultDirection: 'asc' },
  lastActivityAt: { column: 'c.last_activity_at', kind: 'text', nullable: true, defaultDirection: 'desc' },
  openCtaCount: { column: 'c.open_cta_count', kind: 'number', nullable: false, defaultDirection: 'desc' },
  updatedAt: { column: 'c.updated_at', kind: 'text', nullable: false, defaultDirection: 'desc' },
};

const SORT_VALUE: Record<CompanySort, (r: CompanyRow & { name_lower: string }) => string | number | null> = {
  name: (r) => r.name_lower,
  arr: (r) => Number(r.arr),
  renewalDate: (r) => r.renewal_date,
  healthScore: (r) => (r.health_score === null ? null : Number(r.health_score)),
  lastActivityAt: (r) => r.last_activity_at,
  openCtaCount: (r) => Number(r.open_cta_count),
  updatedAt: (r) => r.updated_at,
};

const MONEY = { min: 0, max: Number.MAX_SAFE_INTEGER };
const SCORE = { min: 0, max: 100 };

@QueryHandler(SearchCompaniesQuery)
export class SearchCompaniesHandler implements IQueryHandler<SearchCompaniesQuery> {
  constructor(private readonly reader: ReadModelReader) {}

  async execute(query: SearchCompaniesQuery): Promise<SearchCompaniesResult> {
    const viewer = checkViewer(query.viewer);
    const input = inputObject(query.input, FIELDS);
    const text = optionalSearchText('text', input.text);
    const renewalFrom = optionalDate('renewalFrom', input.renewalFrom);
    const renewalTo = optionalDate('renewalTo', input.renewalTo);
    const arrMin = optionalNumber('arrMin', input.arrMin, MONEY);
    const arrMax = optionalNumber('arrMax', input.arrMax, MONEY);
    const healthMin = optionalNumber('healthScoreMin', input.healthScoreMin, SCORE);
    const healthMax = optionalNumber('healthScoreMax', input.healthScoreMax, SCORE);
    orderedRange('renewalFrom', renewalFrom, 'renewalTo', renewalTo);
    orderedRange('arrMin', arrMin, 'arrMax', arrMax);
    orderedRange('healthScoreMin', healthMin, 'healthScoreMax', healthMax);
    const limit = pageLimit(input.limit);
    const sort = resolveSort(SORTS, 'name', input.sort, input.order);
    const keyset = new Keyset('companies', sort, 'c.company_id');

    const where = new Where()
      .add(ownerCondition(viewer, 'c.owner_id'))
      .add(text === null ? null : { sql: "c.name_lower LIKE ? ESCAPE '\\'", params: [containsPattern(text.toLowerCase())] })
      .in('c.segment', enumList('segment', input.segment, SEGMENTS))
      .in('c.lifecycle_stage', enumList('lifecycleStage', input.lifecycleStage, LIFECYCLE_STAGES))
      .in('c.owner_id', idList('ownerId', input.ownerId))
      .in('c.health_color', enumList('healthColor', input.healthColor, HEALTH_COLORS))
      .compare('c.renewal_date', '>=', renewalFrom)
      .compare('c.renewal_date', '<=', renewalTo)
      .compare('c.arr', '>=', arrMin)
      .compare('c.arr', '<=', arrMax)
      .compare('c.health_score', '>=', healthMin)
      .compare('c.health_score', '<=', healthMax)
      .add(keyset.after(input.cursor));

    const db = await this.reader.ready(input.after);
    const rows = await db.all<CompanyRow & { name_lower: string }>(
      `SELECT ${COMPANY_COLUMNS}, c.name_lower FROM ${COMPANY_FROM} ${where.toSql()} ORDER BY ${keyset.orderBy()} LIMIT ?`,
      [...where.params, limit + 1],
    );
    const valueOf = SORT_VALUE[sort.name as CompanySort];
    return keyset.page(rows, limit, (r) => ({ value: valueOf(r), id: r.company_id }), toCompanyView);
  }
}
