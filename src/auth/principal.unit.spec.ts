import { actorOf } from '../customer-success/write/write-context';
import { machineClientPrincipal, sessionOwnerOf, viewerOf, writeCallerOf, type Principal } from './principal';

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
