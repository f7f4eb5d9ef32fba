import { createHmac } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { UserRecord } from '../../users/user-directory';
import { InvalidTokenError } from '../tokens/invalid-token.error';
import { JwtAccessTokenVerifier, scopesOf, type JwtAccessTokenVerifierOptions, type RevocationList, type UserLookup } from './jwt-access-token.verifier';
import { AuthorizationServerUnavailableError, JwtRejectedError, type JwtRejection } from './jwt-rejected.error';
import { localKeySet } from './key-sets';

const ISSUER = 'https://login.example.com/realms/cs';
const BASE = 'https://csmcp.example.com';
const MCP = `${BASE}/mcp`;
const CONNECTOR_PATH = `${BASE}/v1/ds-mcp/mcp`;
/** A fixed clock: every time below is relative to it, nothing waits. */
const NOW = Date.parse('2026-03-02T10:00:00Z');
const SECONDS = Math.floor(NOW / 1000);

const USERS: UserRecord[] = [
  { userId: 'u-anna', email: 'anna@example.com', name: 'Anna Berg', role: 'csm', team: 'North' },
  { userId: 'u-ada', email: 'ada@example.com', name: 'Ada Admin', role: 'admin', team: null },
  { userId: 'u-bob', email: 'bob@example.com', name: 'Bob Brown', role: 'csm', team: 'North' },
];

