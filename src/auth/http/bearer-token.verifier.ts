import type { Principal } from '../principal';
import type { TokenRequestContext } from '../jwt/jwt-access-token.verifier';
import { JwtRejectedError } from '../jwt/jwt-rejected.error';
import { PAT_PREFIX } from '../tokens/personal-access-token';
import type { PrincipalRateLimiter } from './principal-rate-limiter';

/** Anything that turns a bearer token into a Principal. */
export interface TokenVerifier {
  verify(bearer: string, context?: TokenRequestContext): Promise<Principal>;
  /**
   * The request budgets of the principals it admits (bearerAuthMiddleware counts each authenticated
   * request): on the app's one verifier, so that /mcp and /admin/api share them. Absent or null = none.
   */
  readonly rateLimiter?: PrincipalRateLimiter | null;
}

/** Three base64url segments: a signed JWT (JWS compact). An encrypted one (five segments) is not accepted. */
export function looksLikeJwt(bearer: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(bearer);
}

/**
 * The two kinds of bearer token csmcp accepts: its personal access tokens (`csmcp_pat_…`, looked up
 * in the store; not bound to an audience) and JWT access tokens from the configured authorization
 * server (bound to the MCP resource by `aud`). Anything else goes to the personal access token
 * verifier, which refuses it as malformed.
 */
export class BearerTokenVerifier implements TokenVerifier {
  constructor(
    private readonly personal: TokenVerifier,
    private readonly jwt: TokenVerifier | null,
    readonly rateLimiter: PrincipalRateLimiter | null = null,
  ) {}

  /** Whether JWT access tokens are accepted (an authorization server is configured). */
  get acceptsJwt(): boolean {
    return this.jwt !== null;
  }

  verify(bearer: string, context?: TokenRequestContext): Promise<Principal> {
    if (!bearer.startsWith(PAT_PREFIX) && looksLikeJwt(bearer)) {
      if (!this.jwt) return Promise.reject(new JwtRejectedError('not_accepted'));
      return this.jwt.verify(bearer, context);
    }
    return this.personal.verify(bearer);
  }
}
