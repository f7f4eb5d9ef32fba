import { WRITE_TOOLS } from '../policy-config';
import { refuse, type WritePolicyRule } from '../write-request';

/** A role with every write tool switched off (viewer, by default) has read access only. */
export const roleCanWrite: WritePolicyRule = (request, { config }) => {
  const { role } = request.caller;
  if (WRITE_TOOLS.some((tool) => config.roles[role]?.[tool] === true)) return null;
  if (request.caller.actor === 'client')
    return refuse(
      'ROLE_CANNOT_WRITE',
      `Machine clients write with the ${role} role's write tools, and the write policy switches all of them off for ${role}; ` +
        `ask an admin to switch write tools on for ${role}`,
    );
  return refuse(
    'ROLE_CANNOT_WRITE',
    `Your role (${role}) cannot write through MCP: it has read access only. ` +
      'Ask an admin for a role that may write (csm), or to switch write tools on for your role',
  );
};
