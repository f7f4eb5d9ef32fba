import { ENTITY_LABEL, refuse, type WritePolicyRule } from '../write-request';

const INSTEAD: Partial<Record<string, string>> = {
  cta: 'To retire a CTA, close it with update_cta (status ClosedInvalid if it was created by mistake).',
  cta_task: 'Tasks stay with their CTA; close the CTA with update_cta when the work is done.',
  success_plan: 'To retire a success plan, set its status to Cancelled with update_success_plan.',
  timeline_activity: 'To correct a timeline activity, change it with update_timeline_activity.',
};

/** PRODUCT.md: never through MCP: deleting any record. */
export const noDeletes: WritePolicyRule = (request) => {
  if (request.operation !== 'delete') return null;
  const instead = INSTEAD[request.entity] ?? 'An admin manages these records outside MCP.';
  return refuse(
    'NO_DELETES',
    `Deleting records is not supported through MCP: a ${ENTITY_LABEL[request.entity]} cannot be deleted. ${instead}`,
  );
};
