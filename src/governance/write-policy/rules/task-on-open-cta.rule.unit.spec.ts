import { check, context, request } from '../policy-spec.helpers';
import { taskOnOpenCta } from './task-on-open-cta.rule';

const task = (ctaId: string) => request({ toolName: 'create_cta_task', entity: 'cta_task', ctaId, companyId: undefined });

describe('rule task-on-open-cta (TASK_ON_CLOSED_CTA)', () => {
  it('refuses a task on a closed CTA', async () => {
    await expect(check(taskOnOpenCta, task('cta-closed'), context())).resolves.toEqual({
      code: 'TASK_ON_CLOSED_CTA',
      message: 'CTA cta-closed is closed (ClosedLost); tasks can be added only to an open CTA (New or WorkInProgress)',
    });
  });

  it('lets a task on an open CTA through', async () => {
    await expect(check(taskOnOpenCta, task('cta-open'), context())).resolves.toBeNull();
  });
});
