import { CTA_STATUSES, isClosedCtaStatus, type CtaStatus } from '../../../customer-success/shared/values';
import { refuse, type WritePolicyRule } from '../write-request';

/** Moving a closed CTA back to New or WorkInProgress only when the admin allows it. */
export const ctaReopen: WritePolicyRule = async (request, { config, lookups }) => {
  if (request.entity !== 'cta' || request.operation !== 'update' || config.allowCtaReopen) return null;
  const requested = request.requestedCtaStatus;
  if (requested === undefined || !(CTA_STATUSES as readonly string[]).includes(requested)) return null;
  if (isClosedCtaStatus(requested as CtaStatus)) return null;
  const ctaId = request.entityId ?? request.ctaId;
  const cta = ctaId === undefined ? null : await lookups.findCta(ctaId);
  if (cta === null || !isClosedCtaStatus(cta.status)) return null;
  return refuse(
    'CTA_REOPEN_NOT_ALLOWED',
    `CTA ${ctaId} is closed (${cta.status}) and the write policy does not allow reopening closed CTAs through MCP; ` +
      'create a new CTA instead, or ask an admin to reopen it',
  );
};
