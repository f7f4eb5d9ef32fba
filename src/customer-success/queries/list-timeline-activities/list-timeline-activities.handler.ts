import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { TIMELINE_ACTIVITY_TYPES, TIMELINE_CONTEXT_KINDS } from '../../shared/values';
import { enumList, inputObject, instantBound, optionalEnum, optionalIdInput } from '../shared/input';
import { Keyset, pageLimit, type ResolvedSort } from '../shared/pagination';
import { invalidQuery, QueryError } from '../shared/query-error';
import { ReadModelReader } from '../shared/read-model-reader';
import { checkViewer, ownerCondition } from '../shared/viewer';
import { ACTIVITY_COLUMNS, ACTIVITY_FROM, toActivityView, type ActivityRow } from '../shared/views';
import { Where } from '../shared/where';
import { ListTimelineActivitiesQuery, type ListTimelineActivitiesResult } from './list-timeline-activities.query';

const FIELDS = ['companyId', 'contextKind', 'contextId', 'type', 'authorId', 'from', 'to', 'limit', 'cursor', 'after'];

const NEWEST_FIRST: ResolvedSort = { name: 'occurredAt', column: 'a.occurred_at', kind: 'text', nullable: false, defaultDirection: 'desc', direction: 'desc' };

@QueryHandler(ListTimelineActivitiesQuery)
export class ListTimelineActivitiesHandler implements IQueryHandler<ListTimelineActivitiesQuery> {
  constructor(private readonly reader: ReadModelReader) {}

  async execute(query: ListTimelineActivitiesQuery): Promise<ListTimelineActivitiesResult> {
    const viewer = checkViewer(query.viewer);
    const input = inputObject(query.input, FIELDS);
    const contextKind = optionalEnum('contextKind', input.contextKind, TIMELINE_CONTEXT_KINDS);
    const contextId = optionalIdInput('contextId', input.contextId);
    if (contextId !== null && contextKind === null)
      throw invalidQuery('contextKind', `is required with contextId: one of ${TIMELINE_CONTEXT_KINDS.join(', ')}`);
    const from = instantBound('from', input.from, 'from');
    const to = instantBound('to', input.to, 'to');
    if (from && to && (to.exclusive ? from.iso >= to.iso : from.iso > to.iso))
      throw new QueryError('INVALID_QUERY', `from (${String(input.from)}) must not be after to (${String(input.to)})`, { field: 'from' });
    const limit = pageLimit(input.limit);
    const keyset = new Keyset('timeline', NEWEST_FIRST, 'a.activity_id');

    const where = new Where()
      .add(ownerCondition(viewer, 'c.owner_id'))
      .compare('a.company_id', '=', optionalIdInput('companyId', input.companyId))
      .compare('a.context_kind', '=', contextKind)
      .compare('a.context_id', '=', contextId)
      .in('a.type', enumList('type', input.type, TIMELINE_ACTIVITY_TYPES))
      .compare('a.author_id', '=', optionalIdInput('authorId', input.authorId))
      .compare('a.occurred_at', '>=', from?.iso)
      .compare('a.occurred_at', to?.exclusive ? '<' : '<=', to?.iso)
      .add(keyset.after(input.cursor));

    const db = await this.reader.ready(input.after);
    const rows = await db.all<ActivityRow>(
      `SELECT ${ACTIVITY_COLUMNS} FROM ${ACTIVITY_FROM} ${where.toSql()} ORDER BY ${keyset.orderBy()} LIMIT ?`,
      [...where.params, limit + 1],
    );
    return keyset.page(rows, limit, (r) => ({ value: r.occurred_at, id: r.activity_id }), toActivityView);
  }
}
