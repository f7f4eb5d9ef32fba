import { refuse, type WritePolicyRule } from '../write-request';

/** PRODUCT.md: never through MCP: admin configuration (users, integrations, write policy, credits). */
export const noAdminConfiguration: WritePolicyRule = (request) => {
  if (request.entity !== 'admin_config') return null;
  return refuse(
    'NO_ADMIN_CONFIGURATION',
    'Admin configuration (users, integrations, the write policy, credits) cannot be changed through MCP; ' +
      'an admin changes it in the admin console or with the csmcp CLI',
  );
};
