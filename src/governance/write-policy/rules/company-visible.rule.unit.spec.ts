import { check, context, csm, personalCsm, request } from '../policy-spec.helpers';
import { companyVisible } from './company-visible.rule';

const notVisible = (companyId: string) => ({
  code: 'COMPANY_NOT_VISIBLE',
  message:
    `Company ${companyId} is not visible to you: with personal access you may write only to companies you can see. ` +
    "Choose a company from your own or your team's book of business (search_companies lists them)",
});

describe('rule company-visible (COMPANY_NOT_VISIBLE)', () => {
  it('refuses a personal-access create on a company the caller cannot see', async () => {
    await expect(check(companyVisible, request({ caller: personalCsm, companyId: 'globex' }), context())).resolves.toEqual(notVisible('globex'));
  });

  it("refuses a personal-access update or task on a record of a company the caller cannot see (the record's company counts)", async () => {
    await expect(check(companyVisible, request({ caller: personalCsm, operation: 'update', entity: 'cta', entityId: 'cta-globex', companyId: 'acme' }), context()),
    ).resolves.toEqual(notVisible('globex'));
    await expect(check(companyVisible, request({ caller: personalCsm, entity: 'cta_task', ctaId: 'cta-globex' }), context())).resolves.toEqual(
      notVisible('globex'),
    );
    await expect(check(companyVisible, request({ caller: personalCsm, operation: 'update', entity: 'timeline_activity', entityId: 'act-globex' }), context()),
    ).resolves.toEqual(notVisible('globex'));
  });

  it('refuses a personal-access write whose company cannot be known', async () => {
    await expect(check(companyVisible, request({ caller: personalCsm, companyId: undefined }), context())).resolves.toEqual(
      notVisible('(none given)'),
    );
  });

  it('lets a personal-access caller write to its own companies', async () => {
    await expect(check(companyVisible, request({ caller: personalCsm, companyId: 'acme' }), context())).resolves.toBeNull();
    await expect(check(companyVisible, request({ caller: personalCsm, operation: 'update', entity: 'success_plan', entityId: 'plan-acme' }), context()),
    ).resolves.toBeNull();
  });

  it('does not restrict shared-access callers', async () => {
    await expect(check(companyVisible, request({ caller: csm, companyId: 'globex' }), context())).resolves.toBeNull();
  });
});
