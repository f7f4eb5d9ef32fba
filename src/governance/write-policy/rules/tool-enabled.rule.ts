import { toolAvailability } from '../policy-config';
import { refuse, writeToolFor, type WritePolicyRule } from '../write-request';

/** The admin's switches: per role, and per integration (connector). */
export const toolEnabled: WritePolicyRule = (request, { config }) => {
  const tool = writeToolFor(request.operation, request.entity);
  if (tool === null) return null;
  const availability = toolAvailability(config, tool, request.caller);
  if (availability.enabled) return null;
  if (availability.switchedOffBy === 'role' && request.caller.actor === 'client')
    return refuse(
      'TOOL_DISABLED',
      `The write tool ${tool} is switched off by the write policy for the ${request.caller.role} role, which machine clients write with; ask an admin to switch it on`,
    );
  if (availability.switchedOffBy === 'role')
    return refuse(
      'TOOL_DISABLED',
      `The write tool ${tool} is switched off for your role (${request.caller.role}) by the write policy; ask an admin to switch it on`,
    );
  return refuse(
    'TOOL_DISABLED',
    `The write tool ${tool} is switched off for this integration (${request.caller.integrationId}) by the write policy; ` +
      'ask an admin to switch it on, or use another connector',
  );
};
