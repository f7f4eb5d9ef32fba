import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { inputObject, requiredIdInput } from '../shared/input';
import { notFound } from '../shared/query-error';
import { ReadModelReader } from '../shared/read-model-reader';
import { canSeeOwner, checkViewer } from '../shared/viewer';
import { CTA_COLUMNS, CTA_FROM, TASK_COLUMNS, toCtaView, toTaskView, type CtaRow, type TaskRow } from '../shared/views';
import { GetCtaQuery, type GetCtaResult } from './get-cta.query';

export const CTA_HINT = 'list_ctas finds CTAs by company, owner, status, type or due date';

@QueryHandler(GetCtaQuery)
export class GetCtaHandler implements IQueryHandler<GetCtaQuery> {
  constructor(private readonly reader: ReadModelReader) {}

  async execute(query: GetCtaQuery): Promise<GetCtaResult> {
    const viewer = checkViewer(query.viewer);
    const input = inputObject(query.input, ['ctaId', 'after']);
    const ctaId = requiredIdInput('ctaId', input.ctaId);
    const db = await this.reader.ready(input.after);
    const row = await db.get<CtaRow & { company_owner_id: string | null }>(
      `SELECT ${CTA_COLUMNS}, c.owner_id AS company_owner_id FROM ${CTA_FROM} WHERE t.cta_id = ?`,
      [ctaId],
    );
    if (!row || !canSeeOwner(viewer, row.company_owner_id)) throw notFound('CTA', ctaId, CTA_HINT);
    const tasks = await db.all<TaskRow>(`SELECT ${TASK_COLUMNS} FROM cs_cta_tasks k WHERE k.cta_id = ? ORDER BY k.created_at, k.task_id`, [ctaId]);
    return { ...toCtaView(row), tasks: tasks.map(toTaskView) };
  }
}
