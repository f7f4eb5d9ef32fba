import { ANALYSIS_ENTITIES } from '../../../customer-success/analysis';
import { CONTACT_SENTIMENTS, LIFECYCLE_STAGES, SEGMENTS } from '../../../customer-success/companies/company.events';
import { HEALTH_COLORS } from '../../../customer-success/scorecards/scorecard.events';
import {
  CTA_STATUSES,
  CTA_TYPES,
  PRIORITIES,
  SUCCESS_PLAN_STATUSES,
  TASK_STATUSES,
  TIMELINE_ACTIVITY_TYPES,
  TIMELINE_CONTEXT_KINDS,
} from '../../../customer-success/shared/values';
import type { JsonObjectSchema } from './types';
import type { Schema } from './input-schemas';

/**
 * Output schemas: the snake_case shape of the query views (src/customer-success/queries/shared/views.ts).
 * Every property is always present (absent values are null). Objects are left open to extra
 * properties so a client validating structuredContent does not break when a view gains a field;
 * the integration spec validates against a closed copy, so the schemas cannot drift unnoticed.
 */

const STRING: Schema = { type: 'string' };
const NSTRING: Schema = { type: ['string', 'null'] };
const NUMBER: Schema = { type: 'number' };
const NNUMBER: Schema = { type: ['number', 'null'] };
const INTEGER: Schema = { type: 'integer', minimum: 0 };
const BOOLEAN: Schema = { type: 'boolean' };
const DATE: Schema = { type: ['string', 'null'], description: 'YYYY-MM-DD' };
const INSTANT: Schema = { type: 'string', description: 'ISO 8601 UTC' };
const NINSTANT: Schema = { type: ['string', 'null'], description: 'ISO 8601 UTC' };

const oneOf = (values: readonly string[]): Schema => ({ type: 'string', enum: [...values] });
const nullableOneOf = (values: readonly string[]): Schema => ({ type: ['string', 'null'], enum: [...values, null] });

/** An object whose properties are all required. */
export function object(properties: Record<string, Schema>, description?: string): JsonObjectSchema {
  return { type: 'object', ...(description ? { description } : {}), properties, required: Object.keys(properties) };
}

const arrayOf = (items: Schema, description?: string): Schema => ({ type: 'array', items, ...(description ? { description } : {}) });
const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: 'null' }] });

export const COMPANY = object({
  company_id: STRING,
  name: STRING,
  external_id: NSTRING,
  industry: NSTRING,
  segment: nullableOneOf(SEGMENTS),
  lifecycle_stage: nullableOneOf(LIFECYCLE_STAGES),
  region: NSTRING,
  employees: NNUMBER,
  arr: { type: 'number', description: 'Annual recurring revenue' },
  renewal_date: DATE,
  owner_id: NSTRING,
  owner_name: NSTRING,
  owner_email: NSTRING,
  health_score: { type: ['number', 'null'], description: 'Overall health 0-100 from the latest scorecard' },
  health_color: nullableOneOf(HEALTH_COLORS),
  health_as_of: DATE,
  open_cta_count: INTEGER,
  open_risk_cta_count: INTEGER,
  active_plan_count: INTEGER,
  activity_count: INTEGER,
  last_activity_at: NINSTANT,
  created_at: INSTANT,
  updated_at: INSTANT,
});

export const RELATIONSHIP = object({
  relationship_id: STRING,
  company_id: STRING,
  name: STRING,
  type: NSTRING,
  arr: NUMBER,
  renewal_date: DATE,
  owner_id: NSTRING,
  created_at: INSTANT,
  updated_at: INSTANT,
});

export const CONTACT = object({
  contact_id: STRING,
  company_id: STRING,
  name: STRING,
  email: NSTRING,
  title: NSTRING,
  role: NSTRING,
  sentiment: oneOf(CONTACT_SENTIMENTS),
  is_primary: BOOLEAN,
});

const CTA_PROPERTIES = {
  cta_id: STRING,
  company_id: STRING,
  company_name: NSTRING,
  relationship_id: NSTRING,
  success_plan_id: NSTRING,
  name: STRING,
  type: oneOf(CTA_TYPES),
  priority: oneOf(PRIORITIES),
  status: oneOf(CTA_STATUSES),
  is_open: { type: 'boolean', description: 'Status New or WorkInProgress' },
  owner_id: STRING,
  due_date: DATE,
  reason: NSTRING,
  comments: NSTRING,
  created_at: INSTANT,
  updated_at: INSTANT,
  closed_at: NINSTANT,
  task_count: INTEGER,
  open_task_count: INTEGER,
};
export const CTA = object(CTA_PROPERTIES);

export const TASK = object({
  task_id: STRING,
  cta_id: STRING,
  title: STRING,
  description: NSTRING,
  owner_id: STRING,
  due_date: DATE,
  priority: oneOf(PRIORITIES),
  status: oneOf(TASK_STATUSES),
  created_at: INSTANT,
});

export const CTA_WITH_TASKS = object({ ...CTA_PROPERTIES, tasks: arrayOf(TASK, 'Oldest first') });

