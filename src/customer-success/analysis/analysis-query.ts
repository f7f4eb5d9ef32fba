import type { AnalysisEntity, FieldType } from './fields';

/**
 * The cross-account analysis language: a JSON structure an LLM may write, validated against a
 * whitelist and compiled to one parameterised SQL statement. Never SQL text.
 *
 * ```json
 * { "entity": "companies",
 *   "filter": { "all": [ { "field": "health_color", "op": "eq", "value": "Red" },
 *                        { "field": "renewal_in_days", "op": "between", "value": [0, 90] },
 *                        { "field": "days_since_last_activity", "op": "gte", "value": 30 } ] },
 *   "group_by": ["owner_id"],
 *   "metrics": [ { "fn": "sum", "field": "arr", "as": "total_arr" }, { "fn": "count", "as": "accounts" } ],
 *   "sort": [ { "by": "total_arr", "dir": "desc" } ],
 *   "limit": 50 }
 * ```
 *
 * Semantics worth knowing:
 * - Days are UTC calendar days counted from the UTC date of the query's `now`.
 * - A comparison with an empty (null) value is false, except `ne` (null differs from any value) and
 *   the day counts whose null means "infinitely long ago" (days_since_last_activity: gt/gte match).
 *   `not` negates that two-valued result, so `not eq` is the same as `ne`.
 * - An instant field compared with a date means that whole UTC day (lte 2024-03-01 includes the
 *   afternoon of March 1st); compared with a full time it is exact.
 * - Without group_by and metrics the result is rows (default columns, then `fields`, then the
 *   fields the filter and sort use); with metrics but no group_by it is one row of totals; with
 *   group_by, one row per group. Metrics ignore null values; sum/avg/min/max of no value is null.
 * - Sorting puts nulls last, except fields whose null means infinity (they sort as the largest).
 *   Ties are broken by the group fields, or the entity's id, so results are deterministic.
 */
export interface AnalysisQuery {
  entity: AnalysisEntity;
  filter?: FilterNode;
  /** Row queries only: columns to add to the defaults. */
  fields?: string[];
  group_by?: string[];
  metrics?: MetricSpec[];
  sort?: SortSpec[];
  /** Rows or groups returned; default 50, at most 1000. */
  limit?: number;
}

export type FilterNode = { all: FilterNode[] } | { any: FilterNode[] } | { not: FilterNode } | FilterCondition;

export interface FilterCondition {
  field: string;
  op: FilterOp;
  value?: unknown;
}

export const FILTER_OPS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'between', 'in', 'is_null', 'is_not_null', 'contains'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

/** The ops each field type accepts. */
export const OPS_BY_TYPE: Readonly<Record<FieldType, readonly FilterOp[]>> = {
  text: ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'between', 'in', 'is_null', 'is_not_null', 'contains'],
  enum: ['eq', 'ne', 'in', 'is_null', 'is_not_null'],
  number: ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'between', 'in', 'is_null', 'is_not_null'],
  date: ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'between', 'in', 'is_null', 'is_not_null'],
  instant: ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'between', 'in', 'is_null', 'is_not_null'],
  boolean: ['eq', 'ne', 'is_null', 'is_not_null'],
};

export const METRIC_FNS = ['count', 'count_distinct', 'sum', 'avg', 'min', 'max'] as const;
export type MetricFn = (typeof METRIC_FNS)[number];

export interface MetricSpec {
  fn: MetricFn;
  /** Required except for count (count without a field counts rows; with one, its non-null values). */
  field?: string;
  /** Column name; default `count`, or `<fn>_<field>` with . replaced by _. */
  as?: string;
}

export interface SortSpec {
  /** A group_by field or metric name when grouping or aggregating; any field of the entity for rows. */
  by: string;
  dir?: 'asc' | 'desc';
}

export const ANALYSIS_LIMITS = {
  /** Levels of all / any / not nesting. */
  maxDepth: 4,
  maxConditions: 50,
  maxInValues: 100,
  maxTextLength: 200,
  /** Day counts compare within about a century of today. */
  maxDays: 36_500,
  maxGroupBy: 3,
  maxMetrics: 10,
  maxSort: 5,
  maxFields: 30,
  defaultLimit: 50,
  maxLimit: 1000,
} as const;

/** A column of an analysis result. */
export interface AnalysisColumn {
  readonly name: string;
  readonly type: FieldType;
  /** field: a row's field; group: a group_by field; metric: an aggregate. */
  readonly role: 'field' | 'group' | 'metric';
}

export interface AnalysisResult {
  readonly entity: AnalysisEntity;
  readonly columns: AnalysisColumn[];
  /** One object per row (or group), keyed by column name. */
  readonly rows: Record<string, unknown>[];
  readonly rowCount: number;
  /** More rows (or groups) matched than `limit`. */
  readonly truncated: boolean;
  /** One line saying what was analysed, for a person or an LLM to check the question was understood. */
  readonly explanation: string;
}
