import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { PasswordService } from '../../src/auth/passwords/password.service';
import { AccessTokenVerifier } from '../../src/auth/tokens/access-token.verifier';
import { InvalidTokenError } from '../../src/auth/tokens/invalid-token.error';
import { runCli } from '../support/cli';

/**
 * An operator bootstraps an empty embedded store with the CLI (the first user, a token) and the token
 * works in another process (this one, as the server would be) on the same store.
 */
describe('csmcp users and tokens (CLI, embedded SQLite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'csmcp-tokens-cli-'));
  const env = { DATA_DIR: dataDir };
  let store: SqliteEventStore;

  afterAll(async () => {
    await store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('adds the first user to an empty store with a password from stdin, then others, and lists them', async () => {
    const password = 'correct horse battery staple';
    const root = await runCli(['users', 'add', '--email', 'Root@Example.com', '--name', 'Root', '--role', 'admin', '--password-stdin', '--json'], env, `${password}\n`);
    expect(root.stderr).toBe('');
    expect(root.code).toBe(0);
    expect(JSON.parse(root.stdout)).toEqual([{ user_id: expect.any(String), email: 'root@example.com', name: 'Root', role: 'admin', team: null, password_set: true }]);
    expect(root.stdout).not.toContain(password);

    const anna = await runCli(['users', 'add', '--email', 'anna@example.com', '--name', 'Anna Berg', '--role', 'csm', '--as', 'root@example.com'], env);
    expect(anna.code).toBe(0);

    const short = await runCli(['users', 'add', '--email', 'bob@example.com', '--name', 'Bob', '--role', 'viewer', '--password-stdin'], env, 'short\n');
    expect(short.code).toBe(2);
    expect(short.stderr).toBe('csmcp: --password-stdin: the password has 5 characters; it must have 12 to 1024 (any characters, spaces included)\n');

    const list = await runCli(['users', 'list', '--json'], env);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as Array<Record<string, unknown>>).map((u) => [u.email, u.role, u.has_password])).toEqual([
      ['anna@example.com', 'csm', false],
      ['root@example.com', 'admin', true],
    ]);
  }, 60_000);

  it('sets a password later for a user added without one', async () => {
    const set = await runCli(['users', 'set-password', '--email', 'ANNA@example.com', '--password-stdin', '--json'], env, 'a long enough passphrase\n');
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual([{ user_id: expect.any(String), email: 'anna@example.com', password_set: true }]);
    const list = await runCli(['users', 'list', '--json'], env);
    expect((JSON.parse(list.stdout) as Array<Record<string, unknown>>).find((u) => u.email === 'anna@example.com')?.has_password).toBe(true);
    const reader = new SqliteEventStore({ filename: join(dataDir, 'events.db') });
    try {
      const passwords = new PasswordService(reader);
      expect(await passwords.verify('anna@example.com', 'a long enough passphrase')).toMatchObject({ email: 'anna@example.com' });
      expect(await passwords.verify('anna@example.com', 'a wrong passphrase!!')).toBeNull();
    } finally {
      await reader.close();
    }

    const unknown = await runCli(['users', 'set-password', '--email', 'nobody@example.com', '--password-stdin'], env, 'a long enough passphrase\n');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('csmcp: --email: there is no user nobody@example.com; add one with csmcp users add\n');
  }, 60_000);

  it('issues a token that verifies in another process, lists it without the token, and revokes it', async () => {
    const issued = await runCli(['tokens', 'issue', '--user', 'anna@example.com', '--scopes', 'cs:read cs:write', '--ttl', '1h', '--name', 'laptop', '--json'], env);
    expect(issued.code).toBe(0);
    const body = JSON.parse(issued.stdout) as { token: string; token_id: string; user: string; scopes: string[]; expires_at: string };
    expect(body).toMatchObject({ user: 'anna@example.com', scopes: ['cs:read', 'cs:write'], token_id: expect.stringMatching(/^pat_/) });
    expect(body.token).toMatch(/^csmcp_pat_[A-Za-z0-9_-]{43}$/);

    store = new SqliteEventStore({ filename: join(dataDir, 'events.db') });
    const verifier = new AccessTokenVerifier(store);
    expect(await verifier.verify(body.token)).toMatchObject({ email: 'anna@example.com', role: 'csm', tokenId: body.token_id, scopes: ['cs:read', 'cs:write'] });

    const list = await runCli(['tokens', 'list', '--json'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain(body.token);
    expect(JSON.parse(list.stdout)).toEqual([
      { token_id: body.token_id, user: 'anna@example.com', name: 'laptop', scopes: 'cs:read cs:write', status: 'active', issued_at: expect.any(String), expires_at: body.expires_at, revoked_at: null },
    ]);

    const revoked = await runCli(['tokens', 'revoke', body.token_id], env);
    expect(revoked.code).toBe(0);
    verifier.now = () => Date.now() + 1_001; // past what this process may have cached
    await expect(verifier.verify(body.token)).rejects.toThrow(new InvalidTokenError('revoked'));
  }, 60_000);

  it('refuses the admin scope for a csm and a lifetime past 365 days, as usage errors', async () => {
    const admin = await runCli(['tokens', 'issue', '--user', 'anna@example.com', '--scopes', 'cs:read admin', '--ttl', '1h'], env);
    expect(admin.code).toBe(2);
    expect(admin.stderr).toContain('the admin scope is only for users whose role is admin; this user is a csm');
    const ttl = await runCli(['tokens', 'issue', '--user', 'root@example.com', '--scopes', 'admin', '--ttl', '400d'], env);
    expect(ttl.code).toBe(2);
    expect(ttl.stderr).toContain('--ttl 400d is longer than 365d');
    expect(ttl.stdout).toBe('');
  }, 60_000);
});
