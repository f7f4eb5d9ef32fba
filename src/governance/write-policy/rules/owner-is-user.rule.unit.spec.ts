import { check, context, request } from '../policy-spec.helpers';
import { ownerIsUser } from './owner-is-user.rule';

describe('rule owner-is-user (OWNER_NOT_A_USER)', () => {
  it('refuses an owner who is not a user, naming the first one', async () => {
    await expect(check(ownerIsUser, request({ ownerIds: ['u-anna', 'jane@acme.example', 'u-zed'] }), context())).resolves.toEqual({
      code: 'OWNER_NOT_A_USER',
      message: 'Owner jane@acme.example is not a user of csmcp; an owner must be an existing user: give their user id',
    });
  });

  it('lets existing users, or no owner change, through', async () => {
    await expect(check(ownerIsUser, request({ ownerIds: ['u-anna', 'u-ben'] }), context())).resolves.toBeNull();
    await expect(check(ownerIsUser, request({ ownerIds: [] }), context())).resolves.toBeNull();
    await expect(check(ownerIsUser, request({ ownerIds: undefined }), context())).resolves.toBeNull();
  });
});
