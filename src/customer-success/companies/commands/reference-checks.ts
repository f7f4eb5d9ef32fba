import type { Report } from './import-batch';
import type { ReferenceLookups } from './reference-lookups';

/** A relationship, contact or scorecard belongs to a company that exists (or comes in the same run). */
export async function checkCompany(companyId: string, refs: ReferenceLookups, report: Report): Promise<boolean> {
  if (await refs.companyExists(companyId)) return true;
  report('company_id', `no company has the id ${companyId}`, 'the id of an imported company (import the companies first, or in the same file)');
  return false;
}
