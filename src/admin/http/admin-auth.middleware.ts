import { Inject, Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import type { Request, Response } from 'express';
import { bearerAuthMiddleware, principalOf, sendInsufficientScope, type BearerResponse } from '../../auth/http/bearer-auth.middleware';
import { BearerTokenVerifier } from '../../auth/http/bearer-token.verifier';
import { protectedResourceMetadataUrl, publicBaseUrl } from '../../auth/http/public-base-url';
import { hasScope } from '../../auth/principal';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../infrastructure/tokens';
import { clientAddress } from '../../net/client-address';
import type { AdminErrorBody } from './admin-api-error';

/**
 * The admin API is not an OAuth resource of its own: it belongs to the csmcp resource server whose
 * resource is `<base>/mcp` (docs/admin-api.md). A JWT access token must name that in `aud`; personal
 * access tokens have no audience. Either way the token needs the admin scope, and its user the admin role.
 */
export const ADMIN_API_RESOURCE_PATH = '/mcp';

/**
 * The door of every /admin/api request, in order: `Cache-Control: no-store` on whatever follows; the
 * bearer token, checked exactly as at the MCP endpoint (bearerAuthMiddleware: personal access tokens,
 * JWTs of the built-in or external authorization server, revoked grants, disabled integrations, IP
 * allow-lists); then the role (403 forbidden) and the admin scope (403 insufficient_scope).
 * Refusals keep their RFC 6750 challenge in WWW-Authenticate; the body is the admin API's error shape.
 */
@Injectable()
export class AdminAuthMiddleware implements NestMiddleware {
  private readonly logger = new Logger('AdminApi');
  private readonly authenticate: (req: Request, res: BearerResponse, next: () => void) => void;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    verifier: BearerTokenVerifier,
  ) {
    this.authenticate = bearerAuthMiddleware<Request, BearerResponse>(verifier, {
      resourceMetadataUrl: (req) => this.resourceMetadataUrl(req),
      resource: (req) => `${publicBaseUrl(config, req)}${ADMIN_API_RESOURCE_PATH}`,
      challengeScope: 'admin',
      // IP allow-lists see the client behind TRUSTED_PROXIES, as at the MCP endpoint.
      clientAddress: (req) => clientAddress(req, config.trustedProxies ?? []),
      onError: (error) => this.logger.error({ err: error, msg: 'access token check failed' }),
    });
  }

  use(req: Request, res: Response, next: (error?: unknown) => void): void {
    res.setHeader('Cache-Control', 'no-store');
    const out = adminShaped(res);
    this.authenticate(req, out, () => {
      const principal = principalOf(req)!;
      // The role first: a non-admin's tokens never hold the admin scope (it follows the role), and
      // "you are not an admin" says more than "the token lacks a scope".
      if (principal.role !== 'admin') {
        out.status(403).json({
          error: 'forbidden',
          error_description: `The admin API is for admins: ${principal.email ?? principal.name} is ${article(principal.role)} ${principal.role}. An admin can change a role with PATCH /admin/api/users/{user_id} or csmcp users set-role`,
        });
        return;
      }
      if (!hasScope(principal, 'admin')) return sendInsufficientScope(out, 'admin', this.resourceMetadataUrl(req));
      next();
    });
  }

  private resourceMetadataUrl(req: Request): string {
    return protectedResourceMetadataUrl(publicBaseUrl(this.config, req), ADMIN_API_RESOURCE_PATH);
  }
}

/**
 * The response as bearerAuthMiddleware writes it, its OAuth error body (`{ error, error_description }`)
 * reshaped into the admin API's (`{ error: { code, message } }`); headers untouched.
 */
function adminShaped(res: Response): BearerResponse {
  const shaped: BearerResponse = {
    status(code: number) {
      res.status(code);
      return this;
    },
    setHeader: (name, value) => res.setHeader(name, value),
    json(body: unknown) {
      const oauth = body as { error?: unknown; error_description?: unknown };
      const reshaped: AdminErrorBody = { error: { code: String(oauth.error ?? 'server_error'), message: String(oauth.error_description ?? '') } };
      return res.json(reshaped);
    },
  };
  return shaped;
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}
