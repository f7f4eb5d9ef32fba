import type { AppConfig } from '../../config/config';
import type { OAuthClientIdentity } from './connector-oauth-provider';

/** csmcp's callback for connector authorizations: the redirect URI admins add to a provider's allow-list. */
export const CONNECTOR_CALLBACK_PATH = '/connectors/oauth/callback';
/** csmcp's client ID metadata document as an OAuth client of external servers (published only on https). */
export const CONNECTOR_CLIENT_METADATA_PATH = '/connectors/oauth/client-metadata.json';

/**
 * How csmcp presents itself to the authorization servers of its connectors. The redirect URI is built
 * from PUBLIC_URL: the CLI prints authorization URLs without any request to take a host from, so
 * without PUBLIC_URL it is the address csmcp listens on (0.0.0.0 read as 127.0.0.1). A client ID
 * metadata document needs an https URL (the spec), so csmcp offers one only at an https PUBLIC_URL.
 */
export function oauthClientIdentity(config: Pick<AppConfig, 'publicUrl' | 'host' | 'port'>): OAuthClientIdentity {
  const base = connectorBaseUrl(config);
  const https = base.startsWith('https://');
  return {
    redirectUri: `${base}${CONNECTOR_CALLBACK_PATH}`,
    clientMetadataUrl: https ? `${base}${CONNECTOR_CLIENT_METADATA_PATH}` : null,
    clientName: 'csmcp',
    clientUri: https ? base : null,
  };
}

function connectorBaseUrl(config: Pick<AppConfig, 'publicUrl' | 'host' | 'port'>): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
  const host = config.host === '0.0.0.0' || config.host === '::' || config.host === '' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}`;
}

/** The client ID metadata document (draft-ietf-oauth-client-id-metadata-document) csmcp serves about itself. */
export function clientMetadataDocument(identity: OAuthClientIdentity): Record<string, unknown> | null {
  if (!identity.clientMetadataUrl) return null;
  return {
    client_id: identity.clientMetadataUrl,
    client_name: identity.clientName,
    ...(identity.clientUri ? { client_uri: identity.clientUri } : {}),
    redirect_uris: [identity.redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
}
