import type { SqlParam } from '@csmcp/projections';
import type { AnalysisColumn } from './analysis-query';
import { addDays, utcDay } from './days';
import { explainAnalysis } from './explain';
import type { AnalysisEntity, FieldDef, FieldType, SqlContext } from './fields';
import { joinSql, quoteAlias, sql, wrap, type Sql } from './sql-fragment';
import { validateAnalysis, type FilterValue, type ValidAnalysis, type ValidCondition, type ValidFilter, type ValidMetric } from './validate';

export interface AnalysisContext {
  /** "Today" for every day count is the UTC date of this instant (never the database clock). */
  readonly now: Date;
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Owners whose companies the caller may see (personal-access callers: their own); null: all.
   * Always ANDed into the statement, whatever the filter says.
   */
  readonly visibleOwnerIds: readonly string[] | null;
}

export interface CompiledAnalysis {
  readonly entity: AnalysisEntity;
  /** One SELECT with `?` placeholders (the PostgreSQL executor numbers them). Never shown to callers. */
  readonly sql: string;
  readonly params: SqlParam[];
  readonly columns: AnalysisColumn[];
  /** Rows wanted; the statement asks for one more, to tell whether the result is truncated. */
  readonly limit: number;
  readonly explanation: string;
}

/** Validates an analysis query (throws AnalysisQueryError) and compiles it to one SELECT. */
export function compileAnalysis(query: unknown, context: AnalysisContext): CompiledAnalysis {
  return compileValidAnalysis(validateAnalysis(query), context);
}

interface SelectColumn {
  readonly column: AnalysisColumn;
  readonly expr: Sql;
  readonly nullsLargest: boolean;
  readonly notNull?: boolean;
}

export function compileValidAnalysis(analysis: ValidAnalysis, context: AnalysisContext): CompiledAnalysis {
  const ctx: SqlContext = { dialect: context.dialect, today: utcDay(context.now) };
  const grouped = analysis.groupBy.length > 0 || analysis.metrics.length > 0;
  const select = grouped ? groupedColumns(analysis, ctx) : rowColumns(analysis, ctx);
  const where = whereClause(analysis, context, ctx);
  const order = orderBy(analysis, select, ctx);

  const statement = joinSql(
    [
      wrap('SELECT {}', joinSql(select.map((c) => wrap(`{} AS ${quoteAlias(c.column.name)}`, c.expr)), ', ')),
      sql(`FROM ${analysis.entity.from}`),
      ...(where ? [wrap('WHERE {}', where)] : []),
      ...(analysis.groupBy.length > 0 ? [sql(`GROUP BY ${analysis.groupBy.map((_, i) => i + 1).join(', ')}`)] : []),
      ...(order.length > 0 ? [wrap('ORDER BY {}', joinSql(order, ', '))] : []),
      sql('LIMIT ?', analysis.limit + 1),
    ],
    '\n',
  );
  return {
    entity: analysis.entity.name,
    sql: statement.text,
    params: [...statement.params],
    columns: select.map((c) => c.column),
    limit: analysis.limit,
    explanation: explainAnalysis(analysis, { today: ctx.today, scoped: context.visibleOwnerIds !== null }),
  };
}

// ---- columns ----

/** Rows: the entity's default columns, the requested fields, then the fields the filter and sort use. */
function rowColumns(analysis: ValidAnalysis, ctx: SqlContext): SelectColumn[] {
  const { entity } = analysis;
  const fields: FieldDef[] = [];
  const add = (field: FieldDef) => {
    if (!fields.includes(field)) fields.push(field);
  };
  for (const name of entity.defaultColumns) add(entity.fields.get(name)!);
  analysis.fields.forEach(add);
  if (analysis.filter) filterFields(analysis.filter).forEach(add);
  for (const s of analysis.sort) if (s.target.kind === 'field') add(s.target.field);
  return fields.map((field) => ({
    column: { name: field.name, type: field.type, role: 'field' },
    expr: field.expr(ctx),
    nullsLargest: field.nullsLargest === true,
    notNull: field.notNull === true,
  }));
}

