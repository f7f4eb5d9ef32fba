import type { ClientMetadata } from 'oidc-provider';

/**
 * The admin console (/admin, src/admin-console) as a first-party client of the built-in authorization
 * server: registered by csmcp itself (a static client of each issuer), public (a browser keeps no
 * secret), authorization code + PKCE S256, scope `admin` only, for the resource `<base>/mcp` that the
 * admin API accepts (docs/admin-api.md), returning to `<base>/admin/callback`.
 *
 * A refresh token is issued so that signing out can revoke: oidc-provider cannot revoke a JWT access
 * token, but revoking the refresh token revokes its grant, and the resource server refuses every token
 * of a revoked grant (`gid`) within a second. It lives ADMIN_CONSOLE_SESSION_SECONDS from sign-in,
 * rotation included: a console session never outlives a working day.
 */
export const ADMIN_CONSOLE_CLIENT_ID = 'csmcp-admin-console';
export const ADMIN_CONSOLE_CALLBACK_PATH = '/admin/callback';
export const ADMIN_CONSOLE_SCOPE = 'admin';
/** The admin API's audience (ADMIN_API_RESOURCE_PATH). */
export const ADMIN_CONSOLE_RESOURCE_PATH = '/mcp';
export const ADMIN_CONSOLE_SESSION_SECONDS = 8 * 3600;

export function adminConsoleClient(issuer: string): ClientMetadata {
  return {
    client_id: ADMIN_CONSOLE_CLIENT_ID,
    client_name: 'csmcp admin console',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [`${issuer}${ADMIN_CONSOLE_CALLBACK_PATH}`],
    scope: ADMIN_CONSOLE_SCOPE,
    // Web, not native, even on a loopback issuer: the redirect URI must match exactly, port included, so
    // no other local app can receive the code; that is what lets the first-party console skip consent.
    application_type: 'web',
    csmcp_context: 'personal',
  };
}

/** How long a console refresh token lives: what is left of the first one's lifetime when rotated. */
export function adminConsoleRefreshTtl(rotatedRemaining: number | undefined): number {
  return rotatedRemaining === undefined ? ADMIN_CONSOLE_SESSION_SECONDS : Math.max(0, Math.min(rotatedRemaining, ADMIN_CONSOLE_SESSION_SECONDS));
}
