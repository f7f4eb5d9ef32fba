import { decodeJwt } from 'jose';
import type { EventStore } from '@csmcp/event-store';
import { AddressNotAllowedError } from '../http/address-not-allowed.error';
import type { TokenVerifier } from '../http/bearer-token.verifier';
import { MCP_RESOURCE_PATHS } from '../http/protected-resource.controller';
import { JwtAccessTokenVerifier, storeUsers, type TokenRequestContext } from '../jwt/jwt-access-token.verifier';
import { JwtRejectedError } from '../jwt/jwt-rejected.error';
import { localKeySet } from '../jwt/key-sets';
import { ipAllowed } from '../integrations/ip-allow-list';
import { IntegrationService } from '../integrations/integration.service';
import type { Integration } from '../integrations/integration';
import type { MachineClient, Principal } from '../principal';
import type { OAuthStateStore } from './oauth-state.store';

const MAX_ISSUERS = 16;

/**
 * The built-in issuer is the base URL the MCP resource hangs off. The longest MCP path is matched
 * first: `/v1/ds-mcp/mcp` also ends with `/mcp`, and taking that would make the issuer `<base>/v1/ds-mcp`.
 */
export function issuerOfResource(resource: string): string {
  const path = [...MCP_RESOURCE_PATHS].sort((a, b) => b.length - a.length).find((p) => resource.endsWith(p)) ?? '';
  return resource.slice(0, resource.length - path.length);
}

/**
 * An integration as a machine client: only a confidential one with shared access that (still) allows
 * the client credentials grant, as provider-configuration's integrationClient issues such tokens.
 * Whether it is enabled is checked with every token (followIntegration), as for users' tokens.
 */
export function machineClientOf(integration: Integration | null): MachineClient | null {
  if (!integration?.confidential || integration.accessContext !== 'shared' || !integration.grantTypes.includes('client_credentials')) return null;
  return { clientId: integration.clientId, name: integration.name, scopes: integration.scopes };
}

/**
 * The MCP endpoint's check of the built-in authorization server's access tokens: ES256 at+jwt, signed
 * with the shared key, `iss` = csmcp's public base URL the request came to, `aud` = the MCP URL, `sub`
 * = a csmcp user id, `gid` not a revoked grant (OAuthStateStore). The access context is the one the
 * token was issued with (`ctx`, from the integration). A client credentials token (`sub` = its
 * `client_id`) stands for the machine client itself (machineClientPrincipal): shared access, the
 * scopes of the token that the integration still allows.
 *
 * A token issued to an integration (client_id = its integration id) follows that integration as it is
 * now (the registry, kept ≤ 1 s): the Principal gets its name; a disabled integration's tokens are
 * refused (invalid_token); a request from outside its IP allow-list is AddressNotAllowedError (403).
 * Tokens of dynamically registered clients have no integration and are taken as they are.
 */
export class BuiltInIssuerVerifier implements TokenVerifier {
  private readonly verifiers = new Map<string, JwtAccessTokenVerifier>();

  constructor(
    private readonly store: EventStore,
    private readonly state: OAuthStateStore,
    /**
     * The authorization server's public keys; given the kid a token names, it reads them again first
     * when that kid is unknown (OAuthServer.publicJwks: a rotation made elsewhere is accepted at once).
     */
    private readonly publicJwks: (kid?: string) => Promise<import('jose').JSONWebKeySet>,
    /** The integrations registry; give the application's one to share its cache (default: one of its own on `store`). */
    private readonly integrations: Pick<IntegrationService, 'get'> = new IntegrationService(store),
  ) {}

  async verify(bearer: string, context?: TokenRequestContext): Promise<Principal> {
    const verifier = this.verifierFor(context);
    const principal = await verifier.verify(bearer, context);
    // Verified above (signature, issuer, audience): the claim can be trusted now.
    const shared = decodeJwt(bearer)['ctx'] === 'shared';
    const verified: Principal = shared ? { ...principal, accessContext: 'shared' } : principal;
    return this.followIntegration(verified, context);
  }

  private async followIntegration(principal: Principal, context: TokenRequestContext | undefined): Promise<Principal> {
    if (principal.integrationId === null) return principal;
    const integration = await this.integrations.get(principal.integrationId);
    if (!integration) return principal;
    if (!integration.enabled) throw new JwtRejectedError('integration_disabled', { integration: integration.name });
    const address = context?.sourceIp ?? null;
    if (!ipAllowed(integration.ipAllowList, address)) throw new AddressNotAllowedError(address, integration.name);
    return { ...principal, integrationName: integration.name };
  }

  private verifierFor(context: TokenRequestContext | undefined): JwtAccessTokenVerifier {
    const issuer = issuerOfResource(context?.resource ?? '');
    let verifier = this.verifiers.get(issuer);
    if (!verifier) {
      if (this.verifiers.size >= MAX_ISSUERS) this.verifiers.delete(this.verifiers.keys().next().value as string);
      verifier = new JwtAccessTokenVerifier({
        issuer,
        // Read for each verification (the key set is cached ≤ 5 s): a retired key is refused as soon as it is gone.
        keys: async (header, token) => localKeySet(await this.publicJwks(header.kid))(header, token),
        audience: null,
        users: storeUsers(this.store),
        userClaim: 'sub',
        userMatch: 'user_id',
        requireAtJwtType: true,
        revocations: { isRevoked: async ({ grantId }) => grantId !== null && (await this.state.grantRevoked(grantId)) },
        machineClients: { byClientId: async (clientId) => machineClientOf(await this.integrations.get(clientId)) },
      });
      this.verifiers.set(issuer, verifier);
    }
    return verifier;
  }
}
