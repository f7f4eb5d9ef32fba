import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { admin, startAdminCommands, type AdminCommandsHarness } from '../../customer-success/companies/commands/testing/admin-commands.harness';
import { RegisterUserCommand } from '../../users/commands/register-user/register-user.command';
import { userCredentialsStream } from '../../users/credentials.events';
import { userStream } from '../../users/user.events';
import { PasswordService } from './password.service';
import { PasswordRuleError } from './password-hash';

describe('PasswordService', () => {
  let t: AdminCommandsHarness;
  let passwords: PasswordService;
  let anna: { userId: string };
  let bob: { userId: string };

  beforeAll(async () => {
    t = await startAdminCommands(new SqliteEventStore({ filename: ':memory:' }));
    passwords = new PasswordService(t.store);
    anna = await t.bus.execute(new RegisterUserCommand({ email: 'anna@example.com', name: 'Anna Berg', role: 'csm' }, admin));
    bob = await t.bus.execute(new RegisterUserCommand({ email: 'bob@example.com', name: 'Bob', role: 'viewer' }, admin));
    await passwords.setPassword(anna.userId, 'a sentence as a password', admin);
  });
  afterAll(() => t.close());

  it('signs in the user with the right email (any case) and password', async () => {
    expect(await passwords.verify('Anna@Example.com', 'a sentence as a password')).toEqual({
      userId: anna.userId,
      email: 'anna@example.com',
      name: 'Anna Berg',
      role: 'csm',
      team: null,
    });
  });

  it('refuses a wrong password, an unknown email and a user who has no password', async () => {
    expect(await passwords.verify('anna@example.com', 'a sentence as a passworD')).toBeNull();
    expect(await passwords.verify('ghost@example.com', 'a sentence as a password')).toBeNull();
    expect(await passwords.verify('bob@example.com', 'a sentence as a password')).toBeNull();
    expect(await passwords.hasPassword(bob.userId)).toBe(false);
  });

  it('keeps the hash in the credentials stream only, never the password, and the newest one counts', async () => {
    await passwords.setPassword(bob.userId, 'first password of bob', admin);
    await passwords.setPassword(bob.userId, 'second password of bob', admin);
    expect(await passwords.verify('bob@example.com', 'first password of bob')).toBeNull();
    expect(await passwords.verify('bob@example.com', 'second password of bob')).toMatchObject({ userId: bob.userId });

    const credentials = await t.store.readStream(userCredentialsStream(bob.userId));
    expect(credentials.map((e) => e.type)).toEqual(['UserPasswordSet', 'UserPasswordSet']);
    expect(String(credentials[1].data.passwordHash)).toMatch(/^scrypt\$N=32768,r=8,p=1\$/);
    const everything = JSON.stringify(await t.store.readAll());
    expect(everything).not.toContain('password of bob');
    expect(JSON.stringify(await t.store.readStream(userStream(bob.userId)))).not.toContain('scrypt');
  });

  it('refuses a password outside the rules, and a user that does not exist', async () => {
    await expect(passwords.setPassword(anna.userId, 'too short', admin)).rejects.toThrow(PasswordRuleError);
    await expect(passwords.setPassword('u-nobody', 'long enough password', admin)).rejects.toThrow('no user has id u-nobody; register the user first');
  });
});
