import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The one piece of state a sign-in through the identity provider keeps between requests: a cookie,
 * signed (HMAC-SHA256) with a key of csmcp's, so every instance reads it and no browser can forge it.
 * While the user is at the identity provider it holds the interaction, the `state` and the PKCE
 * verifier (passport-oauth2's state store, with the browser as the session); after the callback, the
 * interaction and the user it signed in, for the one step that finishes the interaction (the
 * provider's interaction cookie is scoped to the interaction's own path, which the fixed callback
 * URL is not). HttpOnly, SameSite=Lax (the identity provider's redirect back is a top-level GET),
 * Secure on https.
 */
export const IDP_COOKIE = 'csmcp_idp';
/** Sent to every interaction page and the callback, nothing else. */
export const IDP_COOKIE_PATH = '/oauth/interaction';

export type IdpCookie =
  | { readonly kind: 'pending'; readonly uid: string; readonly state: string; readonly verifier: string; readonly exp: number }
  | { readonly kind: 'signed-in'; readonly uid: string; readonly userId: string; readonly exp: number };

/** How long a user may take at the identity provider (the interaction itself lives 10 minutes). */
export const PENDING_TTL_MS = 10 * 60_000;
/** The redirect from the callback to the interaction is immediate. */
export const SIGNED_IN_TTL_MS = 60_000;

/** A key of its own, derived from csmcp's cookie key: a CSRF token can never pass for a cookie. */
export function idpCookieKey(cookieKey: string): Buffer {
  return createHmac('sha256', cookieKey).update('csmcp identity provider sign-in cookie').digest();
}

export function sealIdpCookie(key: Buffer, value: IdpCookie): string {
  const body = Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

/** The cookie's value if it is ours, intact and not expired at `now` (ms); else null. */
export function openIdpCookie(key: Buffer, sealed: string | undefined, now: number): IdpCookie | null {
  if (!sealed || sealed.length > 4096) return null;
  const dot = sealed.indexOf('.');
  if (dot < 0) return null;
  const body = sealed.slice(0, dot);
  const presented = Buffer.from(sealed.slice(dot + 1), 'base64url');
  const expected = createHmac('sha256', key).update(body).digest();
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return null;
  let value: IdpCookie;
  try {
    value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as IdpCookie;
  } catch {
    return null;
  }
  return typeof value?.exp === 'number' && value.exp > now ? value : null;
}

/** The Set-Cookie header value; maxAgeMs 0 clears it. */
export function idpCookieHeader(sealed: string, options: { readonly secure: boolean; readonly maxAgeMs: number }): string {
  return [
    `${IDP_COOKIE}=${options.maxAgeMs > 0 ? sealed : ''}`,
    `Path=${IDP_COOKIE_PATH}`,
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeMs / 1000))}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

/** The raw value of our cookie in a Cookie header, if there is exactly one. */
export function idpCookieFrom(cookieHeader: string | undefined): string | undefined {
  const values = (cookieHeader ?? '')
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${IDP_COOKIE}=`))
    .map((part) => part.slice(IDP_COOKIE.length + 1));
  return values.length === 1 ? values[0] : undefined;
}
