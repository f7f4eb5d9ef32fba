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
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly role: UserRole;
  readonly scopes: readonly Scope[];
  /** personal: the user's own companies (by ownership); shared: the organisation's data. */
  readonly accessContext: 'shared' | 'personal';
  /** The token's id (never the token itself): sessions and audit records refer to it. */
  readonly tokenId: string;
  readonly tokenKind: 'personal_access_token' | 'oauth_access_token';
  /** The integration (OAuth client) the token was issued to; null for personal access tokens. */
  readonly integrationId: string | null;
  readonly integrationName: string | null;
  /** Epoch seconds; null = does not expire. */
  readonly expiresAt: number | null;
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes(scope);
}

/** Owners whose companies the principal may see: null = all (shared access, admins). */
export function visibleOwnerIds(principal: Principal): readonly string[] | null {
  if (principal.accessContext === 'shared' || principal.role === 'admin') return null;
  return [principal.userId];
}

export function viewerOf(principal: Principal): ViewerScope {
  return { userId: principal.userId, visibleOwnerIds: visibleOwnerIds(principal) };
}

export function writeCallerOf(principal: Principal): WriteCaller {
  return {
    userId: principal.userId,
    email: principal.email,
    role: principal.role,
    accessContext: principal.accessContext,
    integrationId: principal.integrationId,
    integrationName: principal.integrationName,
    visibleOwnerIds: visibleOwnerIds(principal),
  };
}
