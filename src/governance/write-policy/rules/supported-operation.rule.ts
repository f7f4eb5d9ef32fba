import { WRITE_TOOLS } from '../policy-config';
import { ENTITY_LABEL, refuse, writeToolFor, type WritePolicyRule } from '../write-request';

/** Anything the hard rules did not name but MCP has no write tool for (e.g. changing a CTA task). */
export const supportedOperation: WritePolicyRule = (request) => {
  if (writeToolFor(request.operation, request.entity) !== null) return null;
  const verb = request.operation === 'create' ? 'Creating' : request.operation === 'update' ? 'Changing' : 'Deleting';
  return refuse(
    'OPERATION_NOT_SUPPORTED',
    `${verb} a ${ENTITY_LABEL[request.entity]} is not supported through MCP; the MCP writes are ${WRITE_TOOLS.join(', ')}`,
  );
};
