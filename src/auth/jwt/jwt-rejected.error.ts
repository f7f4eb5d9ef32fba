import { InvalidTokenError, type InvalidTokenReason } from '../tokens/invalid-token.error';

/** Why a JWT access token was refused, finer than InvalidTokenReason. */
export type JwtRejection =
  | 'malformed'
  | 'not_accepted'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'missing_claim'
  | 'bad_signature'
  | 'unknown_key'
  | 'algorithm'
  | 'wrong_type'
  | 'revoked'
  | 'no_user_claim'
  | 'unknown_user'
  | 'email_unverified'
  | 'integration_disabled'
  | 'not_machine_client';

/** Details that make a message precise; none of them comes from the token. */
export interface JwtRejectionDetails {
  /** The audience that was expected (wrong_audience). */
  readonly audience?: string;
  /** The claim in question (missing_claim, no_user_claim, unknown_user). */
  readonly claim?: string;
  /** The integration's name (integration_disabled). */
  readonly integration?: string;
}

const COARSE: Record<JwtRejection, InvalidTokenReason> = {
  malformed: 'malformed',
  not_accepted: 'malformed',
  expired: 'expired',
  not_yet_valid: 'unknown',
  wrong_issuer: 'unknown',
  wrong_audience: 'unknown',
  missing_claim: 'malformed',
  bad_signature: 'unknown',
  unknown_key: 'unknown',
  algorithm: 'unknown',
  wrong_type: 'malformed',
  revoked: 'revoked',
  no_user_claim: 'user_gone',
  unknown_user: 'user_gone',
  email_unverified: 'user_gone',
  integration_disabled: 'unknown',
  not_machine_client: 'unknown',
};

function message(reason: JwtRejection, details: JwtRejectionDetails): string {
  switch (reason) {
    case 'malformed':
      return 'The bearer token is not a well-formed signed JWT';
    case 'not_accepted':
      return 'This server accepts no JWT access tokens (no authorization server is configured); use a csmcp personal access token';
    case 'expired':
      return 'The access token has expired; get a new one';
    case 'not_yet_valid':
      return 'The access token is not valid yet (its nbf or iat is in the future); check the clocks';
    case 'wrong_issuer':
      return 'The access token was issued by another authorization server than the one this server trusts';
    case 'wrong_audience':
      return `The access token is meant for another resource: its aud does not list ${details.audience ?? 'this MCP endpoint'}`;
    case 'missing_claim':
      return `The access token lacks the ${details.claim ?? 'required'} claim`;
    case 'bad_signature':
      return 'The access token signature does not verify';
    case 'unknown_key':
      return 'The access token is signed with a key the authorization server does not publish';
    case 'algorithm':
      return 'The access token is signed with an algorithm this server does not accept (RS, PS, ES or EdDSA only)';
    case 'wrong_type':
      return 'The token is a JWT of another type, not an OAuth access token (typ at+jwt)';
    case 'revoked':
      return 'The access token was revoked; get a new one';
    case 'no_user_claim':
      return `The access token has no ${details.claim ?? 'user'} claim naming a csmcp user`;
    case 'unknown_user':
      return `There is no csmcp user for this token's ${details.claim ?? 'user'}; an admin adds users with csmcp users add`;
    case 'email_unverified':
      return 'The authorization server says the email of this token is not verified';
    case 'integration_disabled':
      return `The integration ${details.integration ?? 'this token was issued to'} is disabled; an admin can enable it again (csmcp integrations enable)`;
    case 'not_machine_client':
      return 'The access token stands for a client that may not act on its own: only a confidential integration with shared access and the client_credentials grant may (csmcp integrations update --grant-types)';
  }
}

/**
 * A JWT access token cannot be used. An InvalidTokenError (the bearer middleware answers 401
 * invalid_token with the message), with the precise reason in `rejection`. The message never
 * contains the token or anything taken from it, only characters RFC 6750 allows in error_description.
 */
export class JwtRejectedError extends InvalidTokenError {
  constructor(
    readonly rejection: JwtRejection,
    details: JwtRejectionDetails = {},
  ) {
    super(COARSE[rejection]);
    this.message = message(rejection, details);
    this.name = 'JwtRejectedError';
  }
}

/**
 * The authorization server's keys or metadata cannot be fetched right now: not the token's fault, so
 * not invalid_token (a client would throw its token away) but 503, try again.
 */
export class AuthorizationServerUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthorizationServerUnavailableError';
  }
}
