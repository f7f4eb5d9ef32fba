import { admin, registerAnna, startAdminCommands, type AdminCommandsHarness } from '../../../customer-success/companies/commands/testing/admin-commands.harness';
import { DomainError } from '../../../customer-success/shared/domain-error';
import { InputValidationError } from '../../../customer-success/write/write-errors';
import { RegisterUserCommand } from './register-user.command';
import { userIdFor } from './register-user.handler';

describe('RegisterUser (SQLite)', () => {
  let t: AdminCommandsHarness;
  beforeEach(async () => {
    t = await startAdminCommands();
    await registerAnna(t.bus);
  });
  afterEach(() => t.close());

  it('registers a user under an id derived from the email, with the admin as actor', async () => {
    const [event] = await t.store.readStream(`user-${userIdFor('anna@example.com')}`);
    expect(event.type).toBe('UserRegistered');
    expect(event.data).toEqual({
      userId: userIdFor('anna@example.com'),
      email: 'anna@example.com',
      name: 'Anna Berg',
      role: 'csm',
      registeredAt: '2025-04-01T09:00:00.000Z',
    });
    expect(event.metadata).toMatchObject({
      actor: { type: 'user', id: 'u-admin', email: 'admin@example.com' },
      toolName: 'import',
      accessContext: 'admin',
    });
  });

  it('refuses an email that is taken, whatever its case', async () => {
    await expect(
      t.bus.execute(new RegisterUserCommand({ user_id: 'u-2', email: 'ANNA@example.com', name: 'Other', role: 'viewer' }, admin)),
    ).rejects.toThrow(new DomainError('ALREADY_EXISTS', 'A user with email anna@example.com already exists; each email address may belong to one user only'));
    await expect(t.bus.execute(new RegisterUserCommand({ email: 'anna@example.com', name: 'Anna', role: 'csm' }, admin))).rejects.toThrow(
      `anna@example.com is already registered (user ${userIdFor('anna@example.com')})`,
    );
    expect(await t.store.readStream('user-u-2')).toEqual([]);
  });

  it('lets exactly one of many simultaneous registrations of one email win', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        t.bus.execute(new RegisterUserCommand({ user_id: `u-race-${i}`, email: 'race@example.com', name: `R${i}`, role: 'csm' }, admin)),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) expect(r.reason).toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(await t.store.readStream('user-email-race@example.com')).toHaveLength(1);
  });

  it('validates the input', async () => {
    await expect(t.bus.execute(new RegisterUserCommand({ email: 'nope', name: 'X', role: 'boss' }, admin))).rejects.toThrow(
      new InputValidationError([
        { field: 'email', problem: 'must be an email address like anna@example.com' },
        { field: 'role', problem: 'must be one of admin, csm, viewer' },
      ]),
    );
  });
});
