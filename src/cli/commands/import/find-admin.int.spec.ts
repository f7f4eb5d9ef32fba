import { admin, registerAnna, startAdminCommands, type AdminCommandsHarness } from '../../../customer-success/companies/commands/testing/admin-commands.harness';
import { RegisterUserCommand } from '../../../users/commands/register-user/register-user.command';
import { userIdFor } from '../../../users/commands/register-user/register-user.handler';
import { UsageError } from '../../errors';
import { findAdmin } from './find-admin';

describe('import --as', () => {
  let t: AdminCommandsHarness;
  beforeAll(async () => {
    t = await startAdminCommands();
    await registerAnna(t.bus);
    await t.bus.execute(new RegisterUserCommand({ email: 'Root@Example.com', name: 'Root', role: 'admin' }, admin));
  });
  afterAll(() => t.close());

  it('records the import as the admin with that email', async () => {
    expect(await findAdmin(t.store, 'root@EXAMPLE.com')).toEqual({ type: 'user', id: userIdFor('root@example.com'), email: 'root@example.com' });
  });

  it('refuses someone who is not an admin, or nobody', async () => {
    await expect(findAdmin(t.store, 'anna@example.com')).rejects.toThrow(
      new UsageError('--as anna@example.com: this user is a csm, not an admin; name an admin'),
    );
    await expect(findAdmin(t.store, 'ghost@example.com')).rejects.toThrow(
      new UsageError('--as ghost@example.com: no user has this email; name an admin (csmcp users add --role admin)'),
    );
  });
});
