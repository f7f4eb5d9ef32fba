import { LIFECYCLE_STAGES, SEGMENTS } from '../companies/company.events';
import { HEALTH_COLORS } from '../scorecards/scorecard.events';
import { CTA_STATUSES, CTA_TYPES, PRIORITIES, TIMELINE_ACTIVITY_TYPES, TIMELINE_CONTEXT_KINDS } from '../shared/values';
import { sql, wrap, type Sql } from './sql-fragment';

/**
 * The whitelist of what an analysis may touch: per entity, the fields with their type and the SQL
 * they stand for. Identifiers in the compiled SQL come only from here; values are always bound.
 *
 * Table aliases: c = cs_companies, t = cs_ctas, a = cs_timeline_activities (docs/read-models.md).
 */

export const ANALYSIS_ENTITIES = ['companies', 'ctas', 'timeline_activities'] as const;
export type AnalysisEntity = (typeof ANALYSIS_ENTITIES)[number];

/**
 * text: free text or an id; enum: one of `values`; number; date: YYYY-MM-DD; instant: an ISO 8601
 * UTC time (compared with a date it means that whole UTC day); boolean.
 */
export type FieldType = 'text' | 'enum' | 'number' | 'date' | 'instant' | 'boolean';

/** What the SQL of a field depends on besides the whitelist. */
export interface SqlContext {
  readonly dialect: 'sqlite' | 'postgres';
  /** The UTC date of the query's `now` (YYYY-MM-DD): the "today" of every day count. */
  readonly today: string;
}

/**
 * A whole number of days between a stored date (or the date part of a stored instant) and today.
 * storage = today + direction * value, so comparisons on the value become comparisons on the stored
 * column (which its index serves) instead of on a computed expression.
 */
export interface DayCount {
  readonly column: string;
  /** `date`: the column holds YYYY-MM-DD; `instant`: an ISO 8601 time whose UTC date counts. */
  readonly storage: 'date' | 'instant';
  /** +1: days until the stored date (renewal_in_days); -1: days since it (days_since_last_activity). */
  readonly direction: 1 | -1;
  /** A null column means "infinitely long ago": it matches gt / gte (and ne), never lt / lte / eq / between / in. */
  readonly nullIsInfinite: boolean;
  /** The value exists only where `holds` is true (days_overdue: open CTAs); `fails` is its negation. */
  readonly guard?: { readonly holds: string; readonly fails: string };
}

export interface FieldDef {
  readonly name: string;
  readonly type: FieldType;
  readonly description: string;
  /** enum: the allowed values. */
  readonly values?: readonly string[];
  /** number: only whole numbers (INTEGER columns, counts, day counts). */
  readonly integer?: boolean;
  /** A day count (see DayCount); its values are whole numbers of days. */
  readonly days?: DayCount;
  /** Long free text cannot be grouped by. */
  readonly groupable: boolean;
  /** Sorting puts nulls where infinity would be (largest) instead of last. */
  readonly nullsLargest?: boolean;
  /**
   * Never null (a NOT NULL column of the row itself): its ORDER BY needs no NULLS clause, which lets
   * PostgreSQL walk its index backwards for a descending sort (DESC NULLS LAST cannot).
   */
  readonly notNull?: boolean;
  /** Its value depends on today (day counts, overdue). */
  readonly usesToday?: boolean;
  /** Its value in SQL: for SELECT, GROUP BY, ORDER BY, metrics and plain comparisons. */
  expr(ctx: SqlContext): Sql;
}

export interface EntityDef {
  readonly name: AnalysisEntity;
  /** "companies", "CTAs": for explanations. */
  readonly label: string;
  readonly from: string;
  readonly primaryKey: string;
  /** The column of cs_companies.owner_id the viewer's scope restricts. */
  readonly ownerColumn: string;
  readonly fields: ReadonlyMap<string, FieldDef>;
  /** Columns of a row query before the requested ones. */
  readonly defaultColumns: readonly string[];
  readonly defaultSort: { readonly by: string; readonly dir: 'asc' | 'desc' };
}

function column(name: string, type: FieldType, qualified: string, description: string, extra: Partial<FieldDef> = {}): FieldDef {
  return { name, type, description, groupable: true, expr: () => sql(qualified), ...extra };
}

const text = (name: string, qualified: string, description: string, extra?: Partial<FieldDef>) =>
  column(name, 'text', qualified, description, extra);
const enumOf = (name: string, qualified: string, values: readonly string[], description: string) =>
  column(name, 'enum', qualified, description, { values });
const integer = (name: string, qualified: string, description: string) => column(name, 'number', qualified, description, { integer: true });
const decimal = (name: string, qualified: string, description: string) => column(name, 'number', qualified, description);
const date = (name: string, qualified: string, description: string) => column(name, 'date', qualified, description);
const instant = (name: string, qualified: string, description: string) => column(name, 'instant', qualified, description);