class Users implements UserLookup {
  lookups = 0;
  async byEmail(email: string) {
    this.lookups++;
    return USERS.find((u) => u.email === email.toLowerCase()) ?? null;
  }
  async byId(userId: string) {
    this.lookups++;
    return USERS.find((u) => u.userId === userId) ?? null;
  }
  async teamMemberIds(user: UserRecord) {
    return user.team === null ? [user.userId] : USERS.filter((u) => u.team === user.team).map((u) => u.userId);
  }
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe.each(['ES256', 'RS256'] as const)('JwtAccessTokenVerifier (%s)', (alg) => {
  let privateKey: CryptoKey;
  let publicKey: CryptoKey;
  let publicJwk: JWK;
  let otherPrivateKey: CryptoKey;
  const kid = `key-${alg}`;

  beforeAll(async () => {
    ({ privateKey, publicKey } = await generateKeyPair(alg, { extractable: true }));
    ({ privateKey: otherPrivateKey } = await generateKeyPair(alg));
    publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  });

  const claims = (extra: JWTPayload = {}): JWTPayload => ({
    iss: ISSUER,
    aud: MCP,
    sub: 'idp-user-1',
    email: 'anna@example.com',
    scope: 'cs:read cs:write',
    client_id: 'claude-connector',
    jti: 'tok-1',
    iat: SECONDS - 10,
    exp: SECONDS + 3600,
    ...extra,
  });
  /** A token signed by the authorization server's key (or another), with these claims and header. */
  const sign = (payload: JWTPayload = claims(), header: Record<string, unknown> = {}, key: CryptoKey = privateKey) =>
    new SignJWT(payload).setProtectedHeader({ alg, kid, typ: 'at+jwt', ...header }).sign(key);

  function verifier(options: Partial<JwtAccessTokenVerifierOptions> = {}, users: UserLookup = new Users()): JwtAccessTokenVerifier {
    const v = new JwtAccessTokenVerifier({ issuer: ISSUER, keys: localKeySet({ keys: [publicJwk] }), audience: null, users, ...options });
    v.now = () => NOW;
    return v;
  }
  async function rejection(token: string, options: Partial<JwtAccessTokenVerifierOptions> = {}, resource = MCP): Promise<JwtRejectedError> {
    const error = await verifier(options)
      .verify(token, { resource })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(JwtRejectedError);
    expect(error).toBeInstanceOf(InvalidTokenError);
    // Safe to send back: not the token, nothing RFC 6750 forbids in error_description.
    expect((error as Error).message).not.toContain(token);
    expect((error as Error).message).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
    return error as JwtRejectedError;
  }
  const expectRejected = async (token: string, reason: JwtRejection, options: Partial<JwtAccessTokenVerifierOptions> = {}, resource = MCP) =>
    expect((await rejection(token, options, resource)).rejection).toBe(reason);

  it('turns a valid token into the Principal of the csmcp user it names', async () => {
    const principal = await verifier().verify(await sign(), { resource: MCP });
    expect(principal).toEqual({
      userId: 'u-anna',
      email: 'anna@example.com',
      name: 'Anna Berg',
      role: 'csm',
      scopes: ['cs:read', 'cs:write'],
      accessContext: 'personal',
      // Her team's members, read with her: personal access sees their companies too.
      teamMemberIds: ['u-anna', 'u-bob'],
      tokenId: 'jwt:tok-1',
      tokenKind: 'oauth_access_token',
      integrationId: 'claude-connector',
      integrationName: null,
      expiresAt: SECONDS + 3600,
    });
  });

  it('refuses an expired token, and accepts one within the clock tolerance', async () => {
    await expectRejected(await sign(claims({ exp: SECONDS - 60 })), 'expired');
    expect((await rejection(await sign(claims({ exp: SECONDS - 60 })))).message).toBe('The access token has expired; get a new one');
    await expect(verifier().verify(await sign(claims({ exp: SECONDS - 5 })), { resource: MCP })).resolves.toMatchObject({ userId: 'u-anna' });
  });

  it('refuses a token whose nbf is in the future', async () => {
    await expectRejected(await sign(claims({ nbf: SECONDS + 300 })), 'not_yet_valid');
    await expect(verifier().verify(await sign(claims({ nbf: SECONDS + 5 })), { resource: MCP })).resolves.toBeDefined();
  });

  it('refuses a token without exp', async () => {
    const { exp: _exp, ...rest } = claims();
    const error = await rejection(await sign(rest));
    expect(error.rejection).toBe('missing_claim');
    expect(error.message).toBe('The access token lacks the exp claim');
  });

  it('refuses a token of another issuer, or with none', async () => {
    await expectRejected(await sign(claims({ iss: 'https://evil.example.com' })), 'wrong_issuer');
    await expectRejected(await sign(claims({ iss: `${ISSUER}/` })), 'wrong_issuer');
    const { iss: _iss, ...rest } = claims();
    await expectRejected(await sign(rest), 'wrong_issuer');
  });

  it('refuses a token for another audience, naming the audience it needed', async () => {
    const error = await rejection(await sign(claims({ aud: 'https://other-api.example.com' })));
    expect(error.rejection).toBe('wrong_audience');
    expect(error.message).toBe(`The access token is meant for another resource: its aud does not list ${MCP}`);
    const { aud: _aud, ...rest } = claims();
    await expectRejected(await sign(rest), 'wrong_audience');
  });

  it("refuses a token for /mcp at /v1/ds-mcp/mcp and back, unless its aud lists both", async () => {
    await expectRejected(await sign(claims({ aud: MCP })), 'wrong_audience', {}, CONNECTOR_PATH);
    await expectRejected(await sign(claims({ aud: CONNECTOR_PATH })), 'wrong_audience', {}, MCP);
    const both = await sign(claims({ aud: [MCP, CONNECTOR_PATH] }));
    const v = verifier();
    await expect(v.verify(both, { resource: MCP })).resolves.toBeDefined();
    await expect(v.verify(both, { resource: CONNECTOR_PATH })).resolves.toBeDefined();
  });

  it('checks a configured audience instead of the resource URL', async () => {
    const options = { audience: 'api://csmcp' };
    await expect(verifier(options).verify(await sign(claims({ aud: 'api://csmcp' })), { resource: MCP })).resolves.toBeDefined();
    await expectRejected(await sign(claims({ aud: MCP })), 'wrong_audience', options);
  });

  it('refuses alg none, with or without a signature', async () => {
    const unsigned = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims())}`;
    await expectRejected(`${unsigned}.`, 'malformed');
    await expectRejected(`${unsigned}.AAAA`, 'algorithm');
  });

  it('refuses an HS256 token forged with the public key as the HMAC secret', async () => {
    const forge = (secret: string | Buffer) => {
      const input = `${b64({ alg: 'HS256', kid, typ: 'at+jwt' })}.${b64(claims({ email: 'ada@example.com', scope: 'cs:read cs:write admin' }))}`;
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    };
    await expectRejected(forge(await exportSPKI(publicKey)), 'algorithm');
    await expectRejected(forge(JSON.stringify(publicJwk)), 'algorithm');
  });

  it('refuses a token whose payload was changed after signing', async () => {
    const [header, , signature] = (await sign()).split('.');
    await expectRejected(`${header}.${b64(claims({ email: 'ada@example.com' }))}.${signature}`, 'bad_signature');
    await expectRejected(`${header}.${b64(claims({ scope: 'cs:read cs:write admin' }))}.${signature}`, 'bad_signature');
  });

  it('refuses a token signed by another key, under a known or an unknown kid', async () => {
    await expectRejected(await sign(claims(), {}, otherPrivateKey), 'bad_signature');
    const error = await rejection(await sign(claims(), { kid: 'rotated-away' }, otherPrivateKey));
    expect(error.rejection).toBe('unknown_key');
    expect(error.message).toBe('The access token is signed with a key the authorization server does not publish');
  });

  it('tries each key when several fit a header without kid', async () => {
    const { privateKey: secondPrivate, publicKey: secondPublic } = await generateKeyPair(alg, { extractable: true });
    const keys = localKeySet({ keys: [{ ...publicJwk, kid: undefined }, { ...(await exportJWK(secondPublic)), alg }] });
    const token = await new SignJWT(claims()).setProtectedHeader({ alg, typ: 'at+jwt' }).sign(secondPrivate);
    await expect(verifier({ keys }).verify(token, { resource: MCP })).resolves.toMatchObject({ userId: 'u-anna' });
    const foreign = await new SignJWT(claims()).setProtectedHeader({ alg, typ: 'at+jwt' }).sign(otherPrivateKey);
    await expectRejected(foreign, 'bad_signature', { keys });
  });

  it('takes typ at+jwt, the generic JWT or none; refuses other explicit types; requires at+jwt when told', async () => {
    for (const typ of ['at+jwt', 'application/at+jwt', 'JWT', undefined])
      await expect(verifier().verify(await sign(claims(), { typ }), { resource: MCP })).resolves.toBeDefined();
    for (const typ of ['id_token+jwt', 'dpop+jwt', 'logout+jwt']) {
      const error = await rejection(await sign(claims(), { typ }));
      expect(error.rejection).toBe('wrong_type');
      expect(error.message).toBe('The token is a JWT of another type, not an OAuth access token (typ at+jwt)');
    }
    await expectRejected(await sign(claims(), { typ: 'JWT' }), 'wrong_type', { requireAtJwtType: true });
    await expectRejected(await sign(claims(), { typ: undefined }), 'wrong_type', { requireAtJwtType: true });
    await expect(verifier({ requireAtJwtType: true }).verify(await sign(), { resource: MCP })).resolves.toBeDefined();
  });

  it('maps scope or scp to csmcp scopes, dropping unknown ones and admin for non-admins', async () => {
    const scopesFor = async (extra: JWTPayload) => (await verifier().verify(await sign(claims({ scope: undefined, ...extra })), { resource: MCP })).scopes;
    expect(await scopesFor({ scope: 'openid cs:write profile cs:read' })).toEqual(['cs:read', 'cs:write']);
    expect(await scopesFor({ scp: ['cs:read', 'offline_access'] })).toEqual(['cs:read']);
    expect(await scopesFor({ scp: 'cs:write cs:read' })).toEqual(['cs:read', 'cs:write']);
    expect(await scopesFor({ scope: 'cs:read admin' })).toEqual(['cs:read']);
    expect(await scopesFor({ email: 'ada@example.com', scope: 'cs:read admin' })).toEqual(['cs:read', 'admin']);
    expect(await scopesFor({})).toEqual([]);
    expect([...scopesOf({ scope: 42 as unknown as string, scp: 'cs:read' })]).toEqual(['cs:read']);
  });

  it('takes the integration from client_id, else azp; the access context from the options', async () => {
    const v = verifier({ accessContext: 'shared' });
    expect(await v.verify(await sign(claims({ client_id: undefined, azp: 'copilot' })), { resource: MCP })).toMatchObject({ integrationId: 'copilot', accessContext: 'shared' });
    const anonymous = await v.verify(await sign(claims({ client_id: undefined, jti: undefined })), { resource: MCP });
    expect(anonymous.integrationId).toBeNull();
    expect(anonymous.tokenId).toMatch(/^jwt-sha256:[0-9a-f]{32}$/);
  });

  it('refuses a token for no csmcp user, without one, or with an unverified email', async () => {
    const unknown = await rejection(await sign(claims({ email: 'mallory@example.com' })));
    expect(unknown.rejection).toBe('unknown_user');
    expect(unknown.message).toBe("There is no csmcp user for this token's email; an admin adds users with csmcp users add");
    expect(unknown.message).not.toContain('mallory');
    const none = await rejection(await sign(claims({ email: undefined })));
    expect(none.message).toBe('The access token has no email claim naming a csmcp user');
    await expectRejected(await sign(claims({ email_verified: false })), 'email_unverified');
    await expect(verifier().verify(await sign(claims({ email_verified: true })), { resource: MCP })).resolves.toBeDefined();
  });

  it('finds the user by another claim, as an email or as a csmcp user id', async () => {
    const byUpn = verifier({ userClaim: 'upn' });
    expect((await byUpn.verify(await sign(claims({ email: undefined, upn: 'ada@example.com' })), { resource: MCP })).userId).toBe('u-ada');
    const bySub = verifier({ userClaim: 'sub', userMatch: 'user_id' });
    expect((await bySub.verify(await sign(claims({ sub: 'u-anna', email: 'ada@example.com' })), { resource: MCP })).email).toBe('anna@example.com');
    await expectRejected(await sign(claims({ sub: 'idp-user-1' })), 'unknown_user', { userClaim: 'sub', userMatch: 'user_id' });
  });

  it('asks the revocation list about the grant and the token id', async () => {
    const asked: unknown[] = [];
    const revocations: RevocationList = {
      isRevoked: async (token) => {
        asked.push(token);
        return token.grantId === 'grant-revoked';
      },
    };
    await expectRejected(await sign(claims({ gid: 'grant-revoked' })), 'revoked', { revocations });
    await expect(verifier({ revocations }).verify(await sign(claims({ gid: 'grant-ok' })), { resource: MCP })).resolves.toBeDefined();
    expect(asked).toEqual([
      { issuer: ISSUER, grantId: 'grant-revoked', tokenId: 'tok-1' },
      { issuer: ISSUER, grantId: 'grant-ok', tokenId: 'tok-1' },
    ]);
  });

  describe('machine clients (client credentials)', () => {
    const SYNC = { clientId: 'csmcp_int_sync', name: 'Nightly Sync', scopes: ['cs:read', 'cs:write'] as const };
    const machineClients = { byClientId: async (id: string) => (id === SYNC.clientId ? { ...SYNC, scopes: [...SYNC.scopes] } : null) };
    const machineClaims = (extra: JWTPayload = {}) => claims({ sub: SYNC.clientId, client_id: SYNC.clientId, email: undefined, scope: 'cs:read cs:write admin', ...extra });

    it('turns a token whose sub is its own client_id into the Principal of that client: shared access, the csm role, never admin', async () => {
      const principal = await verifier({ machineClients }).verify(await sign(machineClaims()), { resource: MCP });
      expect(principal).toEqual({
        actor: 'client',
        userId: 'csmcp_int_sync',
        email: null,
        name: 'Nightly Sync',
        role: 'csm',
        scopes: ['cs:read', 'cs:write'],
        accessContext: 'shared',
        tokenId: 'jwt:tok-1',
        tokenKind: 'oauth_access_token',
        integrationId: 'csmcp_int_sync',
        integrationName: 'Nightly Sync',
        expiresAt: SECONDS + 3600,
      });
    });

    it("keeps only the scopes the integration still allows", async () => {
      const narrowed = { byClientId: async () => ({ ...SYNC, scopes: ['cs:read' as const] }) };
      expect((await verifier({ machineClients: narrowed }).verify(await sign(machineClaims()), { resource: MCP })).scopes).toEqual(['cs:read']);
      expect((await verifier({ machineClients }).verify(await sign(machineClaims({ scope: 'cs:read' })), { resource: MCP })).scopes).toEqual(['cs:read']);
    });

    it('refuses a client that is no machine client (any more)', async () => {
      const error = await rejection(await sign(machineClaims({ sub: 'csmcp_int_other', client_id: 'csmcp_int_other' })), { machineClients });
      expect(error.rejection).toBe('not_machine_client');
      expect(error.message).toBe(
        'The access token stands for a client that may not act on its own: only a confidential integration with shared access and the client_credentials grant may (csmcp integrations update --grant-types)',
      );
    });

    it('takes a token for a user as before, and without a machine client lookup a client token is a token for no user', async () => {
      await expect(verifier({ machineClients }).verify(await sign(), { resource: MCP })).resolves.toMatchObject({ userId: 'u-anna' });
      await expectRejected(await sign(machineClaims({ email: 'anna@example.com' })), 'unknown_user', { userClaim: 'sub', userMatch: 'user_id' });
    });
  });

  it('refuses what is not a signed JWT', async () => {
    for (const token of ['abc', 'a.b', 'a.b.c.d.e', `${b64({ alg })}.${b64(claims())}.!!`]) await expectRejected(token, 'malformed');
  });

  it('passes an unreachable key set on as AuthorizationServerUnavailableError (503, not invalid_token)', async () => {
    const keys = async () => {
      throw new AuthorizationServerUnavailableError('The authorization server key set cannot be fetched right now');
    };
    await expect(verifier({ keys }).verify(await sign(), { resource: MCP })).rejects.toBeInstanceOf(AuthorizationServerUnavailableError);
  });

  it('keeps an answer for a second, per token and audience', async () => {
    const users = new Users();
    const v = verifier({}, users);
    let now = NOW;
    v.now = () => now;
    const token = await sign(claims({ aud: [MCP, CONNECTOR_PATH] }));
    await v.verify(token, { resource: MCP });
    await v.verify(token, { resource: MCP });
    expect(users.lookups).toBe(1);
    await v.verify(token, { resource: CONNECTOR_PATH });
    expect(users.lookups).toBe(2);
    now += 1_001;
    await v.verify(token, { resource: MCP });
    expect(users.lookups).toBe(3);
  });
});
