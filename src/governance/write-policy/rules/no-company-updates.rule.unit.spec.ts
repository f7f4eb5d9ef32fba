import { check, admin, context, request } from '../policy-spec.helpers';
import { noCompanyUpdates } from './no-company-updates.rule';

describe('rule no-company-updates (NO_COMPANY_UPDATES)', () => {
  it.each([
    ['update', 'company', 'changed', 'Companies'],
    ['create', 'company', 'created', 'Companies'],
    ['update', 'relationship', 'changed', 'Relationships'],
    ['create', 'contact', 'created', 'Contacts'],
    ['update', 'contact', 'changed', 'Contacts'],
  ] as const)('refuses to %s a %s, even for an admin', async (operation, entity, verb, plural) => {
    await expect(check(noCompanyUpdates, request({ operation, entity, caller: admin }), context())).resolves.toEqual({
      code: 'NO_COMPANY_UPDATES',
      message:
        `Company data cannot be ${verb} through MCP: ${plural} are imported by an admin, and MCP may only read them. ` +
        'To record something about a company, log a timeline activity or create a CTA',
    });
  });

  it('lets CS writes through', async () => {
    await expect(check(noCompanyUpdates, request(), context())).resolves.toBeNull();
  });
});
