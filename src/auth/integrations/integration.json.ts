import type { Integration } from './integration';
import type { IntegrationFieldChange } from './integration.events';

/**
 * An integration as scripts and the admin API see it: snake_case as in OAuth client metadata
 * (RFC 7591), never a secret or its hash. One shape for `csmcp integrations … --json` and /admin/api.
 */
export interface IntegrationJson {
  readonly client_id: string;
  readonly name: string;
  readonly preset: string;
  readonly redirect_uris: string[];
  readonly scopes: string[];
  readonly access_context: string;
  readonly grant_types: string[];
  readonly token_endpoint_auth_method: string;
  readonly confidential: boolean;
  readonly ip_allow_list: string[];
  readonly enabled: boolean;
  readonly registered_at: string;
  readonly updated_at: string;
  readonly secrets: Array<{ issued_at: string; valid_until: string | null }>;
}

export function integrationJson(i: Integration): IntegrationJson {
  return {
    client_id: i.clientId,
    name: i.name,
    preset: i.preset,
    redirect_uris: i.redirectUris,
    scopes: i.scopes,
    access_context: i.accessContext,
    grant_types: i.grantTypes,
    token_endpoint_auth_method: i.tokenEndpointAuthMethod,
    confidential: i.confidential,
    ip_allow_list: i.ipAllowList,
    enabled: i.enabled,
    registered_at: i.registeredAt,
    updated_at: i.updatedAt,
    secrets: i.secrets.map((s) => ({ issued_at: s.issuedAt, valid_until: s.validUntil })),
  };
}

/** The snake_case name of each updatable field, as in IntegrationJson (and IntegrationError.field). */
export const INTEGRATION_FIELD_JSON: Readonly<Record<IntegrationFieldChange['field'], string>> = {
  name: 'name',
  redirectUris: 'redirect_uris',
  scopes: 'scopes',
  accessContext: 'access_context',
  grantTypes: 'grant_types',
  tokenEndpointAuthMethod: 'token_endpoint_auth_method',
  ipAllowList: 'ip_allow_list',
};

export interface IntegrationChangeJson {
  readonly field: string;
  readonly from: string | string[];
  readonly to: string | string[];
}

export function integrationChangeJson(c: IntegrationFieldChange): IntegrationChangeJson {
  return { field: INTEGRATION_FIELD_JSON[c.field], from: c.from, to: c.to };
}
