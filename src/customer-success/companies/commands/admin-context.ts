import { randomUUID } from 'node:crypto';
import type { EventMetadataInput } from '@csmcp/event-store';

/**
 * Who runs an admin write (an import, the seed, `users add`): never an MCP caller. Reference data
 * (companies, relationships, contacts, scorecards, users) is written only this way.
 */
export interface AdminContext {
  /** An admin user, or the CLI itself when no admin is named. */
  readonly actor: { readonly type: 'user'; readonly id: string; readonly email: string } | { readonly type: 'system'; readonly id: string; readonly name?: string };
  /** The CLI command or admin API call that asked: `import`, `seed`, `users add`, ... */
  readonly toolName: string;
  /** Groups every event of one run (one import file, one seed). Default: a new id per command. */
  readonly correlationId?: string;
  /** The clock, injectable for tests and the seed. */
  readonly now?: Date;
}

/** The metadata of every event an admin command writes. */
export function adminMetadata(context: AdminContext, commandId: string = randomUUID()): EventMetadataInput {
  const now = (context.now ?? new Date()).toISOString();
  return {
    actor: context.actor,
    correlationId: context.correlationId ?? commandId,
    causationId: commandId,
    accessContext: 'admin',
    toolName: context.toolName,
    occurredAt: now,
  };
}

/** The CLI acting on its own (no admin named): recorded as a system actor. */
export const CLI_ACTOR = { type: 'system', id: 'csmcp-cli', name: 'csmcp command line' } as const;
