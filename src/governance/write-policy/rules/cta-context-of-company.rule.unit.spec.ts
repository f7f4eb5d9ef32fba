import { check, context, request } from '../policy-spec.helpers';
import { ctaContextOfCompany } from './cta-context-of-company.rule';

const onCta = (contextId: string) =>
  request({ toolName: 'create_timeline_activity', entity: 'timeline_activity', contextKind: 'cta', contextId });

describe('rule cta-context-of-company (CTA_NOT_FOUND, CTA_NOT_OF_COMPANY)', () => {
  it('refuses an activity on a CTA that does not exist', async () => {
    await expect(check(ctaContextOfCompany, onCta('cta-x'), context())).resolves.toEqual({
      code: 'CTA_NOT_FOUND',
      message: 'There is no CTA with id cta-x; check the id (list_ctas finds CTAs by company)',
    });
  });

  it("refuses an activity on another company's CTA", async () => {
    await expect(check(ctaContextOfCompany, onCta('cta-globex'), context())).resolves.toEqual({
      code: 'CTA_NOT_OF_COMPANY',
      message: 'CTA cta-globex does not belong to company acme; attach the activity to a CTA of that company (list_ctas lists them)',
    });
  });

  it("lets an activity on the company's own CTA (open or closed) through", async () => {
    await expect(check(ctaContextOfCompany, onCta('cta-open'), context())).resolves.toBeNull();
    await expect(check(ctaContextOfCompany, onCta('cta-closed'), context())).resolves.toBeNull();
  });
});
