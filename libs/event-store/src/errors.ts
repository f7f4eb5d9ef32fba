import type { ExpectedRevision } from './event-store.port';

/** Stable codes: mapped once per transport (MCP tool result, HTTP, CLI). */
export type EventStoreErrorCode = 'CONCURRENCY' | 'INVALID_INPUT' | 'DUPLICATE_EVENT_ID' | 'STORE_UNAVAILABLE';

export abstract class EventStoreError extends Error {
  abstract readonly code: EventStoreErrorCode;
}

/** The stream was not at the expected revision: nothing of the append was written. */
export class ConcurrencyError extends EventStoreError {
  readonly code = 'CONCURRENCY' as const;
  constructor(
    readonly streamName: string,
    readonly expectedRevision: ExpectedRevision,
    readonly actualRevision: number | 'no_stream',
  ) {
    super(
      `Stream "${streamName}" was expected at ${describe(expectedRevision)} but is at ${describe(actualRevision)}; ` +
        'it was changed by someone else: read it again and retry',
    );
    this.name = 'ConcurrencyError';
  }
}

/** The caller passed something the port does not accept. The message names the field and what is allowed. */
export class EventStoreInputError extends EventStoreError {
  readonly code = 'INVALID_INPUT' as const;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'EventStoreInputError';
  }
}

/** An event id is already used by a different event: ids are unique across the store. */
export class DuplicateEventIdError extends EventStoreError {
  readonly code = 'DUPLICATE_EVENT_ID' as const;
  constructor(readonly eventId: string) {
    super(`Event id ${eventId} is already used by another event; event ids must be unique`);
    this.name = 'DuplicateEventIdError';
  }
}

/** Why a store is unavailable, when the database said so: what an operator has to fix differs. */
export type UnavailableReason = 'disk_full' | 'read_only' | 'unknown';

/** The store cannot be reached or refused to work (down, disk full, read-only). Safe to retry later. */
export class StoreUnavailableError extends EventStoreError {
  readonly code = 'STORE_UNAVAILABLE' as const;
  constructor(
    message: string,
    override readonly cause?: unknown,
    readonly reason: UnavailableReason = 'unknown',
  ) {
    super(`Event store temporarily unavailable: ${message}`);
    this.name = 'StoreUnavailableError';
  }
}

function describe(revision: ExpectedRevision | 'no_stream'): string {
  if (typeof revision === 'number') return `revision ${revision}`;
  return { no_stream: 'no stream', stream_exists: 'an existing stream', any: 'any revision' }[revision];
}
