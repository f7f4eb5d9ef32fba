import { createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { AuthorizationServerUnavailableError } from './jwt-rejected.error';

/** Where the verifier gets the public key for a token's header: a JSON Web Key Set, local or remote. */
export type KeySet = JWTVerifyGetKey;

/** How long a key set request may take, and how soon an unknown `kid` may fetch the set again. */
export const JWKS_TIMEOUT_MS = 5_000;
export const JWKS_COOLDOWN_MS = 30_000;
/** How long fetched keys are used before they are fetched again (rotation without an unknown kid). */
export const JWKS_MAX_AGE_MS = 10 * 60_000;
/** After a failed metadata discovery, requests fail at once for this long instead of each trying again. */
export const DISCOVERY_RETRY_MS = 10_000;

/** A key set held in memory, e.g. the built-in authorization server's own public keys. */
export function localKeySet(jwks: JSONWebKeySet): KeySet {
  return createLocalJWKSet(jwks);
}

/**
 * The key set at `url`, fetched on first use and cached by jose: refetched after JWKS_MAX_AGE_MS, or
 * when a token names an unknown `kid` (at most once per JWKS_COOLDOWN_MS, so forged kids cannot make
 * csmcp hammer the authorization server). A failed fetch is AuthorizationServerUnavailableError (503).
 */
export function remoteKeySet(url: string): KeySet {
  return unavailableOnFetchFailure(
    createRemoteJWKSet(new URL(url), { timeoutDuration: JWKS_TIMEOUT_MS, cooldownDuration: JWKS_COOLDOWN_MS, cacheMaxAge: JWKS_MAX_AGE_MS }),
    url,
  );
}

/**
 * The key set of the authorization server `issuer`, whose `jwks_uri` is read from its metadata
 * (RFC 8414, then OpenID Connect Discovery) on first use. csmcp starts even while the authorization
 * server is down; requests then get 503 until it answers.
 */
export function discoveredKeySet(issuer: string, fetchImpl: typeof fetch = fetch): KeySet {
  let keys: Promise<KeySet> | null = null;
  let failedAt = 0;
  return async (header, token) => {
    if (!keys || (failedAt > 0 && Date.now() - failedAt >= DISCOVERY_RETRY_MS)) {
      failedAt = 0;
      const attempt = discoverJwksUri(issuer, fetchImpl).then(remoteKeySet);
      attempt.catch(() => (failedAt = Date.now()));
      keys = attempt;
    }
    return (await keys)(header, token);
  };
}

/** Where an issuer's metadata may be, in the order MCP clients try them (RFC 8414 §3.1, OpenID Connect Discovery §4). */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  const origin = url.origin;
  return path === ''
    ? [`${origin}/.well-known/oauth-authorization-server`, `${origin}/.well-known/openid-configuration`]
    : [
        `${origin}/.well-known/oauth-authorization-server${path}`,
        `${origin}/.well-known/openid-configuration${path}`,
        `${origin}${path}/.well-known/openid-configuration`,
      ];
}

/** The `jwks_uri` of `issuer`, from the first metadata document that answers; its `issuer` must be exactly ours. */
export async function discoverJwksUri(issuer: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  const tried: string[] = [];
  for (const url of metadataUrls(issuer)) {
    let response: Response;
    try {
      response = await fetchImpl(url, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(JWKS_TIMEOUT_MS) });
    } catch (cause) {
      tried.push(`${url} (${cause instanceof Error && cause.name === 'TimeoutError' ? 'timed out' : 'unreachable'})`);
      continue;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      tried.push(`${url} (HTTP ${response.status})`);
      continue;
    }
    let metadata: { issuer?: unknown; jwks_uri?: unknown };
    try {
      metadata = (await response.json()) as typeof metadata;
    } catch (cause) {
      throw new AuthorizationServerUnavailableError(`The authorization server metadata at ${url} is not JSON`, { cause });
    }
    // RFC 8414 §3.3: a document naming another issuer must not be used (it could send us to foreign keys).
    if (metadata.issuer !== issuer)
      throw new AuthorizationServerUnavailableError(`The authorization server metadata at ${url} names issuer ${JSON.stringify(metadata.issuer)}, not OAUTH_ISSUER ${issuer}`);
    if (typeof metadata.jwks_uri !== 'string' || !isKeySetUrl(metadata.jwks_uri))
      throw new AuthorizationServerUnavailableError(`The authorization server metadata at ${url} has no usable jwks_uri (https, or http on a loopback host); set OAUTH_JWKS_URL`);
    return metadata.jwks_uri;
  }
  throw new AuthorizationServerUnavailableError(`No authorization server metadata found for ${issuer}: ${tried.join(', ')}; set OAUTH_JWKS_URL`);
}

function isKeySetUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i.test(url.hostname));
  } catch {
    return false;
  }
}

/** Keys that cannot be had are the authorization server's problem (503), not the token's; a missing key stays the token's. */
function unavailableOnFetchFailure(keys: KeySet, url: string): KeySet {
  return async (header, token) => {
    try {
      return await keys(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys || error instanceof errors.JOSENotSupported) throw error;
      throw new AuthorizationServerUnavailableError(`The authorization server key set at ${url} cannot be fetched right now`, { cause: error });
    }
  };
}
