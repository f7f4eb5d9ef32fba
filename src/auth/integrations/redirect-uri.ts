import { IntegrationError } from './integration-error';

/**
 * Redirect URIs of an integration. Registration refuses anything an attacker could use to steal a
 * code: other schemes (javascript:, data:, file:, custom app schemes), plain http off the machine,
 * fragments, credentials in the URL, wildcards. Authorization compares exactly (OAuth 2.1 §4.1.3),
 * except that a loopback http redirect may use any port (RFC 8252 §7.3: native apps get a port
 * from the OS at run time).
 */

/** Hosts that never leave the machine: http is allowed there only. As the URL parser writes them. */
export const LOOPBACK_HOSTS = ['127.0.0.1', '[::1]', 'localhost'] as const;
export const MAX_REDIRECT_URI_LENGTH = 2_000;
export const MAX_REDIRECT_URIS = 20;

const ALLOWED = 'use an https URL, or http on 127.0.0.1, [::1] or localhost';
// Whitespace and control characters: a URL pasted with a line break or a tab is a mistake, not a URL.
const SPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f]/;

function invalid(uri: string, problem: string): IntegrationError {
  const shown = uri.length > 80 ? `${uri.slice(0, 77)}...` : uri;
  return new IntegrationError('INVALID_REDIRECT_URI', `redirect URI ${JSON.stringify(shown)} ${problem}`, 'redirect_uris');
}

/** The redirect URI, trimmed, or an INVALID_REDIRECT_URI error saying what is wrong and what is allowed. */
export function checkRedirectUri(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new IntegrationError('INVALID_REDIRECT_URI', `a redirect URI must be a non-empty URL; ${ALLOWED}`, 'redirect_uris');
  const uri = value.trim();
  if (uri.length > MAX_REDIRECT_URI_LENGTH) throw invalid(uri, `has ${uri.length} characters; at most ${MAX_REDIRECT_URI_LENGTH} are allowed`);
  if (SPACE_OR_CONTROL.test(uri)) throw invalid(uri, 'contains spaces or control characters; give one URL per --redirect-uri');
  if (uri.includes('*')) throw invalid(uri, 'contains a wildcard; register each redirect URI exactly as the connector sends it');
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalid(uri, `is not an absolute URL; ${ALLOWED}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(uri, `has the scheme ${url.protocol} which is not allowed; ${ALLOWED}`);
  // A fragment is never sent to a server; OAuth forbids it in redirect URIs (RFC 6749 §3.1.2).
  if (uri.includes('#')) throw invalid(uri, 'has a fragment (#...), which a redirect URI must not have');
  if (url.username !== '' || url.password !== '') throw invalid(uri, 'contains a user name or password; remove them');
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname))
    throw invalid(uri, `uses http on ${url.hostname}; http is allowed only on 127.0.0.1, [::1] or localhost: use https`);
  return uri;
}

/** Checked, trimmed and without duplicates, in the given order. */
export function checkRedirectUris(values: readonly unknown[]): string[] {
  const uris = [...new Set(values.map(checkRedirectUri))];
  if (uris.length > MAX_REDIRECT_URIS)
    throw new IntegrationError('INVALID_REDIRECT_URI', `${uris.length} redirect URIs given; an integration may have at most ${MAX_REDIRECT_URIS}`, 'redirect_uris');
  return uris;
}

function isLoopbackHost(hostname: string): boolean {
  return (LOOPBACK_HOSTS as readonly string[]).includes(hostname);
}

/**
 * Whether `requested` (the redirect_uri of an authorization or token request) is one of `registered`:
 * the same string, or for a registered loopback http URI the same URI on another port.
 */
export function redirectUriAllowed(registered: readonly string[], requested: string): boolean {
  if (typeof requested !== 'string' || requested === '') return false;
  if (registered.includes(requested)) return true;
  const asked = loopbackParts(requested);
  if (asked === null) return false;
  return registered.some((uri) => {
    const parts = loopbackParts(uri);
    return parts !== null && parts.hostname === asked.hostname && parts.pathAndQuery === asked.pathAndQuery;
  });
}

/** An http loopback URI without port: null for anything else, or anything a registration would refuse. */
function loopbackParts(uri: string): { hostname: string; pathAndQuery: string } | null {
  if (uri.includes('#') || SPACE_OR_CONTROL.test(uri)) return null;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' || !isLoopbackHost(url.hostname) || url.username !== '' || url.password !== '') return null;
  return { hostname: url.hostname, pathAndQuery: url.pathname + url.search };
}
