import { check, machineClient, request } from '../policy-spec.helpers';
import { evaluate } from '../write-policy';
import { context } from '../policy-spec.helpers';
import { ownerNamedForClient } from './owner-named-for-client.rule';

describe('rule owner-named-for-client (OWNER_REQUIRED)', () => {
  it('refuses a machine client as the owner (what a create without owner_id defaults to), naming what to give', async () => {
    await expect(check(ownerNamedForClient, request({ caller: machineClient, ownerIds: ['csmcp_int_sync'] }))).resolves.toEqual({
      code: 'OWNER_REQUIRED',
      message:
        'A machine client (the integration csmcp_int_sync) cannot own a CTA: it acts for the organisation with no user signed in. Give owner_id: the user id of the csmcp user who is to own it',
    });
    await expect(
      check(ownerNamedForClient, request({ caller: machineClient, toolName: 'create_success_plan', entity: 'success_plan', ownerIds: ['csmcp_int_sync'] })),
    ).resolves.toMatchObject({ code: 'OWNER_REQUIRED', message: expect.stringContaining('cannot own a success plan') });
  });

  it('lets a machine client name a user as the owner, and users be owners as before', async () => {
    await expect(check(ownerNamedForClient, request({ caller: machineClient, ownerIds: ['u-anna'] }))).resolves.toBeNull();
    await expect(check(ownerNamedForClient, request({ caller: machineClient, ownerIds: [] }))).resolves.toBeNull();
    await expect(check(ownerNamedForClient, request({ ownerIds: ['u-anna'] }))).resolves.toBeNull();
  });

  it('is what the whole policy answers a machine client creating a CTA for itself; with a user as owner the write goes through', async () => {
    await expect(evaluate(request({ caller: machineClient, ownerIds: ['csmcp_int_sync'] }), context())).resolves.toMatchObject({
      allowed: false,
      rule: 'owner-named-for-client',
      refusal: { code: 'OWNER_REQUIRED' },
    });
    await expect(evaluate(request({ caller: machineClient, ownerIds: ['u-ben'] }), context())).resolves.toEqual({ allowed: true });
  });
});