function filterFields(filter: ValidFilter): FieldDef[] {
  switch (filter.kind) {
    case 'all':
    case 'any':
      return filter.children.flatMap(filterFields);
    case 'not':
      return filterFields(filter.child);
    case 'condition':
      return [filter.field];
  }
}

function groupedColumns(analysis: ValidAnalysis, ctx: SqlContext): SelectColumn[] {
  return [
    ...analysis.groupBy.map((field) => ({
      column: { name: field.name, type: field.type, role: 'group' as const },
      expr: field.expr(ctx),
      nullsLargest: field.nullsLargest === true,
    })),
    ...analysis.metrics.map((metric) => ({
      column: { name: metric.as, type: metricType(metric), role: 'metric' as const },
      expr: metricExpr(metric, ctx),
      nullsLargest: false,
    })),
  ];
}

function metricType(metric: ValidMetric): FieldType {
  return (metric.fn === 'min' || metric.fn === 'max') && metric.field ? metric.field.type : 'number';
}

function metricExpr(metric: ValidMetric, ctx: SqlContext): Sql {
  if (!metric.field) return sql('COUNT(*)');
  const value = metric.field.expr(ctx);
  switch (metric.fn) {
    case 'count':
      return wrap('COUNT({})', value);
    case 'count_distinct':
      return wrap('COUNT(DISTINCT {})', value);
    // PostgreSQL sums integers to bigint or numeric and averages them as numeric, which its driver
    // returns as text: the sum (exact) is cast to a double, and the average is taken over doubles,
    // as SQLite does, so both give the same bits.
    case 'sum':
      return ctx.dialect === 'postgres' ? wrap('CAST(SUM({}) AS DOUBLE PRECISION)', value) : wrap('SUM({})', value);
    case 'avg':
      return ctx.dialect === 'postgres' ? wrap('AVG(CAST({} AS DOUBLE PRECISION))', value) : wrap('AVG({})', value);
    case 'min':
    case 'max':
      return wrap(`${metric.fn.toUpperCase()}({})`, value);
  }
}

// ---- order ----

const TEXTUAL: ReadonlySet<FieldType> = new Set(['text', 'enum', 'date', 'instant']);

/**
 * The requested order, then the default one (rows only), then tie-breakers so that the result (and
 * which rows a limit keeps) is deterministic: the group fields, or the entity's id. Keys are column
 * ordinals; on PostgreSQL, text is ordered by its bytes (COLLATE "C") like SQLite does, not by the
 * database's locale.
 */
function orderBy(analysis: ValidAnalysis, select: readonly SelectColumn[], ctx: SqlContext): Sql[] {
  const keys: { name: string; dir: 'asc' | 'desc' }[] = [];
  const add = (name: string, dir: 'asc' | 'desc') => {
    if (!keys.some((k) => k.name === name)) keys.push({ name, dir });
  };
  for (const s of analysis.sort) add(s.target.kind === 'field' ? s.target.field.name : s.target.metric.as, s.dir);
  if (analysis.groupBy.length > 0) analysis.groupBy.forEach((f) => add(f.name, 'asc'));
  else if (analysis.metrics.length === 0) {
    if (analysis.sort.length === 0) add(analysis.entity.defaultSort.by, analysis.entity.defaultSort.dir);
    add(analysis.entity.primaryKey, 'asc');
  }
  return keys.map(({ name, dir }) => {
    const index = select.findIndex((c) => c.column.name === name);
    const column = select[index];
    const key =
      ctx.dialect === 'postgres' && TEXTUAL.has(column.column.type) && column.expr.params.length === 0
        ? `${column.expr.text} COLLATE "C"`
        : String(index + 1);
    if (column.notNull) return sql(`${key} ${dir.toUpperCase()}`);
    const nulls = column.nullsLargest && dir === 'desc' ? 'NULLS FIRST' : 'NULLS LAST';
    return sql(`${key} ${dir.toUpperCase()} ${nulls}`);
  });
}

// ---- where ----

function whereClause(analysis: ValidAnalysis, context: AnalysisContext, ctx: SqlContext): Sql | null {
  const parts: Sql[] = [];
  if (context.visibleOwnerIds !== null) {
    const owners = [...new Set(context.visibleOwnerIds)];
    parts.push(
      owners.length === 0 ? sql('1 = 0') : sql(`${analysis.entity.ownerColumn} IN (${owners.map(() => '?').join(', ')})`, ...owners),
    );
  }
  if (analysis.filter) parts.push(filterSql(analysis.filter, ctx));
  return parts.length === 0 ? null : joinSql(parts, ' AND ');
}

