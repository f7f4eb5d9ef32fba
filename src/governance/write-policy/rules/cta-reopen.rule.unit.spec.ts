import { check, context, request, withConfig } from '../policy-spec.helpers';
import { ctaReopen } from './cta-reopen.rule';

const update = (entityId: string, requestedCtaStatus?: string) =>
  request({ toolName: 'update_cta', operation: 'update', entity: 'cta', entityId, requestedCtaStatus });

describe('rule cta-reopen (CTA_REOPEN_NOT_ALLOWED)', () => {
  it.each(['New', 'WorkInProgress'])('refuses moving a closed CTA back to %s by default', async (status) => {
    await expect(check(ctaReopen, update('cta-closed', status), context())).resolves.toEqual({
      code: 'CTA_REOPEN_NOT_ALLOWED',
      message:
        'CTA cta-closed is closed (ClosedLost) and the write policy does not allow reopening closed CTAs through MCP; ' +
        'create a new CTA instead, or ask an admin to reopen it',
    });
  });

  it('lets reopening through when the admin allows it', async () => {
    await expect(check(ctaReopen, update('cta-closed', 'New'), context(withConfig(() => ({ allowCtaReopen: true }))))).resolves.toBeNull();
  });

  it('leaves other updates to the decider (a closed CTA is read-only there)', async () => {
    await expect(check(ctaReopen, update('cta-closed'), context())).resolves.toBeNull();
    await expect(check(ctaReopen, update('cta-closed', 'ClosedSuccess'), context())).resolves.toBeNull();
    await expect(check(ctaReopen, update('cta-closed', 'Reopened'), context())).resolves.toBeNull();
  });

  it('lets status changes of open CTAs through', async () => {
    await expect(check(ctaReopen, update('cta-open', 'New'), context())).resolves.toBeNull();
    await expect(check(ctaReopen, update('cta-open', 'ClosedSuccess'), context())).resolves.toBeNull();
  });
});