const PLAN_PROPERTIES = {
  success_plan_id: STRING,
  company_id: STRING,
  company_name: NSTRING,
  relationship_id: NSTRING,
  name: STRING,
  plan_type: NSTRING,
  status: oneOf(SUCCESS_PLAN_STATUSES),
  owner_id: STRING,
  start_date: DATE,
  due_date: DATE,
  description: NSTRING,
  created_at: INSTANT,
  updated_at: INSTANT,
  closed_at: NINSTANT,
  objective_count: INTEGER,
  open_objective_count: INTEGER,
};
export const SUCCESS_PLAN = object(PLAN_PROPERTIES);
export const SUCCESS_PLAN_WITH_OBJECTIVES = object({
  ...PLAN_PROPERTIES,
  objectives: arrayOf(CTA, 'Its CTAs of type Objective, by due date (none last)'),
});

export const TIMELINE_ACTIVITY = object({
  activity_id: STRING,
  company_id: STRING,
  company_name: NSTRING,
  context: object({ kind: oneOf(TIMELINE_CONTEXT_KINDS), id: STRING }, 'The record it is attached to'),
  type: oneOf(TIMELINE_ACTIVITY_TYPES),
  subject: STRING,
  notes: NSTRING,
  occurred_at: INSTANT,
  author_id: STRING,
  participants: arrayOf(STRING),
  created_at: INSTANT,
  updated_at: INSTANT,
});

const TREND: Schema = { type: ['string', 'null'], enum: ['up', 'down', 'flat', null], description: 'Against the reading before; null without one' };

const MEASURE_PROPERTIES = {
  name: STRING,
  score: NUMBER,
  color: oneOf(HEALTH_COLORS),
  comment: NSTRING,
  previous_score: NNUMBER,
  trend: TREND,
  as_of: { type: 'string', description: 'YYYY-MM-DD' },
};
export const MEASURE = object(MEASURE_PROPERTIES);
export const SCORE_POINT = object({ as_of: { type: 'string', description: 'YYYY-MM-DD' }, score: NUMBER, color: oneOf(HEALTH_COLORS) });

const OVERALL_PROPERTIES = {
  score: NUMBER,
  color: oneOf(HEALTH_COLORS),
  as_of: { type: 'string', description: 'YYYY-MM-DD' },
  previous_score: NNUMBER,
  trend: TREND,
};

export const ACCOUNT_SUMMARY = object({
  company: COMPANY,
  health: nullable(object({ ...OVERALL_PROPERTIES, measures: arrayOf(MEASURE) }, 'Latest overall score and measures; null without a scorecard')),
  open_ctas: object({
    total: INTEGER,
    overdue: { type: 'integer', minimum: 0, description: 'Open and due before today' },
    items: arrayOf(object({ ...CTA_PROPERTIES, is_overdue: BOOLEAN }), 'By due date (none last), at most 50; total counts them all'),
  }),
  active_success_plans: arrayOf(SUCCESS_PLAN),
  recent_timeline: arrayOf(TIMELINE_ACTIVITY, 'The 10 most recent, newest first'),
  contacts: arrayOf(CONTACT, 'Primary contacts first'),
  renewal: object({
    renewal_date: DATE,
    days_until_renewal: { type: ['integer', 'null'], description: 'Negative once passed; null without a date' },
    arr: NUMBER,
  }),
  today: { type: 'string', description: 'The UTC day (YYYY-MM-DD) overdue and the countdown are computed for' },
});

export const COMPANY_DETAIL = object({
  ...(COMPANY.properties as Record<string, Schema>),
  relationships: arrayOf(RELATIONSHIP),
  contacts: arrayOf(CONTACT, 'Primary contacts first'),
});

export const SCORECARD = object({
  company_id: STRING,
  company_name: STRING,
  overall: nullable(object({ ...OVERALL_PROPERTIES, history: arrayOf(SCORE_POINT, 'Oldest first') }, 'Null when no scorecard was recorded')),
  measures: arrayOf(object({ ...MEASURE_PROPERTIES, history: arrayOf(SCORE_POINT, 'Oldest first') })),
});

/** A page of a list tool. */
export function page(item: Schema, what: string): JsonObjectSchema {
  return object({
    items: arrayOf(item, what),
    next_cursor: { type: ['string', 'null'], description: 'Pass as cursor for the next page; null on the last page' },
  });
}

export const ANALYSIS = object({
  entity: oneOf(ANALYSIS_ENTITIES),
  columns: arrayOf(
    object({
      name: STRING,
      type: oneOf(['text', 'enum', 'number', 'date', 'instant', 'boolean']),
      role: oneOf(['field', 'group', 'metric']),
    }),
  ),
  rows: { type: 'array', items: { type: 'object' }, description: 'One object per row or group, keyed by column name' },
  row_count: INTEGER,
  truncated: { type: 'boolean', description: 'More rows or groups matched than limit' },
  explanation: { type: 'string', description: 'What was analysed, in one line: check it matches the question' },
});

/** What every write answers. */
export const WRITE_RESULT = object({
  entity_type: oneOf(['cta', 'cta_task', 'success_plan', 'timeline_activity']),
  entity_id: { type: 'string', description: 'The id of the record written' },
  parent_id: { type: ['string', 'null'], description: 'For a task: its CTA' },
  revision: INTEGER,
  events: arrayOf(object({ id: STRING, type: STRING }), 'The events written'),
  changes: arrayOf(object({ field: STRING, from: {}, to: {} }), 'For updates: each changed field with its old and new value'),
  replayed: { type: 'boolean', description: 'True when an idempotency_key retry returned the first result (nothing new was written)' },
});
