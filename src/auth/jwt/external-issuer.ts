import type { EventStore } from '@csmcp/event-store';
import type { ExternalAuthorizationServerConfig } from '../../config/config';
import { JwtAccessTokenVerifier, storeUsers } from './jwt-access-token.verifier';
import { discoveredKeySet, remoteKeySet } from './key-sets';

/**
 * The verifier for an authorization server the company already runs (OAUTH_*): its keys from
 * OAUTH_JWKS_URL or its metadata, tokens for this MCP endpoint (or OAUTH_AUDIENCE), users matched by
 * OAUTH_USER_CLAIM. No revocation list: such tokens stand until they expire, so keep them short.
 */
export function externalIssuerVerifier(config: ExternalAuthorizationServerConfig, store: EventStore): JwtAccessTokenVerifier {
  return new JwtAccessTokenVerifier({
    issuer: config.issuer,
    keys: config.jwksUrl ? remoteKeySet(config.jwksUrl) : discoveredKeySet(config.issuer),
    audience: config.audience,
    users: storeUsers(store),
    userClaim: config.userClaim,
    userMatch: config.userMatch,
    accessContext: config.accessContext,
  });
}
