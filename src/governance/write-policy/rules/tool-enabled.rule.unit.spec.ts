import { check, admin, context, csm, machineClient, request, viewer, withConfig } from '../policy-spec.helpers';
import { toolEnabled } from './tool-enabled.rule';

describe('rule tool-enabled (TOOL_DISABLED)', () => {
  it('lets through the tools PRODUCT.md lists, for admin and csm, by default', async () => {
    await expect(check(toolEnabled, request({ caller: csm }), context())).resolves.toBeNull();
    await expect(check(toolEnabled, request({ caller: admin, operation: 'update', entity: 'success_plan' }), context())).resolves.toBeNull();
  });

  it('refuses a tool switched off for the caller’s role', async () => {
    const config = withConfig((c) => ({ roles: { ...c.roles, csm: { ...c.roles.csm, update_cta: false } } }));
    await expect(check(toolEnabled, request({ operation: 'update', entity: 'cta', entityId: 'cta-open' }), context(config))).resolves.toEqual({
      code: 'TOOL_DISABLED',
      message: 'The write tool update_cta is switched off for your role (csm) by the write policy; ask an admin to switch it on',
    });
  });

  it('refuses a tool switched off for the caller’s integration', async () => {
    const config = withConfig(() => ({ integrations: { claude: { create_cta: false } } }));
    await expect(check(toolEnabled, request(), context(config))).resolves.toEqual({
      code: 'TOOL_DISABLED',
      message:
        'The write tool create_cta is switched off for this integration (claude) by the write policy; ask an admin to switch it on, or use another connector',
    });
  });

  it('an integration switch affects only that integration and only that tool', async () => {
    const config = withConfig(() => ({ integrations: { claude: { create_cta: false } } }));
    await expect(check(toolEnabled, request({ caller: admin }), context(config))).resolves.toBeNull();
    await expect(check(toolEnabled, request({ entity: 'success_plan' }), context(config))).resolves.toBeNull();
    await expect(check(toolEnabled, request({ caller: { ...csm, integrationId: null } }), context(config))).resolves.toBeNull();
  });

  it('an integration cannot switch on a tool the role may not use', async () => {
    const config = withConfig(() => ({ integrations: { claude: { create_cta: true } } }));
    await expect(check(toolEnabled, request({ caller: viewer }), context(config))).resolves.toMatchObject({
      code: 'TOOL_DISABLED',
      message: 'The write tool create_cta is switched off for your role (viewer) by the write policy; ask an admin to switch it on',
    });
  });

  it("holds a machine client to the csm role's switches and to its own integration's", async () => {
    await expect(check(toolEnabled, request({ caller: machineClient }), context())).resolves.toBeNull();
    const roleOff = withConfig((c) => ({ roles: { ...c.roles, csm: { ...c.roles.csm, create_cta: false } } }));
    await expect(check(toolEnabled, request({ caller: machineClient }), context(roleOff))).resolves.toEqual({
      code: 'TOOL_DISABLED',
      message: 'The write tool create_cta is switched off by the write policy for the csm role, which machine clients write with; ask an admin to switch it on',
    });
    const integrationOff = withConfig(() => ({ integrations: { csmcp_int_sync: { create_cta: false } } }));
    await expect(check(toolEnabled, request({ caller: machineClient }), context(integrationOff))).resolves.toEqual({
      code: 'TOOL_DISABLED',
      message:
        'The write tool create_cta is switched off for this integration (csmcp_int_sync) by the write policy; ask an admin to switch it on, or use another connector',
    });
  });

  it('leaves operations without a tool to supported-operation', async () => {
    await expect(check(toolEnabled, request({ operation: 'delete' }), context())).resolves.toBeNull();
  });
});
