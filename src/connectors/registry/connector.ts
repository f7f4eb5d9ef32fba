/**
 * An outbound connector: an external MCP server (support desk, CRM, internal tool) csmcp connects to as
 * an MCP client, so that its tools' data can go into account briefs. Its name is its identity in the
 * CLI and the admin API; its id keys the credentials csmcp keeps for it (a connector removed and added
 * again under the same name never inherits the old one's tokens).
 */

/** streamable_http: the current MCP transport; sse: the legacy HTTP+SSE one (2024-11-05); auto: the first, falling back to the second on a 4xx. */
export const CONNECTOR_TRANSPORTS = ['auto', 'streamable_http', 'sse'] as const;
export type ConnectorTransport = (typeof CONNECTOR_TRANSPORTS)[number];

/**
 * none: the server needs no authentication. oauth_dynamic: csmcp discovers the authorization server
 * and registers itself (a client ID metadata document where supported, else dynamic client
 * registration). oauth_client: a client id and secret the admin got from the provider's portal.
 */
export const CONNECTOR_AUTH_KINDS = ['none', 'oauth_dynamic', 'oauth_client'] as const;
export type ConnectorAuthKind = (typeof CONNECTOR_AUTH_KINDS)[number];

/** For oauth_client: a user (the admin, or each user) signs in, or csmcp authenticates as itself. */
export const CONNECTOR_GRANTS = ['authorization_code', 'client_credentials'] as const;
export type ConnectorGrant = (typeof CONNECTOR_GRANTS)[number];

/** company: one authorization by an admin, used for everyone. user: the admin first, then each user their own account. */
export const AUTHORIZATION_SCOPES = ['company', 'user'] as const;
export type AuthorizationScope = (typeof AUTHORIZATION_SCOPES)[number];

/** What an admin sets, as stored in the events (never the client secret: that is encrypted in the connectors' state database). */
export interface ConnectorSettings {
  readonly url: string;
  readonly transport: ConnectorTransport;
  readonly authKind: ConnectorAuthKind;
  /** oauth_client only. */
  readonly clientId: string | null;
  /** How tokens are obtained: authorization_code for oauth_dynamic, either for oauth_client, null for none. */
  readonly grant: ConnectorGrant | null;
  /** Scopes to ask for; empty = what the server asks for (WWW-Authenticate, then its scopes_supported). */
  readonly scopes: string[];
  readonly authorizationScope: AuthorizationScope;
  /** Hosts the admin allowed although they resolve to private or loopback addresses (host, host:port or IP). */
  readonly allowedHosts: string[];
}

export interface Connector extends ConnectorSettings {
  readonly id: string;
  readonly name: string;
  /** oauth_client: whether a client secret is stored. */
  readonly hasClientSecret: boolean;
  /** When an admin last authorised it for the organisation (null: never, or not since the authorization was reset). */
  readonly companyAuthorizedAt: string | null;
  readonly registeredAt: string;
  readonly updatedAt: string;
}

/** How a request is answered: the organisation's authorization or one user's. */
export type GrantSubject = { readonly kind: 'company' } | { readonly kind: 'user'; readonly userId: string; readonly email: string };

export function subjectKey(subject: GrantSubject): string {
  return subject.kind === 'company' ? 'company' : `user:${subject.userId}`;
}

export function describeSubject(subject: GrantSubject): string {
  return subject.kind === 'company' ? 'the organisation' : subject.email;
}

/** Whether a connector authenticates with OAuth (and so keeps tokens). */
export function usesOAuth(connector: Pick<ConnectorSettings, 'authKind'>): boolean {
  return connector.authKind !== 'none';
}

/** Whether authorising it means a person signing in at the provider (authorization code), not csmcp alone (client credentials). */
export function needsSignIn(connector: Pick<ConnectorSettings, 'authKind' | 'grant'>): boolean {
  return connector.authKind === 'oauth_dynamic' || (connector.authKind === 'oauth_client' && connector.grant === 'authorization_code');
}
