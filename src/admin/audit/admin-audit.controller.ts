import { Controller, Get, Inject, Param, Query, UseFilters } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import type { SqlExecutor } from '@csmcp/projections';
import type { AuditLog } from '../../audit/audit-log';
import { AUDIT_LOG } from '../../audit/audit.tokens';
import { parseAuditHead, verifyAuditLog, type VerifyReport } from '../../audit/audit-verifier';
import { GetAuditEntryQuery, type AuditEntryDetail } from '../../audit/queries/get-audit-entry/get-audit-entry.query';
import { QueryAuditLogQuery, type QueryAuditLogResult } from '../../audit/queries/query-audit-log/query-audit-log.query';
import { EVENT_STORE, READ_MODEL_DB } from '../../infrastructure/tokens';
import { AdminApiError } from '../http/admin-api-error';
import { AdminErrorFilter } from '../http/admin-error.filter';
import { queryParams } from '../http/query-params';
import { auditLogInput } from './audit-params';
import { AuditReadModel } from './audit-read-model';

/**
 * The audit log, as `csmcp audit`, `audit verify` and `audit head`: the same query and the same
 * verification, read after everything appended before the request is in the read model. Answers are
 * the query's own (`{ items, nextCursor }`, each entry whole), as `csmcp audit --json` prints them.
 */
@Controller('admin/api/audit')
@UseFilters(AdminErrorFilter)
export class AdminAuditController {
  constructor(
    private readonly queries: QueryBus,
    private readonly readModel: AuditReadModel,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODEL_DB) private readonly db: SqlExecutor,
    @Inject(AUDIT_LOG) private readonly log: AuditLog,
  ) {}

  /** Newest first, filtered; follow nextCursor for the next page. */
  @Get()
  async list(@Query() query: Record<string, unknown>): Promise<QueryAuditLogResult> {
    const input = auditLogInput(query);
    await this.readModel.atHead();
    return this.queries.execute(new QueryAuditLogQuery(input));
  }

  /**
   * The whole chain and every read-model row checked; with expectHead (an earlier head, "seq:hash")
   * also that the log still holds it. A broken log is an answer (ok: false, where and why), not an error.
   */
  @Get('verify')
  async verify(@Query() query: Record<string, unknown>): Promise<VerifyReport> {
    const { expectHead } = queryParams(query, ['expectHead']);
    const expected = expectHead === undefined ? undefined : parseAuditHead(expectHead);
    if (expected === null)
      throw new AdminApiError(400, 'VALIDATION', `expectHead must be "seq:hash" as GET /admin/api/audit/head or csmcp audit head gives it (the entry's number, a colon, its hash of 64 hex digits); got ${JSON.stringify(expectHead)}`, {
        field: 'expectHead',
      });
    await this.readModel.atHead();
    return verifyAuditLog(this.store, this.db, expected);
  }

  /** The last entry's seq and hash, to keep elsewhere and pass to verify later (truncation shows); nulls for an empty log. */
  @Get('head')
  async head(@Query() query: Record<string, unknown>): Promise<{ seq: number | null; hash: string | null }> {
    queryParams(query, []);
    return (await this.log.refresh()).head ?? { seq: null, hash: null };
  }

  /** One entry whole: for a write, the events written and each field changed with its old and new value. */
  @Get(':seq')
  async entry(@Param('seq') seq: string, @Query() query: Record<string, unknown>): Promise<AuditEntryDetail> {
    queryParams(query, []);
    await this.readModel.atHead();
    // Not digits: the query refuses it, quoting what was sent.
    return this.queries.execute(new GetAuditEntryQuery(/^\d{1,15}$/.test(seq) ? Number(seq) : seq));
  }
}
