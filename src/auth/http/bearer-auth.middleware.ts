import type { IncomingHttpHeaders } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { StoreUnavailableError } from '@csmcp/event-store';
import { AuthorizationServerUnavailableError } from '../jwt/jwt-rejected.error';
import { hasScope, type Principal, type Scope } from '../principal';
import { InvalidTokenError } from '../tokens/invalid-token.error';
import { AddressNotAllowedError } from './address-not-allowed.error';
import type { TokenVerifier } from './bearer-token.verifier';

export type { TokenVerifier } from './bearer-token.verifier';

/** The parts of an express request the middleware uses; it sets `auth` (the MCP SDK reads it from there). */
export interface BearerRequest {
  readonly headers: IncomingHttpHeaders;
  /** The path and query the request was sent to (a token in the query is refused). */
  readonly url?: string;
  /** The TCP peer: where the request comes from unless `clientAddress` says otherwise. */
  readonly socket?: { readonly remoteAddress?: string };
  auth?: AuthInfo;
}

/** The parts of an express response it uses. */
export interface BearerResponse {
  status(code: number): this;
  setHeader(name: string, value: string): unknown;
  json(body: unknown): unknown;
}

export type Next = (error?: unknown) => void;

export interface BearerAuthOptions<Req extends BearerRequest> {
  /** The Protected Resource Metadata URL to name in challenges, e.g. from publicBaseUrl + protectedResourceMetadataUrl. */
  readonly resourceMetadataUrl: (req: Req) => string;
  /**
   * The URL of the resource the request is addressed to (e.g. https://csmcp.example.com/mcp): JWT
   * access tokens must list it in `aud`. Without it only verifiers that need no audience work.
   */
  readonly resource?: (req: Req) => string;
  /** The scopes to ask for in 401 challenges (`scope="cs:read cs:write"`), for clients that sign in. */
  readonly challengeScope?: string;
  /**
   * A valid token must hold at least one of these, else 403 insufficient_scope naming the first
   * (e.g. the MCP endpoint: cs:read or cs:write to connect at all).
   */
  readonly requireAnyScope?: readonly Scope[];
  /**
   * Where the request comes from, for the IP allow-list of the integration a token was issued to
   * (behind trusted proxies: clientAddress of src/net); default the TCP peer's address.
   */
  readonly clientAddress?: (req: Req) => string | null;
  /**
   * The body of a 429 when the caller's request budget is spent (the verifier's rateLimiter), from
   * its message; default the OAuth-style `{ error: 'rate_limited', error_description }`.
   */
  readonly rateLimitedBody?: (message: string) => unknown;
  /** Told about failures that are not the caller's fault (the store is down), for the log. */
  readonly onError?: (error: unknown, req: Req) => void;
}

/** The principal a request was authenticated as (set by bearerAuthMiddleware), or undefined. */
export function principalOf(req: BearerRequest): Principal | undefined {
  return req.auth?.extra?.principal as Principal | undefined;
}

/**
 * Express-style middleware: a valid `Authorization: Bearer <token>` sets `req.auth` (the MCP SDK's
 * AuthInfo, the Principal in `extra.principal`) and calls next(); otherwise it answers 401 with the
 * challenge the MCP authorization spec asks for, which points the client at the resource metadata.
 * The token is never echoed back.
 */
