import { randomUUID } from 'node:crypto';
import { startApp, type AppHarness, type StoreKind } from '../../../test/support/app-harness';
import type { AdminContext } from '../../customer-success/companies/commands/admin-context';
import { RegisterUserCommand } from '../../users/commands/register-user/register-user.command';
import { userStream } from '../../users/user.events';
import { ACCESS_TOKEN_INDEX_STREAM, accessTokenStream } from './access-token.events';
import { AccessTokenService } from './access-token.service';
import { AccessTokenVerifier } from './access-token.verifier';
import { InvalidTokenError } from './invalid-token.error';
import { TokenRequestError, generatePersonalAccessToken, hashAccessToken } from './personal-access-token';

const cli: AdminContext = { actor: { type: 'system', id: 'csmcp-cli' }, toolName: 'tokens issue' };

describe.each<StoreKind>(['sqlite', 'postgres'])('personal access tokens (%s)', (kind) => {
  let h: AppHarness;
  let tokens: AccessTokenService;
  let verifier: AccessTokenVerifier;
  let anna: { userId: string };
  let root: { userId: string };

  beforeAll(async () => {
    h = await startApp(kind);
    tokens = h.app.get(AccessTokenService);
    verifier = h.app.get(AccessTokenVerifier);
    anna = await h.commands.execute(new RegisterUserCommand({ email: 'anna@example.com', name: 'Anna Berg', role: 'csm' }, cli));
    root = await h.commands.execute(new RegisterUserCommand({ email: 'root@example.com', name: 'Root', role: 'admin' }, cli));
  });
  afterAll(() => h.close());

  /** Another process on the same store: its own cache, its own clock. */
  function otherProcess(at: number): AccessTokenVerifier {
    const other = new AccessTokenVerifier(h.store);
    other.now = () => at;
    return other;
  }

  async function refusal(work: Promise<unknown>): Promise<string> {
    const error = await work.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidTokenError);
    return (error as InvalidTokenError).reason;
  }

  it('issues a token that verifies as its user, then is refused once revoked', async () => {
    const issued = await tokens.issue({ email: 'Anna@Example.com', scopes: 'cs:read cs:write', ttl: '1h', name: 'laptop' }, cli);
    expect(issued.token).toMatch(/^csmcp_pat_[A-Za-z0-9_-]{43}$/);
    expect(issued.user).toEqual({ userId: anna.userId, email: 'anna@example.com', name: 'Anna Berg', role: 'csm', team: null });
    expect(Date.parse(issued.expiresAt) - Date.parse(issued.issuedAt)).toBe(3_600_000);

    const principal = await verifier.verify(issued.token);
    expect(principal).toEqual({
      userId: anna.userId,
      email: 'anna@example.com',
      name: 'Anna Berg',
      role: 'csm',
      scopes: ['cs:read', 'cs:write'],
      accessContext: 'personal',
      // In no team: her own companies only.
      teamMemberIds: [anna.userId],
      tokenId: issued.tokenId,
      tokenKind: 'personal_access_token',
      integrationId: null,
      integrationName: null,
      expiresAt: Math.floor(Date.parse(issued.expiresAt) / 1000),
    });

    // Only the hash is stored, in a stream named by it; the token is in no event.
    const events = await h.store.readAll();
    expect(JSON.stringify(events)).not.toContain(issued.token);
    const [event] = await h.store.readStream(accessTokenStream(hashAccessToken(issued.token)));
    expect(event).toMatchObject({ type: 'AccessTokenIssued', data: { tokenId: issued.tokenId, userId: anna.userId, scopes: ['cs:read', 'cs:write'], name: 'laptop' } });
    expect(event.metadata).toMatchObject({ actor: { type: 'system', id: 'csmcp-cli' }, toolName: 'tokens issue' });

    const elsewhere = otherProcess(Date.now());
    await elsewhere.verify(issued.token);

    const { token, alreadyRevoked } = await tokens.revoke(issued.tokenId, { ...cli, toolName: 'tokens revoke' });
    expect(alreadyRevoked).toBe(false);
    expect(token).toMatchObject({ tokenId: issued.tokenId, status: 'revoked' });
    // In the revoking process at once; in another one as soon as its cached answer (≤ 1 s) runs out.
    expect(await refusal(verifier.verify(issued.token))).toBe('revoked');
    await expect(elsewhere.verify(issued.token)).resolves.toMatchObject({ userId: anna.userId });
    elsewhere.now = () => Date.now() + 1_001;
    expect(await refusal(elsewhere.verify(issued.token))).toBe('revoked');

    expect(await tokens.revoke(issued.tokenId, cli)).toMatchObject({ alreadyRevoked: true, token: { status: 'revoked' } });
    await expect(tokens.revoke('pat_nope', cli)).rejects.toThrow(new TokenRequestError('no token has id pat_nope; csmcp tokens list shows the ids'));
  });

  it('refuses an expired token, and never serves a cached answer past the expiry', async () => {
    const old = await tokens.issue({ email: 'anna@example.com', scopes: 'cs:read', ttl: '1h' }, { ...cli, now: new Date(Date.now() - 2 * 3_600_000) });
    expect(await refusal(verifier.verify(old.token))).toBe('expired');

    const issued = await tokens.issue({ email: 'anna@example.com', scopes: 'cs:read', ttl: '30m' }, cli);
    const expiry = Date.parse(issued.expiresAt);
    const at = otherProcess(expiry - 500);
    await expect(at.verify(issued.token)).resolves.toMatchObject({ userId: anna.userId });
    at.now = () => expiry;
    expect(await refusal(at.verify(issued.token))).toBe('expired');
    expect((await tokens.list({ email: 'anna@example.com' })).find((t) => t.tokenId === old.tokenId)).toMatchObject({ status: 'expired' });
  });

  it('refuses unknown and malformed tokens, and tokens whose user no longer exists', async () => {
    expect(await refusal(verifier.verify(generatePersonalAccessToken()))).toBe('unknown');
    expect(await refusal(verifier.verify('not-a-token'))).toBe('malformed');
    expect(await refusal(verifier.verify(''))).toBe('malformed');

    const orphan = generatePersonalAccessToken();
    const tokenHash = hashAccessToken(orphan);
    await h.store.appendToStream(
      accessTokenStream(tokenHash),
      [
        {
          type: 'AccessTokenIssued',
          data: { tokenId: 'pat_orphan', tokenHash, kind: 'personal_access_token', userId: `u-gone-${randomUUID()}`, scopes: ['cs:read'], name: null, issuedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString() },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    expect(await refusal(verifier.verify(orphan))).toBe('user_gone');
  });

  it('sees a role change within a second, and an admin token loses the admin scope with the role', async () => {
    const mine = await tokens.issue({ email: 'root@example.com', scopes: 'cs:read admin', ttl: '7d' }, cli);
    const t0 = Date.now();
    const server = otherProcess(t0);
    expect(await server.verify(mine.token)).toMatchObject({ role: 'admin', scopes: ['cs:read', 'admin'] });

    const [registered] = await h.store.readStream(userStream(root.userId));
    await h.store.appendToStream(
      userStream(root.userId),
      [{ type: 'UserRoleChanged', data: { userId: root.userId, from: 'admin', to: 'csm', changedAt: new Date().toISOString() } }],
      { expectedRevision: registered.revision },
    );
    server.now = () => t0 + 1_001;
    expect(await server.verify(mine.token)).toMatchObject({ role: 'csm', scopes: ['cs:read'] });
  });

  it('issues the admin scope only to admins, and refuses unknown users, scopes and lifetimes', async () => {
    await expect(tokens.issue({ email: 'anna@example.com', scopes: 'cs:read admin', ttl: '1h' }, cli)).rejects.toThrow(
      'the admin scope is only for users whose role is admin; this user is a csm',
    );
    await expect(tokens.issue({ email: 'ghost@example.com', scopes: 'cs:read', ttl: '1h' }, cli)).rejects.toThrow(
      '--user ghost@example.com: no user has this email; register one first (csmcp users add)',
    );
    await expect(tokens.issue({ email: 'anna@example.com', scopes: 'cs:everything', ttl: '1h' }, cli)).rejects.toThrow('the scopes are cs:read, cs:write, admin');
    await expect(tokens.issue({ email: 'anna@example.com', scopes: 'cs:read', ttl: '2y' }, cli)).rejects.toThrow(TokenRequestError);
  });

  it('lists tokens newest first, without the token or its hash', async () => {
    const issued = await tokens.issue({ email: 'anna@example.com', scopes: 'cs:read', ttl: '90d', name: 'listed' }, cli);
    const all = await tokens.list();
    expect(all[0]).toEqual({
      tokenId: issued.tokenId,
      userId: anna.userId,
      email: 'anna@example.com',
      name: 'listed',
      scopes: ['cs:read'],
      issuedAt: issued.issuedAt,
      expiresAt: issued.expiresAt,
      status: 'active',
      revokedAt: null,
    });
    expect(JSON.stringify(all)).not.toContain(hashAccessToken(issued.token));
    expect(JSON.stringify(all)).not.toContain(issued.token);
    expect((await tokens.list({ email: 'root@example.com' })).every((t) => t.userId === root.userId)).toBe(true);
    expect((await h.store.readStream(ACCESS_TOKEN_INDEX_STREAM)).length).toBe(all.length);
  });
  it('answers repeated and concurrent verifications of one token from one lookup', async () => {
    const issued = await tokens.issue({ email: 'anna@example.com', scopes: 'cs:read', ttl: '1h' }, cli);
    const fresh = otherProcess(Date.now());
    const reads = jest.spyOn(h.store, 'readStream');
    try {
      await Promise.all(Array.from({ length: 20 }, () => fresh.verify(issued.token)));
      for (let i = 0; i < 20; i++) await fresh.verify(issued.token);
      // The token's stream and its user's stream, once.
      expect(reads).toHaveBeenCalledTimes(2);
    } finally {
      reads.mockRestore();
    }
  });
});
