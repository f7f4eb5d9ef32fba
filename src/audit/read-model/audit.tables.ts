/**
 * The audit log's read model: one row per entry, its chained body kept whole (`body`, canonical JSON)
 * beside the columns queries filter on, which `csmcp audit verify` re-derives from the body, so an
 * edit to any stored column shows up at its row. audit_log_subjects indexes every record an entry
 * concerns (the written record, its parent CTA, the company) for "everything that happened to X".
 */
export const AUDIT_DDL = `
CREATE TABLE IF NOT EXISTS audit_log (
  seq BIGINT PRIMARY KEY,
  type TEXT NOT NULL,
  at TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  actor_email TEXT,
  integration_id TEXT,
  integration_name TEXT,
  access_context TEXT,
  session_id TEXT,
  request_id TEXT,
  source_ip TEXT,
  tool TEXT,
  kind TEXT,
  outcome TEXT,
  code TEXT,
  credits BIGINT NOT NULL,
  duration_ms DOUBLE PRECISION,
  subject_type TEXT,
  subject_id TEXT,
  company_id TEXT,
  replayed BOOLEAN NOT NULL,
  body TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log (actor_id, seq);
CREATE INDEX IF NOT EXISTS audit_log_integration ON audit_log (integration_id, seq);
CREATE INDEX IF NOT EXISTS audit_log_tool ON audit_log (tool, seq);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
CREATE TABLE IF NOT EXISTS audit_log_subjects (
  entity_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  PRIMARY KEY (entity_id, seq)
)`;