/** `a - b` in whole days, both operands YYYY-MM-DD. */
function dayDifference(ctx: SqlContext, a: Sql, b: Sql): Sql {
  return ctx.dialect === 'postgres'
    ? wrap('(CAST({} AS DATE) - CAST({} AS DATE))', a, b)
    : wrap('CAST(julianday({}) - julianday({}) AS INTEGER)', a, b);
}

function dayCount(name: string, days: DayCount, description: string): FieldDef {
  return {
    name,
    type: 'number',
    integer: true,
    days,
    description,
    groupable: true,
    nullsLargest: days.nullIsInfinite,
    usesToday: true,
    expr(ctx) {
      const stored = days.storage === 'date' ? sql(days.column) : sql(`substr(${days.column}, 1, 10)`);
      const today = sql('?', ctx.today);
      const difference = days.direction === 1 ? dayDifference(ctx, stored, today) : dayDifference(ctx, today, stored);
      return days.guard ? wrap(`CASE WHEN ${days.guard.holds} THEN {} END`, difference) : difference;
    },
  };
}

function month(name: string, qualified: string, description: string): FieldDef {
  return column(name, 'text', `substr(${qualified}, 1, 7)`, description);
}

/** The company fields; `prefix` "company." and alias c when they come with a CTA or an activity. */
function companyFields(prefix: string): FieldDef[] {
  const f = (name: string) => `${prefix}${name}`;
  return [
    text(f('name'), 'c.name', 'company name'),
    enumOf(f('segment'), 'c.segment', SEGMENTS, 'customer segment'),
    enumOf(f('lifecycle_stage'), 'c.lifecycle_stage', LIFECYCLE_STAGES, 'lifecycle stage'),
    text(f('industry'), 'c.industry', 'industry'),
    text(f('region'), 'c.region', 'region'),
    integer(f('employees'), 'c.employees', 'number of employees'),
    { ...decimal(f('arr'), 'c.arr', 'annual recurring revenue'), notNull: true }, // inner-joined everywhere
    date(f('renewal_date'), 'c.renewal_date', 'next renewal date'),
    dayCount(
      f('renewal_in_days'),
      { column: 'c.renewal_date', storage: 'date', direction: 1, nullIsInfinite: false },
      'days from today until the renewal date (negative: renewal date passed; null: no renewal date)',
    ),
    month(f('renewal_month'), 'c.renewal_date', 'renewal month, YYYY-MM'),
    text(f('owner_id'), 'c.owner_id', 'user id of the account owner (CSM)'),
    decimal(f('health_score'), 'c.health_score', 'overall health score, 0-100'),
    enumOf(f('health_color'), 'c.health_color', HEALTH_COLORS, 'overall health color'),
    instant(f('last_activity_at'), 'c.last_activity_at', 'time of the latest timeline activity'),
    dayCount(
      f('days_since_last_activity'),
      { column: 'c.last_activity_at', storage: 'instant', direction: -1, nullIsInfinite: true },
      'days since the latest timeline activity; an account without any counts as infinitely long ago ' +
        '(it matches gt/gte/ne, never lt/lte/eq/between/in; is_null finds it)',
    ),
  ];
}

function entity(def: Omit<EntityDef, 'fields'> & { fields: FieldDef[] }): EntityDef {
  const fields = new Map<string, FieldDef>();
  for (const field of def.fields) {
    if (fields.has(field.name)) throw new Error(`duplicate analysis field ${def.name}.${field.name}`);
    fields.set(field.name, field);
  }
  for (const name of [...def.defaultColumns, def.defaultSort.by])
    if (!fields.has(name)) throw new Error(`default column ${name} is not a field of ${def.name}`);
  return { ...def, fields };
}

/**
 * Every company figure an analysis usually needs (ARR, renewal, health, open / risk CTA counts,
 * active plans, activity count and recency) is a column of cs_companies, kept by the same projection
 * as the rows it counts; so a companies analysis is one scan of cs_companies (often an index range
 * on renewal_date, last_activity_at or owner_id), never a join. The one exception is
 * overdue_cta_count: "overdue" depends on today, so it cannot be stored (docs/read-models.md) and is
 * counted from cs_ctas (by its company_id index) only when a query uses it.
 */
