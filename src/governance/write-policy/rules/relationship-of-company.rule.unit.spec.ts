import { check, context, request } from '../policy-spec.helpers';
import { relationshipOfCompany } from './relationship-of-company.rule';

describe('rule relationship-of-company (RELATIONSHIP_NOT_FOUND, RELATIONSHIP_NOT_OF_COMPANY)', () => {
  it('refuses a relationship that does not exist', async () => {
    await expect(check(relationshipOfCompany, request({ relationshipId: 'acme-apac' }), context())).resolves.toEqual({
      code: 'RELATIONSHIP_NOT_FOUND',
      message: "There is no relationship with id acme-apac; check the id (get_company lists a company's relationships)",
    });
  });

  it("refuses another company's relationship, without naming that company", async () => {
    await expect(check(relationshipOfCompany, request({ entity: 'success_plan', relationshipId: 'globex-us' }), context())).resolves.toEqual({
      code: 'RELATIONSHIP_NOT_OF_COMPANY',
      message:
        'Relationship globex-us does not belong to company acme; use a relationship of that company (get_company lists them), or leave the relationship out',
    });
  });

  it('checks a timeline activity attached to a relationship', async () => {
    const onRelationship = (contextId: string) =>
      request({ entity: 'timeline_activity', contextKind: 'relationship', contextId, relationshipId: undefined });
    await expect(check(relationshipOfCompany, onRelationship('globex-us'), context())).resolves.toMatchObject({ code: 'RELATIONSHIP_NOT_OF_COMPANY' });
    await expect(check(relationshipOfCompany, onRelationship('acme-apac'), context())).resolves.toMatchObject({ code: 'RELATIONSHIP_NOT_FOUND' });
    await expect(check(relationshipOfCompany, onRelationship('acme-emea'), context())).resolves.toBeNull();
  });

  it("lets the company's own relationship, or none, through", async () => {
    await expect(check(relationshipOfCompany, request({ relationshipId: 'acme-emea' }), context())).resolves.toBeNull();
    await expect(check(relationshipOfCompany, request({ relationshipId: null }), context())).resolves.toBeNull();
    await expect(check(relationshipOfCompany, request(), context())).resolves.toBeNull();
  });
});
