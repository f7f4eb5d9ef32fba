import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { CTA_STATUSES, CTA_TYPES, PRIORITIES } from '../../shared/values';
import { enumList, idList, inputObject, optionalBooleanInput, optionalDate, optionalIdInput, orderedRange } from '../shared/input';
import { Keyset, pageLimit, resolveSort, type SortSpec } from '../shared/pagination';
import { ReadModelReader } from '../shared/read-model-reader';
import { checkViewer, ownerCondition } from '../shared/viewer';
import { CTA_COLUMNS, CTA_FROM, toCtaView, type CtaRow } from '../shared/views';
import { Where } from '../shared/where';
import { type CtaSort, ListCtasQuery, type ListCtasResult } from './list-ctas.query';

const FIELDS = [
  'companyId', 'relationshipId', 'successPlanId', 'ownerId', 'status', 'type', 'priority', 'dueFrom', 'dueTo', 'openOnly', 'sort', 'order',
  'limit', 'cursor', 'after',
];

const SORTS: Record<CtaSort, SortSpec> = {
  dueDate: { column: 't.due_date', kind: 'text', nullable: true, defaultDirection: 'asc' },
  createdAt: { column: 't.created_at', kind: 'text', nullable: false, defaultDirection: 'desc' },
  updatedAt: { column: 't.updated_at', kind: 'text', nullable: false, defaultDirection: 'desc' },
};
const SORT_VALUE: Record<CtaSort, (r: CtaRow) => string | null> = {
  dueDate: (r) => r.due_date,
  createdAt: (r) => r.created_at,
  updatedAt: (r) => r.updated_at,
};

@QueryHandler(ListCtasQuery)
export class ListCtasHandler implements IQueryHandler<ListCtasQuery> {
  constructor(private readonly reader: ReadModelReader) {}

  async execute(query: ListCtasQuery): Promise<ListCtasResult> {
    const viewer = checkViewer(query.viewer);
    const input = inputObject(query.input, FIELDS);
    const dueFrom = optionalDate('dueFrom', input.dueFrom);
    const dueTo = optionalDate('dueTo', input.dueTo);
    orderedRange('dueFrom', dueFrom, 'dueTo', dueTo);
    const limit = pageLimit(input.limit);
    const sort = resolveSort(SORTS, 'dueDate', input.sort, input.order);
    const keyset = new Keyset('ctas', sort, 't.cta_id');

    const where = new Where()
      .add(ownerCondition(viewer, 'c.owner_id'))
      .compare('t.company_id', '=', optionalIdInput('companyId', input.companyId))
      .compare('t.relationship_id', '=', optionalIdInput('relationshipId', input.relationshipId))
      .compare('t.success_plan_id', '=', optionalIdInput('successPlanId', input.successPlanId))
      .in('t.owner_id', idList('ownerId', input.ownerId))
      .in('t.status', enumList('status', input.status, CTA_STATUSES))
      .in('t.type', enumList('type', input.type, CTA_TYPES))
      .in('t.priority', enumList('priority', input.priority, PRIORITIES))
      .compare('t.due_date', '>=', dueFrom)
      .compare('t.due_date', '<=', dueTo)
      .add(optionalBooleanInput('openOnly', input.openOnly) ? 't.is_open = 1' : null)
      .add(keyset.after(input.cursor));

    const db = await this.reader.ready(input.after);
    const rows = await db.all<CtaRow>(`SELECT ${CTA_COLUMNS} FROM ${CTA_FROM} ${where.toSql()} ORDER BY ${keyset.orderBy()} LIMIT ?`, [
      ...where.params,
      limit + 1,
    ]);
    const valueOf = SORT_VALUE[sort.name as CtaSort];
    return keyset.page(rows, limit, (r) => ({ value: valueOf(r), id: r.cta_id }), toCtaView);
  }
}