const COMPANIES = entity({
  name: 'companies',
  label: 'companies',
  from: 'cs_companies c',
  primaryKey: 'company_id',
  ownerColumn: 'c.owner_id',
  fields: [
    text('company_id', 'c.company_id', 'company id'),
    text('external_id', 'c.external_id', 'id in the CRM the company came from'),
    ...companyFields(''),
    date('health_as_of', 'c.health_as_of', 'date of the latest scorecard'),
    integer('open_cta_count', 'c.open_cta_count', 'open CTAs'),
    integer('open_risk_cta_count', 'c.open_risk_cta_count', 'open CTAs of type Risk'),
    {
      ...integer('overdue_cta_count', '', 'open CTAs whose due date has passed'),
      usesToday: true,
      expr: (ctx) => sql('(SELECT COUNT(*) FROM cs_ctas o WHERE o.company_id = c.company_id AND o.is_open = 1 AND o.due_date < ?)', ctx.today),
    },
    integer('active_plan_count', 'c.active_plan_count', 'active success plans'),
    integer('activity_count', 'c.activity_count', 'timeline activities'),
    instant('created_at', 'c.created_at', 'time the company was imported'),
    instant('updated_at', 'c.updated_at', 'time the company last changed'),
  ],
  defaultColumns: ['company_id', 'name', 'segment', 'owner_id', 'arr', 'renewal_date', 'health_color'],
  defaultSort: { by: 'arr', dir: 'desc' },
});

const CTAS = entity({
  name: 'ctas',
  label: 'CTAs',
  from: 'cs_ctas t JOIN cs_companies c ON c.company_id = t.company_id',
  primaryKey: 'cta_id',
  ownerColumn: 'c.owner_id',
  fields: [
    text('cta_id', 't.cta_id', 'CTA id'),
    text('company_id', 't.company_id', 'company id'),
    text('relationship_id', 't.relationship_id', 'relationship id'),
    text('success_plan_id', 't.success_plan_id', 'success plan id (objectives)'),
    text('name', 't.name', 'CTA name'),
    enumOf('type', 't.type', CTA_TYPES, 'CTA type'),
    enumOf('priority', 't.priority', PRIORITIES, 'priority'),
    enumOf('status', 't.status', CTA_STATUSES, 'status'),
    column('is_open', 'boolean', 't.is_open', 'true while the status is New or WorkInProgress'),
    text('owner_id', 't.owner_id', 'user id of the CTA owner'),
    date('due_date', 't.due_date', 'due date'),
    month('due_month', 't.due_date', 'due month, YYYY-MM'),
    dayCount(
      'days_overdue',
      { column: 't.due_date', storage: 'date', direction: -1, nullIsInfinite: false, guard: { holds: 't.is_open = 1', fails: 't.is_open <> 1' } },
      'days since the due date of an open CTA (> 0: overdue; 0: due today; negative: not due yet; null: closed or no due date)',
    ),
    text('reason', 't.reason', 'reason', { groupable: false }),
    text('comments', 't.comments', 'comments', { groupable: false }),
    integer('task_count', 't.task_count', 'tasks'),
    integer('open_task_count', 't.open_task_count', 'open tasks'),
    instant('created_at', 't.created_at', 'time the CTA was created'),
    instant('updated_at', 't.updated_at', 'time the CTA last changed'),
    instant('closed_at', 't.closed_at', 'time the CTA was closed'),
    ...companyFields('company.'),
  ],
  defaultColumns: ['cta_id', 'name', 'type', 'priority', 'status', 'owner_id', 'due_date', 'company_id', 'company.name'],
  defaultSort: { by: 'due_date', dir: 'asc' },
});

const TIMELINE_ACTIVITIES = entity({
  name: 'timeline_activities',
  label: 'timeline activities',
  from: 'cs_timeline_activities a JOIN cs_companies c ON c.company_id = a.company_id',
  primaryKey: 'activity_id',
  ownerColumn: 'c.owner_id',
  fields: [
    text('activity_id', 'a.activity_id', 'activity id'),
    text('company_id', 'a.company_id', 'company id'),
    enumOf('context_kind', 'a.context_kind', TIMELINE_CONTEXT_KINDS, 'what the activity is attached to'),
    text('context_id', 'a.context_id', 'id of the company, relationship, success plan or CTA it is attached to'),
    enumOf('type', 'a.type', TIMELINE_ACTIVITY_TYPES, 'activity type'),
    text('subject', 'a.subject', 'subject', { groupable: false }),
    instant('occurred_at', 'a.occurred_at', 'time the activity happened'),
    month('occurred_month', 'a.occurred_at', 'month it happened, YYYY-MM (UTC)'),
    dayCount(
      'days_ago',
      { column: 'a.occurred_at', storage: 'instant', direction: -1, nullIsInfinite: false },
      'days since it happened (0: today, UTC)',
    ),
    text('author_id', 'a.author_id', 'user id of the author'),
    instant('created_at', 'a.created_at', 'time it was logged'),
    instant('updated_at', 'a.updated_at', 'time it last changed'),
    ...companyFields('company.'),
  ],
  defaultColumns: ['activity_id', 'type', 'subject', 'occurred_at', 'author_id', 'company_id', 'company.name'],
  defaultSort: { by: 'occurred_at', dir: 'desc' },
});

export const ENTITIES: ReadonlyMap<AnalysisEntity, EntityDef> = new Map(
  [COMPANIES, CTAS, TIMELINE_ACTIVITIES].map((e) => [e.name, e] as const),
);
