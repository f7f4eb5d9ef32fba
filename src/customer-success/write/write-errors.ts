/**
 * Refusals of the write pipeline, with stable codes. Domain refusals are DomainError
 * (src/customer-success/shared/domain-error.ts); policy refusals carry the rule's code.
 */

export interface FieldProblem {
  readonly field: string;
  readonly problem: string;
}

/** The input does not have the shape the tool accepts: which field, what was wrong, what is allowed. */
export class InputValidationError extends Error {
  readonly code = 'VALIDATION' as const;
  constructor(readonly problems: FieldProblem[]) {
    super(`Invalid input: ${problems.map((p) => `${p.field}: ${p.problem}`).join('; ')}`);
    this.name = 'InputValidationError';
  }
}

/** The write policy refused the write. It was recorded; nothing was written. */
export class PolicyRefusalError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'PolicyRefusalError';
  }
}

/** The idempotency key was used before by this user for a different request. */
export class IdempotencyKeyReusedError extends Error {
  readonly code = 'IDEMPOTENCY_KEY_REUSED' as const;
  constructor(key: string, firstTool: string) {
    super(
      `idempotency_key "${key}" was already used for a different request (${firstTool} with other arguments); ` +
        'use a new key for a new request, or repeat the first request exactly to get its result',
    );
    this.name = 'IdempotencyKeyReusedError';
  }
}