export function bearerAuthMiddleware<Req extends BearerRequest, Res extends BearerResponse>(
  verifier: TokenVerifier,
  options: BearerAuthOptions<Req>,
): (req: Req, res: Res, next: Next) => void {
  const scope: Array<[string, string]> = options.challengeScope ? [['scope', options.challengeScope]] : [];
  return (req, res, next) => {
    // RFC 6750 §2.3 allows a token in the URI, where it ends up in logs, histories and Referer headers:
    // csmcp takes tokens only from the Authorization header and says so, whatever else the request holds.
    if (hasAccessTokenInQuery(req.url)) {
      challenge(
        res,
        400,
        [
          ['error', 'invalid_request'],
          ['error_description', QUERY_TOKEN_REFUSED],
          ['resource_metadata', options.resourceMetadataUrl(req)],
        ],
        { error: 'invalid_request', error_description: QUERY_TOKEN_REFUSED },
      );
      return;
    }
    const header = req.headers.authorization?.trim() ?? '';
    // No credentials (or another scheme): a bare challenge, no error code (RFC 6750 §3.1).
    if (!/^bearer(\s|$)/i.test(header)) {
      challenge(res, 401, [['resource_metadata', options.resourceMetadataUrl(req)], ...scope], {
        error: 'unauthorized',
        error_description: 'This endpoint needs an access token: send Authorization: Bearer <token>',
      });
      return;
    }
    const match = /^bearer\s+(\S+)$/i.exec(header);
    const failed = (error: InvalidTokenError) =>
      challenge(
        res,
        401,
        [['error', 'invalid_token'], ['error_description', error.message], ...scope, ['resource_metadata', options.resourceMetadataUrl(req)]],
        { error: 'invalid_token', error_description: error.message },
      );
    if (!match) return failed(new InvalidTokenError('malformed'));
    const sourceIp = options.clientAddress ? options.clientAddress(req) : (req.socket?.remoteAddress ?? null);
    const context = options.resource ? { resource: options.resource(req), sourceIp } : undefined;
    verifier.verify(match[1], context).then(
      (principal) => {
        const needed = options.requireAnyScope;
        if (needed && needed.length > 0 && !needed.some((s) => hasScope(principal, s)))
          return sendInsufficientScope(res, needed[0], options.resourceMetadataUrl(req));
        // Counted once the caller is known: 429 with when to retry, never 401 (the token is fine).
        const limited = verifier.rateLimiter?.check(principal);
        if (limited) {
          res.setHeader('Retry-After', String(limited.retryAfterSeconds));
          res.setHeader('Cache-Control', 'no-store');
          res.status(429).json(options.rateLimitedBody ? options.rateLimitedBody(limited.message) : { error: 'rate_limited', error_description: limited.message });
          return;
        }
        req.auth = {
          token: match[1],
          clientId: principal.integrationId ?? `${principal.tokenKind === 'personal_access_token' ? 'pat' : 'jwt'}:${principal.tokenId}`,
          scopes: [...principal.scopes],
          ...(principal.expiresAt !== null ? { expiresAt: principal.expiresAt } : {}),
          extra: { principal },
        };
        next();
      },
      (error: unknown) => {
        if (error instanceof InvalidTokenError) return failed(error);
        // The token is fine, the address is not: no challenge (signing in again would not help).
        if (error instanceof AddressNotAllowedError) {
          res.setHeader('Cache-Control', 'no-store');
          res.status(403).json({ error: 'access_denied', error_description: error.message });
          return;
        }
        options.onError?.(error, req);
        const unavailable = error instanceof StoreUnavailableError || error instanceof AuthorizationServerUnavailableError;
        if (unavailable) res.setHeader('Retry-After', '1');
        res.setHeader('Cache-Control', 'no-store');
        res.status(unavailable ? 503 : 500).json({
          error: unavailable ? 'temporarily_unavailable' : 'server_error',
          error_description: unavailable ? 'The access token cannot be checked right now; try again in a moment' : 'The access token could not be checked',
        });
      },
    );
  };
}

/** 403 for a valid token without the scope a tool or endpoint needs (RFC 6750 §3.1 insufficient_scope). */
export function sendInsufficientScope(res: BearerResponse, scope: string, resourceMetadataUrl: string): void {
  challenge(
    res,
    403,
    [
      ['error', 'insufficient_scope'],
      ['scope', scope],
      ['resource_metadata', resourceMetadataUrl],
    ],
    { error: 'insufficient_scope', error_description: `This needs the ${scope} scope, which the access token does not have` },
  );
}

const QUERY_TOKEN_REFUSED = 'Access tokens are not accepted in the URL query (they end up in logs); send Authorization: Bearer <token> instead';

/** Whether the query string has an access_token parameter (RFC 6750 §2.3), however it is encoded. */
function hasAccessTokenInQuery(url: string | undefined): boolean {
  const at = url?.indexOf('?') ?? -1;
  if (at < 0) return false;
  try {
    return new URLSearchParams(url!.slice(at + 1)).has('access_token');
  } catch {
    return /(^|&)access_token(=|&|$)/i.test(url!.slice(at + 1));
  }
}

function challenge(res: BearerResponse, status: number, params: Array<[string, string]>, body: { error: string; error_description: string }): void {
  res.setHeader('WWW-Authenticate', `Bearer ${params.map(([k, v]) => `${k}="${quoted(v)}"`).join(', ')}`);
  res.setHeader('Cache-Control', 'no-store');
  res.status(status).json(body);
}

/** RFC 6750 allows only %x20-21 / %x23-5B / %x5D-7E inside these values: no quotes, backslashes or control characters. */
function quoted(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '');
}
