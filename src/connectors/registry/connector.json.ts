import type { GrantRecord } from '../state/connector-state.store';
import type { Connector } from './connector';
import type { ConnectorFieldChange } from './connector.events';

/** A connector as scripts and the admin API see it: snake_case, never a secret. One shape for `csmcp connectors … --json` and /admin/api. */
export interface ConnectorJson {
  readonly name: string;
  readonly id: string;
  readonly url: string;
  readonly transport: string;
  readonly auth: string;
  readonly client_id: string | null;
  readonly has_client_secret: boolean;
  readonly grant: string | null;
  readonly scopes: string[];
  readonly authorization_scope: string;
  readonly allowed_hosts: string[];
  readonly company_authorized_at: string | null;
  readonly registered_at: string;
  readonly updated_at: string;
}

export function connectorJson(c: Connector): ConnectorJson {
  return {
    name: c.name,
    id: c.id,
    url: c.url,
    transport: c.transport,
    auth: c.authKind,
    client_id: c.clientId,
    has_client_secret: c.hasClientSecret,
    grant: c.grant,
    scopes: c.scopes,
    authorization_scope: c.authorizationScope,
    allowed_hosts: c.allowedHosts,
    company_authorized_at: c.companyAuthorizedAt,
    registered_at: c.registeredAt,
    updated_at: c.updatedAt,
  };
}

const FIELD_JSON: Readonly<Record<ConnectorFieldChange['field'], string>> = {
  url: 'url',
  transport: 'transport',
  authKind: 'auth',
  clientId: 'client_id',
  grant: 'grant',
  scopes: 'scopes',
  authorizationScope: 'authorization_scope',
  allowedHosts: 'allowed_hosts',
  clientSecret: 'client_secret',
};

export function connectorChangeJson(c: ConnectorFieldChange): { field: string; from: string | string[] | null; to: string | string[] | null } {
  return { field: FIELD_JSON[c.field], from: c.from, to: c.to };
}

/** One grant's state (the organisation's or a user's), never its tokens. */
export interface GrantJson {
  readonly subject: string;
  readonly user_email: string | null;
  readonly status: string;
  readonly problem: string | null;
  readonly authorized_at: string | null;
  readonly refreshed_at: string | null;
  readonly expires_at: string | null;
}

export function grantJson(g: Omit<GrantRecord, 'tokens'>): GrantJson {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    subject: g.subject === 'company' ? 'company' : 'user',
    user_email: g.userEmail,
    status: g.status === 'pending' ? 'not_authorized' : g.status,
    problem: g.problem,
    authorized_at: iso(g.authorizedAt),
    refreshed_at: iso(g.refreshedAt),
    expires_at: iso(g.expiresAt),
  };
}
