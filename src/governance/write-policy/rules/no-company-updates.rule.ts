import { refuse, type WritePolicyRule } from '../write-request';

const PLURAL = { company: 'Companies', relationship: 'Relationships', contact: 'Contacts' } as const;

/** PRODUCT.md: companies, relationships and contacts are written by admin import only. */
export const noCompanyUpdates: WritePolicyRule = (request) => {
  if (request.entity !== 'company' && request.entity !== 'relationship' && request.entity !== 'contact') return null;
  const verb = request.operation === 'create' ? 'created' : 'changed';
  return refuse(
    'NO_COMPANY_UPDATES',
    `Company data cannot be ${verb} through MCP: ${PLURAL[request.entity]} are imported by an admin, and MCP may only read them. ` +
      'To record something about a company, log a timeline activity or create a CTA',
  );
};
