import { check, context, request } from '../policy-spec.helpers';
import { supportedOperation } from './supported-operation.rule';

const TOOLS = 'create_cta, update_cta, create_cta_task, create_success_plan, update_success_plan, create_timeline_activity, update_timeline_activity';

describe('rule supported-operation (OPERATION_NOT_SUPPORTED)', () => {
  it('refuses changing a CTA task: MCP only creates tasks', async () => {
    await expect(check(supportedOperation, request({ operation: 'update', entity: 'cta_task', entityId: 't-1' }), context())).resolves.toEqual({
      code: 'OPERATION_NOT_SUPPORTED',
      message: `Changing a CTA task is not supported through MCP; the MCP writes are ${TOOLS}`,
    });
  });

  it.each([
    ['create', 'cta'],
    ['update', 'cta'],
    ['create', 'cta_task'],
    ['create', 'success_plan'],
    ['update', 'success_plan'],
    ['create', 'timeline_activity'],
    ['update', 'timeline_activity'],
  ] as const)('lets %s %s through', async (operation, entity) => {
    await expect(check(supportedOperation, request({ operation, entity }), context())).resolves.toBeNull();
  });
});
