import type { ToolCallRecording } from '../../audit/tool-call-recording';
import type { EventActor } from '@csmcp/event-store';
import type { UserRole } from '../../users/user.events';

/** Who is writing, through what, in reply to which request: the verified token and transport fill it in. */
export interface WriteCaller {
  /**
   * A user (absent = user), or a machine client (client credentials) writing for the organisation
   * with no user signed in: then userId is its client id (= integrationId) and email is null.
   */
  readonly actor?: 'user' | 'client';
  /** The user's id, or a machine client's client id: idempotency keys are per this id. */
  readonly userId: string;
  readonly email: string | null;
  readonly role: UserRole;
  /** personal: sees and writes only what the user may see; shared: the organisation's data. */
  readonly accessContext: 'shared' | 'personal';
  readonly integrationId: string | null;
  readonly integrationName: string | null;
  /** Owners whose companies the caller may see; null = all (shared context, admins). */
  readonly visibleOwnerIds: readonly string[] | null;
}

/** Who the events of a write name as their actor: the user, or the machine client by its id and name. */
export function actorOf(caller: WriteCaller): EventActor {
  if (caller.actor === 'client') return { type: 'client', id: caller.userId, name: caller.integrationName ?? caller.userId };
  return { type: 'user', id: caller.userId, ...(caller.email !== null ? { email: caller.email } : {}) };
}

export interface WriteRequestInfo {
  /** The MCP tool (create_cta, ...) or the CLI command that asked for the write. */
  readonly toolName: string;
  readonly mcpSessionId?: string | null;
  readonly mcpRequestId?: string | number | null;
  readonly correlationId?: string | null;
  readonly sourceIp?: string | null;
  /** A repeat with the same key from the same user returns the first result and writes nothing. */
  readonly idempotencyKey?: string | null;
  /**
   * An MCP tool call on its way to the audit log: the pipeline records it (and charges it) in the
   * same transaction as the write, or records the refusal. Absent for CLI writes (seed, import).
   */
  readonly recording?: ToolCallRecording | null;
}

export interface WriteContext {
  readonly caller: WriteCaller;
  readonly request: WriteRequestInfo;
  /** The clock, injectable for tests and imports. */
  readonly now?: Date;
}

/** What every successful write answers. */
export interface WriteResult {
  readonly entityType: 'cta' | 'cta_task' | 'success_plan' | 'timeline_activity';
  readonly entityId: string;
  /** For a task: the CTA it belongs to. */
  readonly parentId?: string;
  readonly streamName: string;
  readonly revision: number;
  /** Wait for this position to read the write back (read-your-writes). */
  readonly position: { readonly commit: number; readonly prepare: number };
  readonly events: ReadonlyArray<{ readonly id: string; readonly type: string }>;
  /** For updates: each changed field with its old and new value. */
  readonly changes?: ReadonlyArray<{ readonly field: string; readonly from: unknown; readonly to: unknown }>;
  /** True when this answer repeats the first result of an idempotent retry. */
  readonly replayed: boolean;
}
