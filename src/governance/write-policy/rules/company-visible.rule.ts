import { isCompanyScoped, targetCompanyId } from '../target';
import { refuse, type WritePolicyRule } from '../write-request';

/** Personal-access callers write only to companies they may see (their own and their team's book of business). */
export const companyVisible: WritePolicyRule = async (request, { lookups }) => {
  if (request.caller.accessContext !== 'personal' || !isCompanyScoped(request)) return null;
  const companyId = await targetCompanyId(request, lookups);
  // Without a company there is nothing this caller could be allowed to write to.
  if (companyId !== null && (await lookups.canSeeCompany(request.caller, companyId))) return null;
  return refuse(
    'COMPANY_NOT_VISIBLE',
    `Company ${companyId ?? '(none given)'} is not visible to you: with personal access you may write only to companies you can see. ` +
      "Choose a company from your own or your team's book of business (search_companies lists them)",
  );
};