/**
 * Conditions are two-valued: a comparison with a null is false (never SQL's unknown), so that `not`
 * is the plain negation. Only `not` needs care: NOT COALESCE(x, FALSE).
 */
function filterSql(filter: ValidFilter, ctx: SqlContext): Sql {
  switch (filter.kind) {
    case 'all':
    case 'any': {
      const children = filter.children.map((c) => filterSql(c, ctx));
      return children.length === 1 ? children[0] : wrap('({})', joinSql(children, filter.kind === 'all' ? ' AND ' : ' OR '));
    }
    case 'not':
      return wrap('NOT COALESCE({}, FALSE)', filterSql(filter.child, ctx));
    case 'condition':
      return filter.field.days || filter.field.type === 'instant' ? rangeCondition(filter, ctx) : plainCondition(filter, ctx);
  }
}

function plainCondition(condition: ValidCondition, ctx: SqlContext): Sql {
  const { field } = condition;
  const column = field.expr(ctx);
  const value = (v: FilterValue) => placeholder(field, v, ctx);
  switch (condition.op) {
    case 'eq':
      return wrap('{} = {}', column, value(condition.value));
    case 'ne':
      return wrap('({} <> {} OR {} IS NULL)', column, value(condition.value), column);
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return wrap(`{} ${COMPARISON[condition.op]} {}`, column, value(condition.value));
    case 'between':
      return wrap('{} BETWEEN {} AND {}', column, value(condition.value[0]), value(condition.value[1]));
    case 'in':
      return wrap(`{} IN (${condition.value.map(() => '{}').join(', ')})`, column, ...condition.value.map(value));
    case 'is_null':
      return wrap('{} IS NULL', column);
    case 'is_not_null':
      return wrap('{} IS NOT NULL', column);
    case 'contains':
      // lower() on both sides: the same folding whatever the database (SQLite folds ASCII only).
      return wrap("lower({}) LIKE lower(CAST({} AS TEXT)) ESCAPE '!'", column, sql('?', `%${condition.value.replace(/[!%_]/g, '!$&')}%`));
  }
}

