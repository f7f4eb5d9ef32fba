import { urlProblem, type IdentityProviderConfig } from './identity-provider.config';
import { IdpSignInRefused } from './idp-refusal';

export interface IdpEndpoints {
  readonly authorizationUrl: string;
  readonly tokenUrl: string;
  readonly userinfoUrl: string;
}

const DISCOVERY_TIMEOUT_MS = 10_000;
const MAX_DISCOVERY_BYTES = 256 * 1024;

/**
 * The identity provider's endpoints: those set explicitly (IDP_AUTHORIZATION_URL, IDP_TOKEN_URL,
 * IDP_USERINFO_URL), the rest from IDP_ISSUER's OpenID Connect discovery document, whose `issuer` must
 * be IDP_ISSUER exactly (OpenID Connect Discovery 1.0 §4.3) and whose endpoints must be https (http
 * only on loopback), as the variables must. A failure is IDP_UNAVAILABLE, naming what was wrong.
 */
export async function resolveIdpEndpoints(config: IdentityProviderConfig, fetchImpl: typeof fetch = fetch): Promise<IdpEndpoints> {
  const explicit = { authorizationUrl: config.authorizationUrl, tokenUrl: config.tokenUrl, userinfoUrl: config.userinfoUrl };
  if (explicit.authorizationUrl && explicit.tokenUrl && explicit.userinfoUrl) return explicit as IdpEndpoints;
  if (!config.issuer) throw new Error('IDP_ISSUER or all of IDP_AUTHORIZATION_URL, IDP_TOKEN_URL and IDP_USERINFO_URL must be set (checked at start)');

  const url = `${config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const unavailable = (why: string) =>
    new IdpSignInRefused('IDP_UNAVAILABLE', `csmcp could not read the configuration of ${config.name} (${url}): ${why}. Try again later, or sign in with your csmcp password.`);
  let metadata: Record<string, unknown>;
  try {
    const response = await fetchImpl(url, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) });
    if (!response.ok) throw unavailable(`it answered HTTP ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_DISCOVERY_BYTES) throw unavailable(`the document is larger than ${MAX_DISCOVERY_BYTES} bytes`);
    metadata = JSON.parse(text) as Record<string, unknown>;
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw unavailable('the document is not a JSON object');
  } catch (error) {
    if (error instanceof IdpSignInRefused) throw error;
    throw unavailable(error instanceof SyntaxError ? 'the document is not JSON' : `the request failed (${(error as Error).message})`);
  }
  if (metadata.issuer !== config.issuer) throw unavailable(`its issuer is ${JSON.stringify(metadata.issuer)}, not IDP_ISSUER ${JSON.stringify(config.issuer)}`);
  const endpoint = (explicitValue: string | null, field: string): string => {
    if (explicitValue) return explicitValue;
    const value = metadata[field];
    if (typeof value !== 'string' || urlProblem(value, false)) throw unavailable(`its ${field} is ${value === undefined ? 'missing' : `not an https URL (${JSON.stringify(value)})`}`);
    return value;
  };
  return {
    authorizationUrl: endpoint(explicit.authorizationUrl, 'authorization_endpoint'),
    tokenUrl: endpoint(explicit.tokenUrl, 'token_endpoint'),
    userinfoUrl: endpoint(explicit.userinfoUrl, 'userinfo_endpoint'),
  };
}
