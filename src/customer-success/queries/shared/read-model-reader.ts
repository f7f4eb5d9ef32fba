import { Inject, Injectable } from '@nestjs/common';
import type { Position } from '@csmcp/event-store';
import type { SqlExecutor, WaitForPositionOptions } from '@csmcp/projections';
import { ProjectionHost } from '../../../infrastructure/infrastructure.module';
import { READ_MODEL_DB } from '../../../infrastructure/tokens';
import { optionalPosition } from './input';

/** What the reader needs of the projection host: the runner, built lazily once projections are registered. */
export interface PositionWaiter {
  readonly runner: { waitForPosition(position: Position, options?: WaitForPositionOptions): Promise<void> };
}

/** The projections the cs_* and cs_users tables come from. */
export const READ_SIDE_PROJECTIONS = ['customer_success', 'users'] as const;

/**
 * The query side's access to the read models. `ready(after)` gives read-your-writes: given the
 * position an append returned, it resolves once the projections have applied it (no polling, no
 * sleeping: the runner wakes the waiter when its checkpoint passes the position).
 */
@Injectable()
export class ReadModelReader {
  constructor(
    @Inject(READ_MODEL_DB) readonly db: SqlExecutor,
    @Inject(ProjectionHost) private readonly host: PositionWaiter,
  ) {}

  async ready(after: unknown): Promise<SqlExecutor> {
    const position = optionalPosition(after);
    if (position !== null) await this.host.runner.waitForPosition(position, { projections: [...READ_SIDE_PROJECTIONS] });
    return this.db;
  }
}
