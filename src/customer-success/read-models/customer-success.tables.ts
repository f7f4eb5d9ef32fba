/**
 * The cs_* tables of docs/read-models.md. Portable DDL: the same text runs on SQLite and PostgreSQL.
 * DOUBLE PRECISION (not REAL, which is 4 bytes on PostgreSQL) for money and scores; INTEGER 0/1 for
 * booleans; dates and instants as TEXT so they compare as strings.
 */
export const CUSTOMER_SUCCESS_TABLES = [
  'cs_companies',
  'cs_relationships',
  'cs_contacts',
  'cs_ctas',
  'cs_cta_tasks',
  'cs_success_plans',
  'cs_timeline_activities',
  'cs_scorecard_measures',
  'cs_scorecard_history',
] as const;

/** The measure name under which cs_scorecard_history keeps the overall score. */
export const OVERALL_MEASURE = '__overall__';

export const CUSTOMER_SUCCESS_DDL = `
CREATE TABLE IF NOT EXISTS cs_companies (
  company_id          TEXT PRIMARY KEY,
  name                TEXT NOT NULL,
  name_lower          TEXT NOT NULL,
  external_id         TEXT,
  industry            TEXT,
  segment             TEXT,
  lifecycle_stage     TEXT,
  region              TEXT,
  employees           INTEGER,
  arr                 DOUBLE PRECISION NOT NULL DEFAULT 0,
  renewal_date        TEXT,
  owner_id            TEXT,
  health_score        DOUBLE PRECISION,
  health_color        TEXT,
  health_as_of        TEXT,
  open_cta_count      INTEGER NOT NULL DEFAULT 0,
  open_risk_cta_count INTEGER NOT NULL DEFAULT 0,
  active_plan_count   INTEGER NOT NULL DEFAULT 0,
  activity_count      INTEGER NOT NULL DEFAULT 0,
  last_activity_at    TEXT,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cs_companies_name ON cs_companies (name_lower, company_id);
CREATE INDEX IF NOT EXISTS cs_companies_owner ON cs_companies (owner_id);
CREATE INDEX IF NOT EXISTS cs_companies_renewal ON cs_companies (renewal_date);
CREATE INDEX IF NOT EXISTS cs_companies_arr ON cs_companies (arr);
CREATE INDEX IF NOT EXISTS cs_companies_health ON cs_companies (health_score);
CREATE INDEX IF NOT EXISTS cs_companies_segment ON cs_companies (segment);
CREATE INDEX IF NOT EXISTS cs_companies_lifecycle ON cs_companies (lifecycle_stage);

CREATE TABLE IF NOT EXISTS cs_relationships (
  relationship_id TEXT PRIMARY KEY,
  company_id      TEXT NOT NULL,
  name            TEXT NOT NULL,
  type            TEXT,
  arr             DOUBLE PRECISION NOT NULL DEFAULT 0,
  renewal_date    TEXT,
  owner_id        TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cs_relationships_company ON cs_relationships (company_id);

CREATE TABLE IF NOT EXISTS cs_contacts (
  contact_id TEXT PRIMARY KEY,
  company_id TEXT NOT NULL,
  name       TEXT NOT NULL,
  email      TEXT,
  title      TEXT,
  role       TEXT,
  sentiment  TEXT NOT NULL,
  is_primary INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS cs_contacts_company ON cs_contacts (company_id);

CREATE TABLE IF NOT EXISTS cs_ctas (
  cta_id          TEXT PRIMARY KEY,
  company_id      TEXT NOT NULL,
  relationship_id TEXT,
  success_plan_id TEXT,
  name            TEXT NOT NULL,
  type            TEXT NOT NULL,
  priority        TEXT NOT NULL,
  status          TEXT NOT NULL,
  is_open         INTEGER NOT NULL,
  owner_id        TEXT NOT NULL,
  due_date        TEXT,
  reason          TEXT,
  comments        TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  closed_at       TEXT,
  task_count      INTEGER NOT NULL DEFAULT 0,
  open_task_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS cs_ctas_company ON cs_ctas (company_id, is_open);
CREATE INDEX IF NOT EXISTS cs_ctas_owner ON cs_ctas (owner_id, is_open);
CREATE INDEX IF NOT EXISTS cs_ctas_due ON cs_ctas (due_date);
CREATE INDEX IF NOT EXISTS cs_ctas_plan ON cs_ctas (success_plan_id) WHERE success_plan_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS cs_cta_tasks (
  task_id     TEXT PRIMARY KEY,
  cta_id      TEXT NOT NULL,
  company_id  TEXT,
  title       TEXT NOT NULL,
  description TEXT,
  owner_id    TEXT NOT NULL,
  due_date    TEXT,
  priority    TEXT NOT NULL,
  status      TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cs_cta_tasks_cta ON cs_cta_tasks (cta_id);
CREATE INDEX IF NOT EXISTS cs_cta_tasks_company ON cs_cta_tasks (company_id);

CREATE TABLE IF NOT EXISTS cs_success_plans (
  success_plan_id      TEXT PRIMARY KEY,
  company_id           TEXT NOT NULL,
  relationship_id      TEXT,
  name                 TEXT NOT NULL,
  plan_type            TEXT,
  status               TEXT NOT NULL,
  owner_id             TEXT NOT NULL,
  start_date           TEXT,
  due_date             TEXT,
  description          TEXT,
  created_at           TEXT NOT NULL,
  updated_at           TEXT NOT NULL,
  closed_at            TEXT,
  objective_count      INTEGER NOT NULL DEFAULT 0,
  open_objective_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS cs_success_plans_company ON cs_success_plans (company_id, status);
CREATE INDEX IF NOT EXISTS cs_success_plans_owner ON cs_success_plans (owner_id);

CREATE TABLE IF NOT EXISTS cs_timeline_activities (
  activity_id  TEXT PRIMARY KEY,
  company_id   TEXT NOT NULL,
  context_kind TEXT NOT NULL,
  context_id   TEXT NOT NULL,
  type         TEXT NOT NULL,
  subject      TEXT NOT NULL,
  notes        TEXT,
  occurred_at  TEXT NOT NULL,
  author_id    TEXT NOT NULL,
  participants TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cs_timeline_company ON cs_timeline_activities (company_id, occurred_at);
CREATE INDEX IF NOT EXISTS cs_timeline_context ON cs_timeline_activities (context_kind, context_id, occurred_at);
CREATE INDEX IF NOT EXISTS cs_timeline_occurred ON cs_timeline_activities (occurred_at);

CREATE TABLE IF NOT EXISTS cs_scorecard_measures (
  company_id     TEXT NOT NULL,
  name           TEXT NOT NULL,
  score          DOUBLE PRECISION NOT NULL,
  color          TEXT NOT NULL,
  comment        TEXT,
  previous_score DOUBLE PRECISION,
  trend          TEXT,
  as_of          TEXT NOT NULL,
  PRIMARY KEY (company_id, name)
);

CREATE TABLE IF NOT EXISTS cs_scorecard_history (
  company_id TEXT NOT NULL,
  measure    TEXT NOT NULL,
  as_of      TEXT NOT NULL,
  score      DOUBLE PRECISION NOT NULL,
  color      TEXT NOT NULL,
  PRIMARY KEY (company_id, measure, as_of)
)`;

export const USERS_DDL = `
CREATE TABLE IF NOT EXISTS cs_users (
  user_id       TEXT PRIMARY KEY,
  email         TEXT NOT NULL,
  name          TEXT NOT NULL,
  role          TEXT NOT NULL,
  team          TEXT,
  registered_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS cs_users_email ON cs_users (email)`;
