import type { WriteCaller } from '../customer-success/write/write-context';
import type { ViewerScope } from '../customer-success/queries/shared/viewer';
import type { UserRole } from '../users/user.events';

/** What a token may do. cs:read = read tools; cs:write = write tools; admin = audit, usage, configuration. */
export const SCOPES = ['cs:read', 'cs:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * Who is calling, as established from a verified bearer token. Every door into the data (MCP, admin
 * API) turns a token into a Principal first; nothing downstream trusts anything else.
 */
export interface Principal {
  /**
   * user (absent = user): a person, signed in through a connector or owning a personal access token.
   * client: a machine client (an integration's client credentials), acting for the organisation
   * with no user signed in (machineClientPrincipal).
   */
  readonly actor?: 'user' | 'client';
  /** The user's id; a machine client's client id (= its integration id). */
  readonly userId: string;
  /** null for a machine client. */
  readonly email: string | null;
  /** The user's name, or the integration's. */
  readonly name: string;
  /** The user's role; a machine client's is MACHINE_CLIENT_ROLE. */
  readonly role: UserRole;
  readonly scopes: readonly Scope[];
  /** personal: the companies of the user and their team (by ownership); shared: the organisation's data. */
  readonly accessContext: 'shared' | 'personal';
  /**
   * The members of the user's team, the user included, as of the token's verification (absent or
   * just the user: no team). Personal access sees the companies they own.
   */
  readonly teamMemberIds?: readonly string[];
  /** The token's id (never the token itself): sessions and audit records refer to it. */
  readonly tokenId: string;
  readonly tokenKind: 'personal_access_token' | 'oauth_access_token';
  /** The integration (OAuth client) the token was issued to; null for personal access tokens. */
  readonly integrationId: string | null;
  readonly integrationName: string | null;
  /** Epoch seconds; null = does not expire. */
  readonly expiresAt: number | null;
}

/**
 * What a machine client may do: what a CSM may (the write policy's csm switches and the integration's
 * own switches apply), never what only an admin may. It has no book of business: it always has
 * shared access, and whatever it creates needs an owner who is a user.
 */
export const MACHINE_CLIENT_ROLE: UserRole = 'csm';

/** An integration allowed the client credentials grant, as a token's client. */
export interface MachineClient {
  readonly clientId: string;
  readonly name: string;
  /** The scopes the integration allows now. */
  readonly scopes: readonly Scope[];
}

/**
 * The Principal of a client credentials token: the client itself (actor client, its client id and
 * name), shared access, MACHINE_CLIENT_ROLE, and the scopes both the token and the integration (as it
 * is now) allow, without admin.
 */
export function machineClientPrincipal(
  client: MachineClient,
  token: { readonly scopes: ReadonlySet<Scope>; readonly tokenId: string; readonly expiresAt: number | null },
): Principal {
  const allowed = new Set(client.scopes);
  return {
    actor: 'client',
    userId: client.clientId,
    email: null,
    name: client.name,
    role: MACHINE_CLIENT_ROLE,
    scopes: SCOPES.filter((s) => s !== 'admin' && token.scopes.has(s) && allowed.has(s)),
    accessContext: 'shared',
    tokenId: token.tokenId,
    tokenKind: 'oauth_access_token',
    integrationId: client.clientId,
    integrationName: client.name,
    expiresAt: token.expiresAt,
  };
}

/**
 * Whom an MCP session belongs to: the user's id, or `client:<client id>` for a machine client, so
 * that a session a machine client opened is never taken for a user's (and the other way round).
 */
export function sessionOwnerOf(principal: Principal): string {
  return principal.actor === 'client' ? `client:${principal.userId}` : principal.userId;
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes(scope);
}

/** Owners whose companies the principal may see: null = all (shared access, admins); else the user's team, or the user alone. */
export function visibleOwnerIds(principal: Principal): readonly string[] | null {
  if (principal.accessContext === 'shared' || principal.role === 'admin') return null;
  const team = principal.teamMemberIds ?? [];
  return team.includes(principal.userId) ? team : [principal.userId, ...team];
}

export function viewerOf(principal: Principal): ViewerScope {
  return { userId: principal.userId, visibleOwnerIds: visibleOwnerIds(principal) };
}

export function writeCallerOf(principal: Principal): WriteCaller {
  return {
    actor: principal.actor ?? 'user',
    userId: principal.userId,
    email: principal.email,
    role: principal.role,
    accessContext: principal.accessContext,
    integrationId: principal.integrationId,
    integrationName: principal.integrationName,
    visibleOwnerIds: visibleOwnerIds(principal),
  };
}
