import { Controller, HttpCode, Param, Post, Req, UseFilters } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { Request } from 'express';
import { GetAuditEntryQuery } from '../../audit/queries/get-audit-entry/get-audit-entry.query';
import { QueryAuditLogQuery } from '../../audit/queries/query-audit-log/query-audit-log.query';
import { RevertService, type RevertOutcome } from '../../audit/revert/revert.service';
import { AuditReadModel } from '../audit/audit-read-model';
import { AdminApiError } from '../http/admin-api-error';
import { auditActorOf } from '../http/admin-caller';
import { AdminErrorFilter } from '../http/admin-error.filter';
import { fieldsOf, type FieldSpec } from '../http/fields';
import { readAdminJsonBody } from '../http/json-body';

/** Both reverts take why, kept in the WriteReverted entry. */
const REVERT = { reason: { kind: 'string' } } as const satisfies FieldSpec;
const MAX_REASON = 500;

export interface SessionRevertAnswer {
  readonly sessionId: string;
  /** How many records were put back, and how many were refused (each outcome says why). */
  readonly reverted: number;
  readonly refused: number;
  readonly outcomes: readonly RevertOutcome[];
}

/**
 * `csmcp audit revert` over HTTP: one LLM write, or every successful write of one MCP session, undone
 * with compensating events through RevertService, recorded as the admin of the token. Answers are the
 * service's outcomes (camelCase, as `csmcp audit revert --json` prints them); a write that cannot be
 * undone (changed since, reverted already, not a write) is 409 REVERT_REFUSED with the service's reason.
 */
@Controller('admin/api')
@UseFilters(AdminErrorFilter)
export class AdminRevertController {
  constructor(
    private readonly reverts: RevertService,
    private readonly queries: QueryBus,
    private readonly readModel: AuditReadModel,
  ) {}

  /** 200 with the outcome: the WriteReverted entry (revertSeq) and each field put back (changes, old → new). */
  @Post('audit/:seq/revert')
  @HttpCode(200)
  async revertEntry(@Req() req: Request, @Param('seq') seq: string): Promise<RevertOutcome> {
    const reason = reasonOf(fieldsOf(await readAdminJsonBody(req), REVERT).reason);
    await this.readModel.atHead();
    // As GET /audit/{seq}: not a number is 400 INVALID_QUERY, no such entry 404 NOT_FOUND naming the log's range.
    const entry = await this.queries.execute(new GetAuditEntryQuery(/^\d{1,15}$/.test(seq) ? Number(seq) : seq));
    return this.reverts.revertEntry(entry.seq, reason, auditActorOf(req));
  }

  /**
   * 200 with one outcome per record the session wrote: reverted (with its WriteReverted entry and
   * changes) or not (with the reason); one record refused does not stop the others.
   */
  @Post('sessions/:sessionId/revert')
  @HttpCode(200)
  async revertSession(@Req() req: Request, @Param('sessionId') sessionId: string): Promise<SessionRevertAnswer> {
    const reason = reasonOf(fieldsOf(await readAdminJsonBody(req), REVERT).reason);
    // The service finds the session's writes in the audit read model: everything recorded before this request.
    await this.readModel.atHead();
    const seen = await this.queries.execute(new QueryAuditLogQuery({ session: sessionId, limit: 1 }));
    if (seen.items.length === 0)
      throw new AdminApiError(404, 'NOT_FOUND', `No audit entry names the MCP session ${JSON.stringify(sessionId)}; an entry's session is in GET /admin/api/audit/{seq} (sessionId)`, {
        field: 'sessionId',
      });
    const outcomes = await this.reverts.revertSession(sessionId, reason, auditActorOf(req));
    const reverted = outcomes.filter((o) => o.reverted).length;
    return { sessionId, reverted, refused: outcomes.length - reverted, outcomes };
  }
}

/** Why, as credits grants ask it: 1 to 500 characters once trimmed. */
function reasonOf(reason: string | undefined): string {
  const why = reason?.trim() ?? '';
  if (why.length === 0 || why.length > MAX_REASON)
    throw new AdminApiError(400, 'INVALID_INPUT', `reason is required: say why in 1 to ${MAX_REASON} characters (it is kept in the audit log)`, { field: 'reason' });
  return why;
}
