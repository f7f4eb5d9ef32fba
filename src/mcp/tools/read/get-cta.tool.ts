import { GetCtaQuery, type GetCtaInput } from '../../../customer-success/queries/get-cta/get-cta.query';
import { snakeObject } from '../shared/case';
import { id } from '../shared/input-schemas';
import { CTA_WITH_TASKS } from '../shared/output-schemas';
import { readTool } from '../shared/read-tool';
import { bullet, clip, ctaLine, taskLine } from '../shared/render';

export const getCtaTool = readTool({
  name: 'get_cta',
  title: 'Get a CTA with its tasks',
  description:
    'One CTA (call to action) with all its fields (type, priority, status, owner, due date, reason, comments, company, relationship, success plan) and its tasks, oldest first. ' +
    'Use it before update_cta or create_cta_task to see the current state; find CTA ids with list_ctas or get_account_summary.',
  args: { cta_id: { schema: id('The CTA id (from list_ctas or get_account_summary).'), required: true } },
  outputSchema: CTA_WITH_TASKS,
  query: (viewer, input: GetCtaInput) => new GetCtaQuery(viewer, input),
  structured: (r) => snakeObject(r),
  text: (r) =>
    [
      ctaLine(r),
      `Owner ${r.ownerId}${r.reason ? `; reason: ${clip(r.reason)}` : ''}${r.comments ? `; comments: ${clip(r.comments)}` : ''}`,
      r.tasks.length === 0 ? 'No tasks.' : `Tasks (${r.openTaskCount} of ${r.taskCount} open):`,
      ...r.tasks.map((k) => bullet(taskLine(k))),
    ].join('\n'),
});
