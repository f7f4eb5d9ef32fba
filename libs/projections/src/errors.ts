import { formatPosition, type Position, type RecordedEvent } from '@csmcp/event-store';

/** A projection's apply() failed on an event: its transaction was rolled back, nothing of the batch stayed. */
export class ProjectionApplyError extends Error {
  readonly code = 'PROJECTION_APPLY_FAILED' as const;
  readonly eventId: string;
  readonly eventType: string;
  readonly position: Position;

  constructor(
    readonly projection: string,
    event: RecordedEvent,
    override readonly cause: unknown,
  ) {
    super(
      `Projection "${projection}" failed to apply ${event.type} ${event.id} at ${formatPosition(event.position)}: ` +
        (cause instanceof Error ? cause.message : String(cause)),
    );
    this.name = 'ProjectionApplyError';
    this.eventId = event.id;
    this.eventType = event.type;
    this.position = event.position;
  }
}

/** The read model was built by another version of the projection (another process runs other code). */
export class ProjectionVersionConflictError extends Error {
  readonly code = 'PROJECTION_VERSION_CONFLICT' as const;

  constructor(
    readonly projection: string,
    readonly storedVersion: number | null,
    readonly codeVersion: number,
  ) {
    super(
      `Projection "${projection}": the read model is at version ${String(storedVersion)} but this process runs version ` +
        `${codeVersion}; it applies nothing until it is restarted (which rebuilds it) or the other version stops`,
    );
    this.name = 'ProjectionVersionConflictError';
  }
}

/** waitForPosition gave up: the projections had not applied the event in time. */
export class ProjectionTimeoutError extends Error {
  readonly code = 'PROJECTION_TIMEOUT' as const;

  constructor(
    message: string,
    readonly position: Position,
  ) {
    super(message);
    this.name = 'ProjectionTimeoutError';
  }
}
