import { check, context, request } from '../policy-spec.helpers';
import { recordExists } from './record-exists.rule';

describe('rule record-exists (CTA_NOT_FOUND, SUCCESS_PLAN_NOT_FOUND, TIMELINE_ACTIVITY_NOT_FOUND)', () => {
  it('refuses to update a CTA that does not exist', async () => {
    await expect(check(recordExists, request({ operation: 'update', entity: 'cta', entityId: 'cta-x' }), context())).resolves.toEqual({
      code: 'CTA_NOT_FOUND',
      message: 'There is no CTA with id cta-x; check the id (list_ctas finds CTAs by company)',
    });
  });

  it('refuses a task on a CTA that does not exist, or without a CTA id', async () => {
    await expect(check(recordExists, request({ entity: 'cta_task', ctaId: 'cta-x' }), context())).resolves.toEqual({
      code: 'CTA_NOT_FOUND',
      message: 'There is no CTA with id cta-x; check the id (list_ctas finds CTAs by company)',
    });
    await expect(check(recordExists, request({ entity: 'cta_task' }), context())).resolves.toEqual({
      code: 'CTA_NOT_FOUND',
      message: 'No CTA id was given; give the id of the CTA (list_ctas finds CTAs by company)',
    });
  });

  it('refuses to update a success plan that does not exist', async () => {
    await expect(check(recordExists, request({ operation: 'update', entity: 'success_plan', entityId: 'plan-x' }), context())).resolves.toEqual({
      code: 'SUCCESS_PLAN_NOT_FOUND',
      message: 'There is no success plan with id plan-x; check the id (list_success_plans finds plans by company)',
    });
    await expect(check(recordExists, request({ operation: 'update', entity: 'success_plan' }), context())).resolves.toEqual({
      code: 'SUCCESS_PLAN_NOT_FOUND',
      message: 'No success plan id was given; give the id of the plan (list_success_plans finds plans by company)',
    });
  });

  it('refuses to update a timeline activity that does not exist', async () => {
    await expect(check(recordExists, request({ operation: 'update', entity: 'timeline_activity', entityId: 'act-x' }), context())).resolves.toEqual({
      code: 'TIMELINE_ACTIVITY_NOT_FOUND',
      message: 'There is no timeline activity with id act-x; check the id (list_timeline_activities finds activities by company)',
    });
    await expect(check(recordExists, request({ operation: 'update', entity: 'timeline_activity' }), context())).resolves.toEqual({
      code: 'TIMELINE_ACTIVITY_NOT_FOUND',
      message: 'No timeline activity id was given; give the id of the activity (list_timeline_activities finds activities by company)',
    });
  });

  it('lets through updates of existing records, tasks on existing CTAs, and creates', async () => {
    await expect(check(recordExists, request({ operation: 'update', entity: 'cta', entityId: 'cta-open' }), context())).resolves.toBeNull();
    await expect(check(recordExists, request({ entity: 'cta_task', ctaId: 'cta-closed' }), context())).resolves.toBeNull();
    await expect(check(recordExists, request({ operation: 'update', entity: 'success_plan', entityId: 'plan-acme' }), context())).resolves.toBeNull();
    await expect(check(recordExists, request({ operation: 'update', entity: 'timeline_activity', entityId: 'act-acme' }), context())).resolves.toBeNull();
    await expect(check(recordExists, request(), context())).resolves.toBeNull();
  });
});
