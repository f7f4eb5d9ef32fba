import { DEFAULT_POLICY, WRITE_TOOLS } from '../policy-config';
import { check, admin, context, csm, machineClient, request, viewer, withConfig } from '../policy-spec.helpers';
import { roleCanWrite } from './role-can-write.rule';

describe('rule role-can-write (ROLE_CANNOT_WRITE)', () => {
  it('refuses every write of a viewer by default', async () => {
    for (const tool of WRITE_TOOLS) {
      const [operation, ...rest] = tool.split('_');
      const entity = rest.join('_') as never;
      await expect(check(roleCanWrite, request({ caller: viewer, operation: operation as never, entity }), context())).resolves.toEqual({
        code: 'ROLE_CANNOT_WRITE',
        message:
          'Your role (viewer) cannot write through MCP: it has read access only. ' +
          'Ask an admin for a role that may write (csm), or to switch write tools on for your role',
      });
    }
  });

  it('lets admins and csms through', async () => {
    await expect(check(roleCanWrite, request({ caller: csm }), context())).resolves.toBeNull();
    await expect(check(roleCanWrite, request({ caller: admin }), context())).resolves.toBeNull();
  });

  it('lets a viewer through once an admin switches a write tool on for viewers (tool-enabled then decides per tool)', async () => {
    const config = withConfig((c) => ({ roles: { ...c.roles, viewer: { ...c.roles.viewer, create_timeline_activity: true } } }));
    await expect(check(roleCanWrite, request({ caller: viewer }), context(config))).resolves.toBeNull();
  });

  it('refuses a csm whose role an admin has switched off entirely', async () => {
    const config = withConfig((c) => ({ roles: { ...c.roles, csm: DEFAULT_POLICY.roles.viewer } }));
    await expect(check(roleCanWrite, request({ caller: csm }), context(config))).resolves.toMatchObject({
      code: 'ROLE_CANNOT_WRITE',
      message: expect.stringContaining('Your role (csm) cannot write through MCP'),
    });
  });

  it('lets a machine client write as a csm, and says which role to switch on when csm may not write', async () => {
    await expect(check(roleCanWrite, request({ caller: machineClient }), context())).resolves.toBeNull();
    const config = withConfig((c) => ({ roles: { ...c.roles, csm: DEFAULT_POLICY.roles.viewer } }));
    await expect(check(roleCanWrite, request({ caller: machineClient }), context(config))).resolves.toEqual({
      code: 'ROLE_CANNOT_WRITE',
      message:
        "Machine clients write with the csm role's write tools, and the write policy switches all of them off for csm; ask an admin to switch write tools on for csm",
    });
  });
});
