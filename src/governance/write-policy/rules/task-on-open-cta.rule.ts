import { OPEN_CTA_STATUSES, isClosedCtaStatus } from '../../../customer-success/shared/values';
import { refuse, type WritePolicyRule } from '../write-request';

/** A task goes on an open CTA. */
export const taskOnOpenCta: WritePolicyRule = async (request, { lookups }) => {
  if (request.entity !== 'cta_task' || request.operation !== 'create' || request.ctaId === undefined) return null;
  const cta = await lookups.findCta(request.ctaId);
  if (cta === null || !isClosedCtaStatus(cta.status)) return null;
  return refuse(
    'TASK_ON_CLOSED_CTA',
    `CTA ${request.ctaId} is closed (${cta.status}); tasks can be added only to an open CTA (${OPEN_CTA_STATUSES.join(' or ')})`,
  );
};
