import type { INestApplicationContext } from '@nestjs/common';
import type { EventStore } from '@csmcp/event-store';
import type { AuditActor } from '../../audit/domain/audit-entry';
import { CreditInputError } from '../../audit/credits/credits.service';
import { CLI_ACTOR } from '../../customer-success/companies/commands/admin-context';
import { QueryError } from '../../customer-success/queries/shared/query-error';
import { ProjectionHost } from '../../infrastructure/infrastructure.module';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { UsageError } from '../errors';
import { findAdmin } from './import/find-admin';

/** Who an admin command is recorded as: the admin named by --as, or the command line itself. */
export async function cliActor(store: EventStore, as: string | undefined): Promise<AuditActor> {
  if (!as) return { type: 'system', id: CLI_ACTOR.id, email: null };
  const admin = await findAdmin(store, as);
  return { type: 'user', id: admin.id, email: admin.type === 'user' ? admin.email : null };
}

/**
 * The CLI runs no projections, so before it reads the audit read model it brings that one up to the
 * log's head (safe beside a running server: the runner's checkpoints are transactional).
 */
export async function auditReadModelCaughtUp(app: INestApplicationContext): Promise<void> {
  const store = app.get<EventStore>(EVENT_STORE);
  const runner = app.get(ProjectionHost).runner;
  const head = await store.headPosition();
  // Started even on an empty store: starting sets the read model's tables up.
  await runner.start();
  try {
    if (head !== null) await runner.waitForPosition(head, { projections: ['audit'], timeoutMs: 600_000 });
  } finally {
    await runner.stop();
  }
}

/** Refused input (a bad filter, amount or date) is a usage error: exit 2, the message, no stack. */
export async function asUsage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof QueryError || error instanceof CreditInputError) throw new UsageError(error.message);
    throw error;
  }
}

export function integerOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${name} must be a whole number; got ${JSON.stringify(value)}`);
  return Number(value);
}
