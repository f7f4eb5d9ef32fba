import { check, admin, context, request } from '../policy-spec.helpers';
import { noDeletes } from './no-deletes.rule';

describe('rule no-deletes (NO_DELETES)', () => {
  it.each([
    ['cta', 'Deleting records is not supported through MCP: a CTA cannot be deleted. To retire a CTA, close it with update_cta (status ClosedInvalid if it was created by mistake).'],
    ['cta_task', 'Deleting records is not supported through MCP: a CTA task cannot be deleted. Tasks stay with their CTA; close the CTA with update_cta when the work is done.'],
    ['success_plan', 'Deleting records is not supported through MCP: a success plan cannot be deleted. To retire a success plan, set its status to Cancelled with update_success_plan.'],
    ['timeline_activity', 'Deleting records is not supported through MCP: a timeline activity cannot be deleted. To correct a timeline activity, change it with update_timeline_activity.'],
    ['company', 'Deleting records is not supported through MCP: a company cannot be deleted. An admin manages these records outside MCP.'],
    ['scorecard', 'Deleting records is not supported through MCP: a scorecard cannot be deleted. An admin manages these records outside MCP.'],
  ] as const)('refuses deleting a %s, even for an admin', async (entity, message) => {
    await expect(check(noDeletes, request({ operation: 'delete', entity, entityId: 'x', caller: admin }), context())).resolves.toEqual({
      code: 'NO_DELETES',
      message,
    });
  });

  it('lets creates and updates through', async () => {
    await expect(check(noDeletes, request(), context())).resolves.toBeNull();
    await expect(check(noDeletes, request({ operation: 'update', entityId: 'cta-open' }), context())).resolves.toBeNull();
  });
});
