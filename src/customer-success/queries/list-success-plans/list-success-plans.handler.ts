import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { SUCCESS_PLAN_STATUSES } from '../../shared/values';
import { enumList, idList, inputObject, optionalIdInput } from '../shared/input';
import { Keyset, pageLimit, resolveSort, type SortSpec } from '../shared/pagination';
import { ReadModelReader } from '../shared/read-model-reader';
import { checkViewer, ownerCondition } from '../shared/viewer';
import { PLAN_COLUMNS, PLAN_FROM, toPlanView, type PlanRow } from '../shared/views';
import { Where } from '../shared/where';
import { ListSuccessPlansQuery, type ListSuccessPlansResult, type SuccessPlanSort } from './list-success-plans.query';

const FIELDS = ['companyId', 'relationshipId', 'ownerId', 'status', 'sort', 'order', 'limit', 'cursor', 'after'];

const SORTS: Record<SuccessPlanSort, SortSpec> = {
  dueDate: { column: 's.due_date', kind: 'text', nullable: true, defaultDirection: 'asc' },
  createdAt: { column: 's.created_at', kind: 'text', nullable: false, defaultDirection: 'desc' },
  updatedAt: { column: 's.updated_at', kind: 'text', nullable: false, defaultDirection: 'desc' },
  name: { column: 's.name', kind: 'text', nullable: false, defaultDirection: 'asc' },
};
const SORT_VALUE: Record<SuccessPlanSort, (r: PlanRow) => string | null> = {
  dueDate: (r) => r.due_date,
  createdAt: (r) => r.created_at,
  updatedAt: (r) => r.updated_at,
  name: (r) => r.name,
};

@QueryHandler(ListSuccessPlansQuery)
export class ListSuccessPlansHandler implements IQueryHandler<ListSuccessPlansQuery> {
  constructor(private readonly reader: ReadModelReader) {}

  async execute(query: ListSuccessPlansQuery): Promise<ListSuccessPlansResult> {
    const viewer = checkViewer(query.viewer);
    const input = inputObject(query.input, FIELDS);
    const limit = pageLimit(input.limit);
    const sort = resolveSort(SORTS, 'dueDate', input.sort, input.order);
    const keyset = new Keyset('success_plans', sort, 's.success_plan_id');

    const where = new Where()
      .add(ownerCondition(viewer, 'c.owner_id'))
      .compare('s.company_id', '=', optionalIdInput('companyId', input.companyId))
      .compare('s.relationship_id', '=', optionalIdInput('relationshipId', input.relationshipId))
      .in('s.owner_id', idList('ownerId', input.ownerId))
      .in('s.status', enumList('status', input.status, SUCCESS_PLAN_STATUSES))
      .add(keyset.after(input.cursor));

    const db = await this.reader.ready(input.after);
    const rows = await db.all<PlanRow>(`SELECT ${PLAN_COLUMNS} FROM ${PLAN_FROM} ${where.toSql()} ORDER BY ${keyset.orderBy()} LIMIT ?`, [
      ...where.params,
      limit + 1,
    ]);
    const valueOf = SORT_VALUE[sort.name as SuccessPlanSort];
    return keyset.page(rows, limit, (r) => ({ value: valueOf(r), id: r.success_plan_id }), toPlanView);
  }
}
