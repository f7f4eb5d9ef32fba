import { SCOPES, type Scope } from '../principal';

/**
 * An integration: an OAuth client an admin registers for a connector (ChatGPT, Claude, Copilot
 * Studio, any MCP client). Its client id is also its integration id everywhere else: the write
 * policy's per-integration tool switches and the `integration` of every event it causes.
 */

export const INTEGRATION_PRESETS = ['chatgpt', 'claude', 'copilot_studio', 'custom'] as const;
export type IntegrationPreset = (typeof INTEGRATION_PRESETS)[number];

/** personal: the LLM sees what the signed-in user may see; shared: the whole organisation's data. */
export const ACCESS_CONTEXTS = ['personal', 'shared'] as const;
export type AccessContext = (typeof ACCESS_CONTEXTS)[number];

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** How the client authenticates at the token endpoint (RFC 7591 names); none = a public client (PKCE only). */
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

export const INTEGRATION_SCOPES = SCOPES;
export type IntegrationScope = Scope;

/** What an admin sets (and may change, except the access context and whether the client is public). */
export interface IntegrationSettings {
  readonly name: string;
  readonly redirectUris: string[];
  readonly scopes: Scope[];
  readonly accessContext: AccessContext;
  readonly grantTypes: GrantType[];
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** CIDR ranges in canonical form; empty = every address. */
  readonly ipAllowList: string[];
}

/** One client secret's validity, never the secret nor its hash. */
export interface SecretValidity {
  readonly issuedAt: string;
  /** null: valid until the next rotation. */
  readonly validUntil: string | null;
}

/** An integration as the service returns it: no secret and no secret hash, ever. */
export interface Integration extends IntegrationSettings {
  readonly clientId: string;
  readonly preset: IntegrationPreset;
  /** false for public clients (token endpoint auth method none): they have no secret. */
  readonly confidential: boolean;
  readonly enabled: boolean;
  readonly registeredAt: string;
  readonly updatedAt: string;
  /** The secrets that still work (the current one, and an old one during a rotation's grace period). */
  readonly secrets: SecretValidity[];
}
