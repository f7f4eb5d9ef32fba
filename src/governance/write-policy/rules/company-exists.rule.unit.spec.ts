import { check, context, request } from '../policy-spec.helpers';
import { companyExists } from './company-exists.rule';

describe('rule company-exists (COMPANY_NOT_FOUND)', () => {
  it.each(['cta', 'success_plan', 'timeline_activity'] as const)('refuses a %s for a company that does not exist', async (entity) => {
    await expect(check(companyExists, request({ entity, companyId: 'initech' }), context())).resolves.toEqual({
      code: 'COMPANY_NOT_FOUND',
      message: 'There is no company with id initech; check the id (search_companies finds companies)',
    });
  });

  it.each([
    ['cta', 'A CTA must belong to a company'],
    ['success_plan', 'A success plan must belong to a company'],
    ['timeline_activity', 'A timeline activity must belong to a company'],
  ] as const)('refuses a %s created without a company', async (entity, start) => {
    await expect(check(companyExists, request({ entity, companyId: undefined }), context())).resolves.toEqual({
      code: 'COMPANY_NOT_FOUND',
      message: `${start}, and none was given; give companyId (search_companies finds companies)`,
    });
  });

  it('checks the company of the record for updates and tasks, whatever company the request names', async () => {
    await expect(check(companyExists, request({ operation: 'update', entity: 'cta', entityId: 'cta-open', companyId: 'initech' }), context()),
    ).resolves.toBeNull();
    await expect(check(companyExists, request({ entity: 'cta_task', ctaId: 'cta-globex', companyId: undefined }), context())).resolves.toBeNull();
  });

  it('lets a write to an existing company through', async () => {
    await expect(check(companyExists, request({ companyId: 'globex' }), context())).resolves.toBeNull();
  });
});
