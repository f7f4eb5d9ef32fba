import { decodeJwt } from 'jose';
import type { EventStore } from '@csmcp/event-store';
import type { TokenVerifier } from '../http/bearer-token.verifier';
import { MCP_RESOURCE_PATHS } from '../http/protected-resource.controller';
import { JwtAccessTokenVerifier, storeUsers, type TokenRequestContext } from '../jwt/jwt-access-token.verifier';
import { localKeySet } from '../jwt/key-sets';
import type { Principal } from '../principal';
import type { OAuthStateStore } from './oauth-state.store';

const MAX_ISSUERS = 16;

/**
 * The MCP endpoint's check of the built-in authorization server's access tokens: ES256 at+jwt, signed
 * with the shared key, `iss` = csmcp's public base URL the request came to, `aud` = the MCP URL, `sub`
 * = a csmcp user id, `gid` not a revoked grant (OAuthStateStore). The access context is the one the
 * token was issued with (`ctx`, from the integration).
 */
export class BuiltInIssuerVerifier implements TokenVerifier {
  private readonly verifiers = new Map<string, JwtAccessTokenVerifier>();

  constructor(
    private readonly store: EventStore,
    private readonly state: OAuthStateStore,
    private readonly publicJwks: () => Promise<import('jose').JSONWebKeySet>,
  ) {}

  async verify(bearer: string, context?: TokenRequestContext): Promise<Principal> {
    const verifier = this.verifierFor(context);
    const principal = await verifier.verify(bearer, context);
    // Verified above (signature, issuer, audience): the claim can be trusted now.
    const shared = decodeJwt(bearer)['ctx'] === 'shared';
    return shared ? { ...principal, accessContext: 'shared' } : principal;
  }

  private verifierFor(context: TokenRequestContext | undefined): JwtAccessTokenVerifier {
    const resource = context?.resource ?? '';
    const path = MCP_RESOURCE_PATHS.find((p) => resource.endsWith(p)) ?? '';
    const issuer = resource.slice(0, resource.length - path.length);
    let verifier = this.verifiers.get(issuer);
    if (!verifier) {
      if (this.verifiers.size >= MAX_ISSUERS) this.verifiers.delete(this.verifiers.keys().next().value as string);
      verifier = new JwtAccessTokenVerifier({
        issuer,
        keys: async (header, token) => localKeySet(await this.publicJwks())(header, token),
        audience: null,
        users: storeUsers(this.store),
        userClaim: 'sub',
        userMatch: 'user_id',
        requireAtJwtType: true,
        revocations: { isRevoked: async ({ grantId }) => grantId !== null && (await this.state.grantRevoked(grantId)) },
      });
      this.verifiers.set(issuer, verifier);
    }
    return verifier;
  }
}
