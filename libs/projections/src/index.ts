export type { SqlParam, SqlExecutor, ReadModelDatabase, TransactionExecutor } from './sql';
export { send, toPostgresPlaceholders } from './sql';
export { AsyncMutex } from './async-mutex';
export { createTablesOnce } from './ddl';
export { SqliteReadModelDatabase, type SqliteReadModelDatabaseOptions } from './sqlite-read-model-database';
export { PostgresReadModelDatabase, type PostgresReadModelDatabaseOptions } from './postgres-read-model-database';
export { type Projection, validateProjections } from './projection';
export { ProjectionApplyError, ProjectionTimeoutError, ProjectionVersionConflictError } from './errors';
export {
  ProjectionRunner,
  type ProjectionRunnerOptions,
  type ProjectionLogger,
  type ProjectionStatus,
  type ProjectionCheckpoint,
  type ProjectionLag,
  type RebuildProgress,
  type WaitForPositionOptions,
} from './projection-runner';
