import { ConcurrencyError, StoreUnavailableError } from '@csmcp/event-store';
import { CreditRefusalError } from '../../audit/audit-log';
import { CreditInputError } from '../../audit/credits/credits.service';
import { ProjectionTimeoutError } from '@csmcp/projections';
import { AnalysisQueryError } from '../../customer-success/analysis';
import { ConnectorError } from '../../connectors/registry/connector-error';
import { QueryError } from '../../customer-success/queries/shared/query-error';
import { DomainError } from '../../customer-success/shared/domain-error';
import { IdempotencyKeyReusedError, InputValidationError, PolicyRefusalError, type FieldProblem } from '../../customer-success/write/write-errors';
import { AdminOnlyError } from './admin/admin-tool';
import { camelToSnake } from './shared/case';

export type { FieldProblem };

/** What a tool call answers when it is refused: a stable code an LLM can branch on, and what to do. */
export interface ToolError {
  readonly code: string;
  readonly message: string;
  readonly problems?: FieldProblem[];
}

// Deciders name fields as the domain does (dueDate); the tools' arguments are snake_case (due_date).
const DOMAIN_FIELDS = [
  'companyId', 'relationshipId', 'successPlanId', 'ownerId', 'ctaId', 'activityId', 'taskId', 'dueDate', 'startDate', 'occurredAt',
  'contextKind', 'contextId', 'idempotencyKey',
];
const DOMAIN_FIELD_PATTERN = new RegExp(`\\b(${DOMAIN_FIELDS.join('|')})\\b`, 'g');

/**
 * Maps the errors a tool may throw to stable codes; null for anything unexpected (the server logs
 * it and answers a generic INTERNAL error, without the stack or the message).
 */
export function toToolError(error: unknown): ToolError | null {
  if (error instanceof InputValidationError) return { code: 'VALIDATION', message: error.message, problems: error.problems.map((p) => ({ ...p })) };
  if (error instanceof PolicyRefusalError) return { code: error.code, message: error.message };
  if (error instanceof IdempotencyKeyReusedError) return { code: error.code, message: error.message };
  if (error instanceof AdminOnlyError) return { code: error.code, message: error.message };
  if (error instanceof CreditRefusalError) return { code: error.code, message: error.message };
  if (error instanceof CreditInputError) return { code: 'VALIDATION', message: error.message, problems: [{ field: error.field, problem: error.message }] };
  if (error instanceof AnalysisQueryError)
    return { code: error.code, message: error.message, problems: error.problems.map((p) => ({ field: p.path, problem: p.message })) };
  if (error instanceof QueryError) {
    const problems = error.field !== undefined ? [{ field: error.field, problem: error.message }] : undefined;
    return { code: error.code, message: error.message, ...(problems ? { problems } : {}) };
  }
  if (error instanceof DomainError) {
    const message = error.message.replace(DOMAIN_FIELD_PATTERN, (word) => camelToSnake(word));
    const problems = error.field !== undefined ? [{ field: camelToSnake(error.field), problem: message }] : undefined;
    return { code: error.code, message, ...(problems ? { problems } : {}) };
  }
  // Connectors (authorize_connector): the code, and a message that says what to do.
  if (error instanceof ConnectorError) return { code: error.code, message: error.message };
  if (error instanceof StoreUnavailableError)
    return {
      code: 'UNAVAILABLE',
      message: `The data store is temporarily unavailable${UNAVAILABLE_CAUSE[error.reason]}, retry shortly (a write: with the same idempotency_key, so it cannot happen twice).`,
    };
  if (error instanceof ProjectionTimeoutError)
    return { code: 'UNAVAILABLE', message: 'The read side is still catching up with recent writes and is temporarily unavailable, retry shortly.' };
  // The write pipeline retries concurrent changes; this only escapes when they kept colliding.
  if (error instanceof ConcurrencyError)
    return { code: 'CONFLICT', message: 'The record was being changed by someone else at the same time; read it again and retry.' };
  return null;
}

/** The cause, when the database named it: the caller cannot fix either, but can tell an operator. */
const UNAVAILABLE_CAUSE: Readonly<Record<StoreUnavailableError['reason'], string>> = {
  disk_full: ' (its disk is full: an operator has to free space)',
  read_only: ' (its files are read-only: an operator has to make them writable)',
  unknown: '',
};

/** Codes of calls that failed on csmcp's side (the others were refused: the caller can change something). */
const FAILURE_CODES = new Set(['INTERNAL', 'UNAVAILABLE', 'CONFLICT']);

export function outcomeOfError(code: string): 'refused' | 'failed' {
  return FAILURE_CODES.has(code) ? 'failed' : 'refused';
}
