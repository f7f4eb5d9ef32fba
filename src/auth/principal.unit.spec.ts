import { actorOf } from '../customer-success/write/write-context';
import { machineClientPrincipal, sessionOwnerOf, viewerOf, visibleOwnerIds, writeCallerOf, type Principal } from './principal';

describe('a machine client as a Principal', () => {
  const sync = machineClientPrincipal(
    { clientId: 'csmcp_int_sync', name: 'Nightly Sync', scopes: ['cs:read', 'cs:write', 'admin'] },
    { scopes: new Set(['cs:read', 'cs:write', 'admin'] as const), tokenId: 'jwt:t1', expiresAt: 1_900_000_000 },
  );

  it('is the client, with shared access, the csm role and the scopes token and integration share, never admin', () => {
    expect(sync).toEqual({
      actor: 'client',
      userId: 'csmcp_int_sync',
      email: null,
      name: 'Nightly Sync',
      role: 'csm',
      scopes: ['cs:read', 'cs:write'],
      accessContext: 'shared',
      tokenId: 'jwt:t1',
      tokenKind: 'oauth_access_token',
      integrationId: 'csmcp_int_sync',
      integrationName: 'Nightly Sync',
      expiresAt: 1_900_000_000,
    });
    const readOnly = machineClientPrincipal(
      { clientId: 'c', name: 'C', scopes: ['cs:read'] },
      { scopes: new Set(['cs:read', 'cs:write'] as const), tokenId: 't', expiresAt: null },
    );
    expect(readOnly.scopes).toEqual(['cs:read']);
  });

  it('sees the whole organisation and writes as itself: events name the client as their actor', () => {
    expect(viewerOf(sync)).toEqual({ userId: 'csmcp_int_sync', visibleOwnerIds: null });
    const caller = writeCallerOf(sync);
    expect(caller).toEqual({
      actor: 'client',
      userId: 'csmcp_int_sync',
      email: null,
      role: 'csm',
      accessContext: 'shared',
      integrationId: 'csmcp_int_sync',
      integrationName: 'Nightly Sync',
      visibleOwnerIds: null,
    });
    expect(actorOf(caller)).toEqual({ type: 'client', id: 'csmcp_int_sync', name: 'Nightly Sync' });
  });

  it("owns its sessions under a name no user id can take; a user's sessions stay under the user id", () => {
    const user: Principal = { ...sync, actor: undefined, userId: 'csmcp_int_sync', email: 'odd@example.com' };
    expect(sessionOwnerOf(sync)).toBe('client:csmcp_int_sync');
    expect(sessionOwnerOf(user)).toBe('csmcp_int_sync');
    expect(actorOf(writeCallerOf(user))).toEqual({ type: 'user', id: 'csmcp_int_sync', email: 'odd@example.com' });
  });
});

describe("what a user's token sees: their team's companies with personal access", () => {
  const ann: Principal = {
    userId: 'u-ann',
    email: 'ann@example.com',
    name: 'Ann',
    role: 'csm',
    scopes: ['cs:read', 'cs:write'],
    accessContext: 'personal',
    teamMemberIds: ['u-bob', 'u-ann'],
    tokenId: 'pat_1',
    tokenKind: 'personal_access_token',
    integrationId: null,
    integrationName: null,
    expiresAt: null,
  };

  it("sees the companies of every member of the user's team, in reads and writes alike", () => {
    expect(visibleOwnerIds(ann)).toEqual(['u-bob', 'u-ann']);
    expect(viewerOf(ann)).toEqual({ userId: 'u-ann', visibleOwnerIds: ['u-bob', 'u-ann'] });
    expect(writeCallerOf(ann).visibleOwnerIds).toEqual(['u-bob', 'u-ann']);
  });

  it('sees only their own companies without a team, and always their own', () => {
    expect(visibleOwnerIds({ ...ann, teamMemberIds: undefined })).toEqual(['u-ann']);
    expect(visibleOwnerIds({ ...ann, teamMemberIds: ['u-ann'] })).toEqual(['u-ann']);
    expect(visibleOwnerIds({ ...ann, teamMemberIds: ['u-bob'] })).toEqual(['u-ann', 'u-bob']);
  });

  it('sees everything with shared access or as an admin, team or not', () => {
    expect(visibleOwnerIds({ ...ann, accessContext: 'shared' })).toBeNull();
    expect(visibleOwnerIds({ ...ann, role: 'admin' })).toBeNull();
  });
});
