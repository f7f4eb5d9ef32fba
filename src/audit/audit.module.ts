import { Global, Module } from '@nestjs/common';
import type { EventStore } from '@csmcp/event-store';
import { ProjectionRegistry } from '../infrastructure/projection-registry';
import { EVENT_STORE, READ_MODEL_DB } from '../infrastructure/tokens';
import type { SqlExecutor } from '@csmcp/projections';
import { RevertService } from './revert/revert.service';
import { IntegrationService } from '../auth/integrations/integration.service';
import { AuditLog } from './audit-log';
import { AUDIT_LOG } from './audit.tokens';
import { creditTargetDirectory } from './credits/credit-targets';
import { CreditsService } from './credits/credits.service';
import { GetAuditEntryHandler } from './queries/get-audit-entry/get-audit-entry.handler';
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
    {
      provide: CreditsService,
      useFactory: (log: AuditLog, store: EventStore, integrations: IntegrationService) => new CreditsService(log, creditTargetDirectory(store, integrations)),
      // IntegrationService: from the global AuthModule.
      inject: [AUDIT_LOG, EVENT_STORE, IntegrationService],
    },
    {
      provide: RevertService,
      useFactory: (store: EventStore, log: AuditLog, db: SqlExecutor) => new RevertService(store, log, db),
      inject: [EVENT_STORE, AUDIT_LOG, READ_MODEL_DB],
    },
    QueryAuditLogHandler,
    GetAuditEntryHandler,
    GetCreditUsageHandler,
    GetCreditBalanceHandler,
  ],
  exports: [AUDIT_LOG, CreditsService, RevertService],
})
export class AuditModule {
  constructor(registry: ProjectionRegistry) {
    registry.register(new AuditProjection());
  }
}
