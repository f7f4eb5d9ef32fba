import { StoreUnavailableError } from '@csmcp/event-store';
import { ProjectionTimeoutError } from '@csmcp/projections';
import { CreditTargetNotFoundError } from '../../audit/credits/credit-targets';
import { CreditInputError } from '../../audit/credits/credits.service';
import { RevertRefusedError } from '../../audit/revert/revert.service';
import { IntegrationError } from '../../auth/integrations/integration-error';
import { PasswordRuleError } from '../../auth/passwords/password-hash';
import { QueryError } from '../../customer-success/queries/shared/query-error';
import { DomainError, type DomainErrorCategory } from '../../customer-success/shared/domain-error';
import { InputValidationError } from '../../customer-success/write/write-errors';
import { PolicyConfigError } from '../../governance/write-policy';

/** What every refusal of the admin API answers: `{ error: { code, message, details? } }`. */
export interface AdminErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: Record<string, unknown>;
  };
}

/**
 * A refusal of the admin API itself (not of a service it calls): the request's shape, the route, the
 * caller. The message says what was wrong and what is allowed.
 */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }
}

const STATUS_OF: Record<DomainErrorCategory, number> = { VALIDATION: 400, NOT_FOUND: 404, ILLEGAL_STATE: 409, CONFLICT: 409 };

/**
 * The one mapping from what the services throw to HTTP (the CLI maps the same errors to exit codes,
 * MCP to tool results). Null for anything unexpected: the caller logs it and answers 500 without its message.
 */
export function adminErrorOf(error: unknown): { status: number; body: AdminErrorBody } | null {
  const answer = (status: number, code: string, message: string, details?: Record<string, unknown>) => ({
    status,
    body: { error: { code, message, ...(details ? { details } : {}) } },
  });
  if (error instanceof AdminApiError) return answer(error.status, error.code, error.message, error.details);
  if (error instanceof IntegrationError) return answer(STATUS_OF[error.category], error.code, error.message, error.field ? { field: error.field } : undefined);
  if (error instanceof PolicyConfigError) return answer(400, error.code, error.message, { field: error.field });
  if (error instanceof InputValidationError)
    return answer(400, error.code, error.message, { field: error.problems[0]?.field, problems: error.problems.map((p) => ({ ...p })) });
  if (error instanceof DomainError) return answer(STATUS_OF[error.category], error.code, error.message, error.field ? { field: error.field } : undefined);
  // The read side's refusals: a filter or cursor that is not allowed (the field is the query parameter), an entry that is not there.
  if (error instanceof QueryError) return answer(error.code === 'NOT_FOUND' ? 404 : 400, error.code, error.message, error.field ? { field: error.field } : undefined);
  if (error instanceof CreditInputError) return answer(400, error.code, error.message, { field: error.field });
  if (error instanceof CreditTargetNotFoundError)
    return answer(404, error.code, `${error.message}; GET /admin/api/${error.scope === 'user' ? 'users' : 'integrations'} lists them`, { field: error.field });
  // A write that cannot be undone as things stand (changed since, reverted already, not a write): nothing was changed.
  if (error instanceof RevertRefusedError) return answer(409, error.code, error.message);
  if (error instanceof PasswordRuleError) return answer(400, 'VALIDATION', `password: ${error.message}`, { field: 'password' });
  if (error instanceof StoreUnavailableError || error instanceof ProjectionTimeoutError)
    return answer(503, 'TEMPORARILY_UNAVAILABLE', 'The store cannot answer right now; try again in a moment');
  return null;
}
