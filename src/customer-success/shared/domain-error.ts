/**
 * The four kinds of domain refusal. A transport maps the category once (MCP tool result, HTTP status,
 * CLI exit code); the specific code tells a client exactly which rule refused.
 */
export type DomainErrorCategory = 'VALIDATION' | 'NOT_FOUND' | 'ILLEGAL_STATE' | 'CONFLICT';

const CATEGORY_OF = {
  VALIDATION: 'VALIDATION',
  NOTHING_TO_CHANGE: 'VALIDATION',
  DUE_DATE_BEFORE_START_DATE: 'VALIDATION',
  OCCURRED_AT_IN_FUTURE: 'VALIDATION',

  NOT_FOUND: 'NOT_FOUND',
  CTA_NOT_FOUND: 'NOT_FOUND',
  SUCCESS_PLAN_NOT_FOUND: 'NOT_FOUND',
  TIMELINE_ACTIVITY_NOT_FOUND: 'NOT_FOUND',

  ILLEGAL_STATE: 'ILLEGAL_STATE',
  CTA_CLOSED: 'ILLEGAL_STATE',
  REOPEN_NOT_ALLOWED: 'ILLEGAL_STATE',
  TASK_ON_CLOSED_CTA: 'ILLEGAL_STATE',
  SUCCESS_PLAN_FINISHED: 'ILLEGAL_STATE',

  CONFLICT: 'CONFLICT',
  ALREADY_EXISTS: 'CONFLICT',
  TASK_ALREADY_EXISTS: 'CONFLICT',
} as const satisfies Record<string, DomainErrorCategory>;

/** Stable codes: clients (and LLMs) may branch on them; never rename one. */
export type DomainErrorCode = keyof typeof CATEGORY_OF;

export const DOMAIN_ERROR_CODES = Object.keys(CATEGORY_OF) as DomainErrorCode[];

/**
 * A command refused by a decider. The message says what was wrong and what is allowed, in words an
 * LLM and a person can act on; `field` names the offending input field when there is one.
 */
export class DomainError extends Error {
  readonly category: DomainErrorCategory;
  readonly field?: string;

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    options: { field?: string } = {},
  ) {
    super(message);
    this.name = 'DomainError';
    this.category = CATEGORY_OF[code];
    if (options.field !== undefined) this.field = options.field;
  }
}
