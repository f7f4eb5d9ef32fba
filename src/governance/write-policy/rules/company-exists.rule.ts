import { isCompanyScoped, targetCompanyId } from '../target';
import { ENTITY_LABEL, refuse, type WritePolicyRule } from '../write-request';

/** A CTA, plan or timeline activity belongs to an existing company (companies come from admin import). */
export const companyExists: WritePolicyRule = async (request, { lookups }) => {
  if (!isCompanyScoped(request)) return null;
  const companyId = await targetCompanyId(request, lookups);
  if (companyId === null)
    return refuse(
      'COMPANY_NOT_FOUND',
      `A ${ENTITY_LABEL[request.entity]} must belong to a company, and none was given; give companyId (search_companies finds companies)`,
    );
  if (await lookups.companyExists(companyId)) return null;
  return refuse('COMPANY_NOT_FOUND', `There is no company with id ${companyId}; check the id (search_companies finds companies)`);
};
