import type { RecordedEvent } from '@csmcp/event-store';
import type { SqlExecutor } from './sql';

/**
 * A read model kept up to date from the event log. The runner calls setup, reset and apply inside
 * read-model transactions that also move the projection's checkpoint, so apply must only use the
 * executor it is given (never the database itself) and must not have effects outside the database.
 */
export interface Projection {
  /** Unique, lower case letters, digits, `_` and `-`: the key of its checkpoint. */
  readonly name: string;
  /** Bump when apply() changes meaning: the runner rebuilds the read model on its next start. */
  readonly version: number;
  /** Event types it applies; the others only advance its checkpoint. */
  readonly handles: readonly string[];
  /** Idempotent DDL (CREATE TABLE IF NOT EXISTS ...). */
  setup(db: SqlExecutor): Promise<void>;
  /** Removes its data (DELETE FROM / DROP) before a rebuild. */
  reset(db: SqlExecutor): Promise<void>;
  apply(event: RecordedEvent, db: SqlExecutor): Promise<void>;
}

const NAME = /^[a-z0-9_-]{1,100}$/;

export function validateProjections(projections: readonly Projection[]): void {
  const seen = new Set<string>();
  for (const projection of projections) {
    const name = projection?.name;
    if (typeof name !== 'string' || !NAME.test(name))
      throw new RangeError(`Projection name ${JSON.stringify(name)} is invalid: use 1-100 of a-z, 0-9, "_" and "-"`);
    if (seen.has(name)) throw new RangeError(`Projection "${name}" is given twice`);
    seen.add(name);
    if (!Number.isSafeInteger(projection.version) || projection.version < 0)
      throw new RangeError(`Projection "${name}": version must be a non-negative integer, got ${String(projection.version)}`);
    if (!Array.isArray(projection.handles) || projection.handles.some((t) => typeof t !== 'string'))
      throw new RangeError(`Projection "${name}": handles must be an array of event types`);
    for (const method of ['setup', 'reset', 'apply'] as const)
      if (typeof projection[method] !== 'function') throw new RangeError(`Projection "${name}" has no ${method}() method`);
  }
}
