import { refuse, type WritePolicyRule } from '../write-request';

/** A timeline activity attached to a CTA: the CTA exists and belongs to the activity's company. */
export const ctaContextOfCompany: WritePolicyRule = async (request, { lookups }) => {
  if (request.entity !== 'timeline_activity' || request.operation !== 'create' || request.contextKind !== 'cta') return null;
  if (request.contextId === undefined) return null; // the decider refuses a context without id
  const cta = await lookups.findCta(request.contextId);
  if (cta === null)
    return refuse('CTA_NOT_FOUND', `There is no CTA with id ${request.contextId}; check the id (list_ctas finds CTAs by company)`);
  if (cta.companyId === request.companyId) return null;
  return refuse(
    'CTA_NOT_OF_COMPANY',
    `CTA ${request.contextId} does not belong to company ${request.companyId}; attach the activity to a CTA of that company (list_ctas lists them)`,
  );
};
