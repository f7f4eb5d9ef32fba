/**
 * Why a connector request was refused or failed. Stable codes: never rename one. The CLI maps the
 * VALIDATION, NOT_FOUND, CONFLICT and ILLEGAL_STATE categories to exit 2 (wrong usage) and the rest
 * to exit 1; the admin API will map the category to an HTTP status; brief sources show the message.
 */
const CATEGORY_OF = {
  VALIDATION: 'VALIDATION',
  CONNECTOR_NOT_FOUND: 'NOT_FOUND',
  USER_NOT_FOUND: 'NOT_FOUND',
  ALREADY_EXISTS: 'CONFLICT',
  NO_AUTHORIZATION_NEEDED: 'ILLEGAL_STATE',
  COMPANY_AUTHORIZATION_FIRST: 'ILLEGAL_STATE',
  NOT_USER_SPECIFIC: 'ILLEGAL_STATE',
  TOKEN_KEY_MISSING: 'ILLEGAL_STATE',
  /** A machine client (client credentials) asked for what only a person can do: authorise their own account. */
  NOT_A_USER: 'ILLEGAL_STATE',
  /** Nobody authorised it yet (for this user, or for the organisation). */
  NOT_AUTHORIZED: 'AUTHORIZATION',
  /** It was authorised, but the grant was revoked or expired, or the server refuses csmcp's client. */
  NEEDS_REAUTHORIZATION: 'AUTHORIZATION',
  /** The server wants a scope the authorization lacks. */
  INSUFFICIENT_SCOPE: 'AUTHORIZATION',
  AUTHORIZATION_FAILED: 'AUTHORIZATION',
  /** The authorization server does not support S256 PKCE, which the MCP authorization spec requires. */
  PKCE_NOT_SUPPORTED: 'AUTHORIZATION',
  /** An SSRF guard refused a URL (a private address, a scheme, a size or time limit). */
  FETCH_REFUSED: 'CONNECTION',
  CONNECTION_FAILED: 'CONNECTION',
  TIMEOUT: 'CONNECTION',
  PROTOCOL_ERROR: 'CONNECTION',
} as const;

export type ConnectorErrorCode = keyof typeof CATEGORY_OF;
export type ConnectorErrorCategory = (typeof CATEGORY_OF)[ConnectorErrorCode];

export class ConnectorError extends Error {
  readonly category: ConnectorErrorCategory;

  constructor(
    readonly code: ConnectorErrorCode,
    message: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ConnectorError';
    this.category = CATEGORY_OF[code];
  }

  /** A mistake of whoever asked (exit 2), rather than the external server or the network failing (exit 1). */
  get isUsageError(): boolean {
    return this.category === 'VALIDATION' || this.category === 'NOT_FOUND' || this.category === 'CONFLICT' || this.category === 'ILLEGAL_STATE';
  }
}
