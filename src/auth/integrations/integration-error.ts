/**
 * Why an integration request was refused. The CLI maps every code to exit 2 (wrong usage); the admin
 * API will map the category to an HTTP status. Stable codes: never rename one.
 */
const CATEGORY_OF = {
  VALIDATION: 'VALIDATION',
  INVALID_REDIRECT_URI: 'VALIDATION',
  REDIRECT_URI_REQUIRED: 'VALIDATION',
  INVALID_SCOPE: 'VALIDATION',
  INVALID_IP_RANGE: 'VALIDATION',
  INVALID_GRANT_TYPES: 'VALIDATION',
  INTEGRATION_NOT_FOUND: 'NOT_FOUND',
  ACCESS_CONTEXT_FIXED: 'ILLEGAL_STATE',
  CONFIDENTIALITY_FIXED: 'ILLEGAL_STATE',
  PUBLIC_CLIENT_HAS_NO_SECRET: 'ILLEGAL_STATE',
  ALREADY_EXISTS: 'CONFLICT',
} as const;

export type IntegrationErrorCode = keyof typeof CATEGORY_OF;
export type IntegrationErrorCategory = (typeof CATEGORY_OF)[IntegrationErrorCode];

export class IntegrationError extends Error {
  readonly category: IntegrationErrorCategory;

  constructor(
    readonly code: IntegrationErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'IntegrationError';
    this.category = CATEGORY_OF[code];
  }
}
