import { Global, Module } from '@nestjs/common';
import type { EventStore } from '@csmcp/event-store';
import { ProjectionRegistry } from '../infrastructure/projection-registry';
import { EVENT_STORE } from '../infrastructure/tokens';
import { AuditLog } from './audit-log';
import { AUDIT_LOG } from './audit.tokens';
import { CreditsService } from './credits/credits.service';
import { GetCreditBalanceHandler } from './queries/get-credit-balance/get-credit-balance.handler';
import { GetCreditUsageHandler } from './queries/get-credit-usage/get-credit-usage.handler';
import { QueryAuditLogHandler } from './queries/query-audit-log/query-audit-log.handler';
import { AuditProjection } from './read-model/audit.projection';

/**
 * The audit trail and credit ledger (one hash-chained stream, see domain/audit-entry.ts): the
 * process's AuditLog, the admin's CreditsService, the audit read model and its queries. Global: the
 * write pipeline, the MCP layer, the admin API and the CLI all record to or read from it.
 */
@Global()
@Module({
  providers: [
    { provide: AUDIT_LOG, useFactory: (store: EventStore) => new AuditLog(store), inject: [EVENT_STORE] },
    { provide: CreditsService, useFactory: (log: AuditLog) => new CreditsService(log), inject: [AUDIT_LOG] },
    QueryAuditLogHandler,
    GetCreditUsageHandler,
    GetCreditBalanceHandler,
  ],
  exports: [AUDIT_LOG, CreditsService],
})
export class AuditModule {
  constructor(registry: ProjectionRegistry) {
    registry.register(new AuditProjection());
  }
}
