import { targetCompanyId } from '../target';
import { refuse, type WritePolicyRule } from '../write-request';

/** A relationship given (or a timeline activity attached to one) exists and belongs to the write's company. */
export const relationshipOfCompany: WritePolicyRule = async (request, { lookups }) => {
  const relationshipId =
    request.relationshipId ?? (request.entity === 'timeline_activity' && request.contextKind === 'relationship' ? request.contextId : undefined);
  if (relationshipId === undefined || relationshipId === null) return null;
  const companyId = await targetCompanyId(request, lookups);
  const owner = await lookups.companyOfRelationship(relationshipId);
  if (owner === null)
    return refuse(
      'RELATIONSHIP_NOT_FOUND',
      `There is no relationship with id ${relationshipId}; check the id (get_company lists a company's relationships)`,
    );
  if (owner === companyId) return null;
  // The other company is not named: a personal-access caller may not be allowed to see it.
  return refuse(
    'RELATIONSHIP_NOT_OF_COMPANY',
    `Relationship ${relationshipId} does not belong to company ${companyId}; use a relationship of that company (get_company lists them), or leave the relationship out`,
  );
};
