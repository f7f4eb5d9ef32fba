import { SCOPES } from '../principal';
import type { ClientMetadata } from './client-metadata';

/**
 * Whether a client_id is written as a URL (any scheme). Such a client_id can only be a Client ID
 * Metadata Document: csmcp's own client ids (integrations, DCR) never contain "://". Sending every
 * URL-shaped id down that path means an http:// client_id is refused for what it is (not https)
 * instead of as an unknown client.
 */
export function namesMetadataDocument(clientId: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(clientId);
}

/**
 * The authorization server's client for a Client ID Metadata Document that CimdFetcher fetched and
 * validated (kind cimd): a public client (token_endpoint_auth_method none; private_key_jwt is refused
 * while validating), its redirect URIs exactly as published, personal access only (like DCR clients:
 * nobody at the company registered it). The declared scope restricts the client when it names any of
 * csmcp's scopes; scopes csmcp does not offer are dropped rather than refused, since a public document
 * is written for many servers.
 */
export function cimdClient(metadata: ClientMetadata): Record<string, unknown> {
  if (metadata.client_id === undefined) throw new TypeError('cimdClient: the metadata is not a client ID metadata document (no client_id)');
  const declared = (metadata.scope ?? '').split(' ').filter((s) => s !== '');
  const offered = declared.filter((s): s is (typeof SCOPES)[number] => (SCOPES as readonly string[]).includes(s));
  return {
    client_id: metadata.client_id,
    ...(metadata.client_name === undefined ? {} : { client_name: metadata.client_name }),
    redirect_uris: [...metadata.redirect_uris],
    grant_types: [...metadata.grant_types],
    response_types: [...metadata.response_types],
    token_endpoint_auth_method: 'none',
    ...(offered.length > 0 ? { scope: [...(declared.includes('openid') ? ['openid'] : []), ...offered].join(' ') } : {}),
    csmcp_context: 'personal',
  };
}

/** The host (with a port other than 443) that published a client's metadata document; null for a client csmcp registered. */
export function metadataDocumentHost(clientId: string): string | null {
  if (!namesMetadataDocument(clientId)) return null;
  try {
    return new URL(clientId).host || null;
  } catch {
    return null;
  }
}