const COMPARISON = { lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

function placeholder(field: FieldDef, value: FilterValue, ctx: SqlContext): Sql {
  if (typeof value === 'boolean') return sql('?', value ? 1 : 0);
  // A fractional number against an INTEGER column would fail to bind on PostgreSQL; whole-number fields
  // only accept whole numbers (validation), the others are DOUBLE PRECISION already.
  if (typeof value === 'number' && !field.integer && ctx.dialect === 'postgres') return sql('CAST(? AS DOUBLE PRECISION)', value);
  if (typeof value === 'object') throw new Error(`${field.name}: unexpected ${JSON.stringify(value)}`);
  return sql('?', value);
}

// ---- ranges: instants and day counts ----

type Cmp = '>=' | '>' | '<=' | '<';
interface Bound {
  readonly cmp: Cmp;
  readonly value: string;
}
/** The stored values one filter value stands for: those satisfying lo AND hi. */
interface Interval {
  readonly lo: Bound;
  readonly hi: Bound;
}

const NEGATED: Readonly<Record<Cmp, Cmp>> = { '>=': '<', '<': '>=', '<=': '>', '>': '<=' };
const negate = (b: Bound): Bound => ({ cmp: NEGATED[b.cmp], value: b.value });

/**
 * Conditions on instants and day counts become comparisons of the stored text (dates YYYY-MM-DD,
 * instants ISO 8601 UTC, which order as strings) against bounds computed here from today: an index
 * on the column serves them, and the database clock plays no part.
 *
 * A value maps to an interval of stored values: a date to itself, a date compared with an instant
 * column to that whole UTC day [D, D+1), a full time to itself. A day count N maps to the stored date
 * today + direction * N. Then, for a mapping increasing with the value, X >= v is lo(v), X > v is
 * not hi(v), X <= v is hi(v), X < v is not lo(v); a decreasing mapping swaps lo and hi.
 */
function rangeCondition(condition: ValidCondition, ctx: SqlContext): Sql {
  const { field } = condition;
  const days = field.days;
  const column = days ? days.column : field.expr(ctx).text;
  const increasing = !days || days.direction === 1;
  const interval = (v: FilterValue) => intervalOf(field, v, ctx);
  const bounds = (op: 'eq' | 'lt' | 'lte' | 'gt' | 'gte', v: FilterValue): Bound[] => {
    const { lo, hi } = interval(v);
    switch (op) {
      case 'eq':
        return [lo, hi];
      case 'gte':
        return [increasing ? lo : hi];
      case 'gt':
        return [negate(increasing ? hi : lo)];
      case 'lte':
        return [increasing ? hi : lo];
      case 'lt':
        return [negate(increasing ? lo : hi)];
    }
  };
  const all = (list: Bound[]) => conjunction(column, list);
  const guard = days?.guard;
  const whereDefined = (s: Sql) => (guard ? wrap(`(${guard.holds} AND {})`, s) : s);

  switch (condition.op) {
    case 'is_null':
      return sql(guard ? `(${column} IS NULL OR ${guard.fails})` : `${column} IS NULL`);
    case 'is_not_null':
      return sql(guard ? `(${column} IS NOT NULL AND ${guard.holds})` : `${column} IS NOT NULL`);
    case 'ne': {
      const { lo, hi } = interval(condition.value);
      const outside = lo.value === hi.value && lo.cmp === '>=' && hi.cmp === '<=' ? [sql(`${column} <> ?`, lo.value)] : [bound(column, negate(lo)), bound(column, negate(hi))];
      return wrap('({})', joinSql([sql(`${column} IS NULL`), ...(guard ? [sql(guard.fails)] : []), ...outside], ' OR '));
    }
    case 'eq':
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      const matched = whereDefined(all(bounds(condition.op, condition.value)));
      const infinite = days?.nullIsInfinite && (condition.op === 'gt' || condition.op === 'gte');
      return infinite ? wrap(`({} OR ${column} IS NULL)`, matched) : matched;
    }
    case 'between':
      return whereDefined(all([...bounds('gte', condition.value[0]), ...bounds('lte', condition.value[1])]));
    case 'in': {
      const each = condition.value.map((v) => all(bounds('eq', v)));
      return whereDefined(each.length === 1 ? each[0] : wrap('({})', joinSql(each, ' OR ')));
    }
    case 'contains':
      throw new Error(`contains on ${field.name}`);
  }
}

function intervalOf(field: FieldDef, value: FilterValue, ctx: SqlContext): Interval {
  if (field.days) {
    if (typeof value !== 'number') throw new Error(`${field.name}: expected a number of days`);
    const day = addDays(ctx.today, field.days.direction * value);
    return field.days.storage === 'date' ? point(day) : wholeDay(day);
  }
  if (typeof value !== 'object') throw new Error(`${field.name}: expected a date or a time`);
  return 'day' in value ? wholeDay(value.day) : point(value.at);
}

function point(value: string): Interval {
  return { lo: { cmp: '>=', value }, hi: { cmp: '<=', value } };
}

/** Instants of one UTC day: from "D" (a prefix sorts before its extensions) to before "D+1". */
function wholeDay(day: string): Interval {
  const hi: Bound = day === '9999-12-31' ? { cmp: '<=', value: '9999-12-31T23:59:59.999Z' } : { cmp: '<', value: addDays(day, 1) };
  return { lo: { cmp: '>=', value: day }, hi };
}

function bound(column: string, b: Bound): Sql {
  return sql(`${column} ${b.cmp} ?`, b.value);
}

function conjunction(column: string, bounds: Bound[]): Sql {
  if (bounds.length === 2 && bounds[0].cmp === '>=' && bounds[1].cmp === '<=' && bounds[0].value === bounds[1].value)
    return sql(`${column} = ?`, bounds[0].value);
  const parts = bounds.map((b) => bound(column, b));
  return parts.length === 1 ? parts[0] : wrap('({})', joinSql(parts, ' AND '));
}
