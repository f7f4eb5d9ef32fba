/** Why a bearer token was refused. Each message is safe to send back in error_description. */
export type InvalidTokenReason = 'malformed' | 'unknown' | 'expired' | 'revoked' | 'user_gone';

const MESSAGES: Record<InvalidTokenReason, string> = {
  malformed: 'The bearer token is not a csmcp access token',
  unknown: 'The access token is not known to this server; it may be mistyped or from another server',
  expired: 'The access token has expired; get a new one',
  revoked: 'The access token was revoked; get a new one',
  user_gone: 'The user this access token was issued to no longer exists',
};

/**
 * The token cannot be used. The message never contains the token and holds only characters RFC 6750
 * allows in error_description (no quotes or backslashes).
 */
export class InvalidTokenError extends Error {
  constructor(readonly reason: InvalidTokenReason) {
    super(MESSAGES[reason]);
    this.name = 'InvalidTokenError';
  }
}
