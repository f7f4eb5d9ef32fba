/**
 * Why a sign-in through the identity provider was refused: a stable code, the HTTP status of the page
 * that says so, and a message for the person signing in (what happened, what to do). Never a token,
 * a secret or a response body of the identity provider.
 */
export const IDP_REFUSALS = {
  /** Discovery, the token request or the UserInfo request failed (network, 5xx, not JSON). */
  IDP_UNAVAILABLE: 502,
  /** The user cancelled or was not allowed at the identity provider (error=access_denied). */
  IDP_DENIED: 403,
  /** The identity provider answered the authorization request with another error. */
  IDP_ERROR: 502,
  /** The identity provider refused the code exchange (e.g. invalid_grant, invalid_client). */
  TOKEN_REFUSED: 502,
  /** The callback's state is not the one this browser was sent off with. */
  STATE_MISMATCH: 403,
  /** No sign-in through the identity provider is pending in this browser (expired, or another browser). */
  SIGN_IN_EXPIRED: 400,
  /** The callback came back from another issuer than the configured one (RFC 9207 iss). */
  ISSUER_MISMATCH: 403,
  /** The callback carries neither a code nor an error. */
  NOT_A_CALLBACK: 400,
  /** The email claim is missing or not an email address. */
  NO_EMAIL: 403,
  /** email_verified is false. */
  EMAIL_NOT_VERIFIED: 403,
  /** The email's domain is not in IDP_ALLOWED_DOMAINS. */
  DOMAIN_NOT_ALLOWED: 403,
  /** No csmcp user has this email, and IDP_CREATE_USERS is not set. */
  UNKNOWN_USER: 403,
  /** csmcp itself failed (e.g. its store did not answer): logged, the page says so. */
  INTERNAL_ERROR: 500,
} as const;

export type IdpRefusalCode = keyof typeof IDP_REFUSALS;

export class IdpSignInRefused extends Error {
  readonly status: number;

  constructor(
    readonly code: IdpRefusalCode,
    message: string,
    /** The email the identity provider named, when known: for the log line, never shown to someone else. */
    readonly email?: string,
  ) {
    super(message);
    this.name = 'IdpSignInRefused';
    this.status = IDP_REFUSALS[code];
  }
}
