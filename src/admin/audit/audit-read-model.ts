import { Inject, Injectable } from '@nestjs/common';
import type { EventStore } from '@csmcp/event-store';
import { ProjectionHost } from '../../infrastructure/infrastructure.module';
import { EVENT_STORE } from '../../infrastructure/tokens';

/**
 * The audit log's read model (audit_log) as of this request: an admin who just watched a tool call
 * happen, or granted credits, finds it listed, in the usage report and in a verification. Waits for
 * the server's projection runner to apply everything appended before the request (no polling: the
 * runner wakes the waiter); the store not answering in time is 503 TEMPORARILY_UNAVAILABLE.
 */
@Injectable()
export class AuditReadModel {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projections: ProjectionHost,
  ) {}

  async atHead(): Promise<void> {
    const head = await this.store.headPosition();
    if (head !== null) await this.projections.runner.waitForPosition(head, { projections: ['audit'] });
  }
}
