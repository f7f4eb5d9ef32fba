import { check, admin, context, request } from '../policy-spec.helpers';
import { noAdminConfiguration } from './no-admin-configuration.rule';

describe('rule no-admin-configuration (NO_ADMIN_CONFIGURATION)', () => {
  it.each(['create', 'update'] as const)('refuses to %s admin configuration, even for an admin', async (operation) => {
    await expect(check(noAdminConfiguration, request({ operation, entity: 'admin_config', caller: admin }), context())).resolves.toEqual({
      code: 'NO_ADMIN_CONFIGURATION',
      message:
        'Admin configuration (users, integrations, the write policy, credits) cannot be changed through MCP; ' +
        'an admin changes it in the admin console or with the csmcp CLI',
    });
  });

  it('lets CS writes through', async () => {
    await expect(check(noAdminConfiguration, request(), context())).resolves.toBeNull();
  });
});
