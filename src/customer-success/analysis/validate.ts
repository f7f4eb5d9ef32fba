import { parseDateTime } from '../shared/validation';
import { ANALYSIS_LIMITS as LIMITS, FILTER_OPS, METRIC_FNS, OPS_BY_TYPE, type FilterOp, type MetricFn } from './analysis-query';
import { AnalysisQueryError, type AnalysisProblem } from './analysis-error';
import { isCalendarDate } from './days';
import { ANALYSIS_ENTITIES, ENTITIES, type EntityDef, type FieldDef } from './fields';

/** A filter value once checked: an instant compared with a date means the whole UTC day. */
export type FilterValue = string | number | boolean | { readonly day: string } | { readonly at: string };

export type ValidFilter =
  | { readonly kind: 'all' | 'any'; readonly children: readonly ValidFilter[] }
  | { readonly kind: 'not'; readonly child: ValidFilter }
  | ValidCondition;

export type ValidCondition = { readonly kind: 'condition'; readonly field: FieldDef } & (
  | { readonly op: 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte'; readonly value: FilterValue }
  | { readonly op: 'between'; readonly value: readonly [FilterValue, FilterValue] }
  | { readonly op: 'in'; readonly value: readonly FilterValue[] }
  | { readonly op: 'contains'; readonly value: string }
  | { readonly op: 'is_null' | 'is_not_null' }
);

export interface ValidMetric {
  readonly fn: MetricFn;
  readonly field: FieldDef | null;
  readonly as: string;
}

export type SortTarget = { readonly kind: 'field'; readonly field: FieldDef } | { readonly kind: 'metric'; readonly metric: ValidMetric };

export interface ValidSort {
  readonly target: SortTarget;
  readonly dir: 'asc' | 'desc';
}

/** An analysis query that passed validation: every name resolved against the whitelist. */
export interface ValidAnalysis {
  readonly entity: EntityDef;
  readonly filter: ValidFilter | null;
  readonly groupBy: readonly FieldDef[];
  readonly metrics: readonly ValidMetric[];
  /** Row queries: fields requested on top of the defaults. */
  readonly fields: readonly FieldDef[];
  /** As asked; the compiler adds the default order and tie-breakers. */
  readonly sort: readonly ValidSort[];
  readonly limit: number;
}

const ROOT_KEYS = ['entity', 'filter', 'fields', 'group_by', 'metrics', 'sort', 'limit'];
const CONDITION_KEYS = ['field', 'op', 'value'];
const GROUP_KEYS = ['all', 'any', 'not'];
const METRIC_KEYS = ['fn', 'field', 'as'];
const SORT_KEYS = ['by', 'dir'];
const METRIC_NAME = /^[a-z][a-z0-9_]{0,39}$/;
const INT32 = 2_147_483_647;
// NUL cannot be stored in PostgreSQL text; the other control characters have no business in a filter.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/** Enough to fix a query; a flood of problems from a garbage input helps nobody. */
const MAX_PROBLEMS = 20;

const METRIC_EXAMPLE = '{"fn": "sum", "field": "arr", "as": "total_arr"}';
const SORT_EXAMPLE = '{"by": "arr", "dir": "desc"}';

/**
 * Checks an analysis query (parsed JSON from anywhere: never trusted) and resolves it against the
 * whitelist of fields. Throws AnalysisQueryError listing every problem found.
 */
export function validateAnalysis(input: unknown): ValidAnalysis {
  const v = new Validator();
  const result = v.root(input);
  if (v.problems.length > 0 || result === null) throw new AnalysisQueryError(v.problems);
  return result;
}

class Validator {
  readonly problems: AnalysisProblem[] = [];
  private conditions = 0;

  problem(path: string, message: string): void {
    if (!this.full()) this.problems.push({ path, message });
  }

  /** Enough problems to report: the rest of a huge input need not be looked at. */
  full(): boolean {
    return this.problems.length >= MAX_PROBLEMS;
  }

  root(input: unknown): ValidAnalysis | null {
    if (!isObject(input)) {
      this.problem('query', `must be a JSON object like {"entity": "companies", "filter": {...}, ...}; got ${describe(input)}`);
      return null;
    }
    this.unknownKeys(input, '', ROOT_KEYS, 'keys of an analysis query');
    const entity = this.entity(input);
    if (!entity) return null;

    const filter = has(input, 'filter') ? this.filterNode(input.filter, 'filter', entity, 1) : null;
    if (this.conditions > LIMITS.maxConditions)
      this.problem('filter', `has more than ${LIMITS.maxConditions} conditions; at most ${LIMITS.maxConditions}`);
    const beforeNames = this.problems.length;
    const groupBy = has(input, 'group_by') ? this.groupBy(input.group_by, entity) : [];
    const metrics = has(input, 'metrics') ? this.metrics(input.metrics, entity, groupBy) : [];
    // Sorting a grouped result names its columns; when a group_by field or metric was refused, that
    // problem is reported already and a sort naming it would only repeat it.
    const namesOk = this.problems.length === beforeNames;
    const grouped = groupBy.length > 0 || metrics.length > 0 || !namesOk;
    const fields = has(input, 'fields') ? this.fields(input.fields, entity, grouped) : [];
    const sort = has(input, 'sort') ? this.sort(input.sort, entity, grouped, groupBy, metrics, namesOk) : [];
    const limit = has(input, 'limit') ? this.limit(input.limit) : LIMITS.defaultLimit;
    if (this.problems.length > 0) return null;
    return { entity, filter, groupBy, metrics, fields, sort, limit };
  }

  private entity(input: Record<string, unknown>): EntityDef | null {
    const allowed = `entities: ${ANALYSIS_ENTITIES.join(', ')}`;
    if (!has(input, 'entity')) {
      this.problem('entity', `is required; ${allowed}`);
      return null;
    }
    const entity = typeof input.entity === 'string' ? ENTITIES.get(input.entity as never) : undefined;
    if (!entity) this.problem('entity', `${describe(input.entity)} is not an entity; ${allowed}`);
    return entity ?? null;
  }

  // ---- filter ----

  private filterNode(node: unknown, path: string, entity: EntityDef, depth: number): ValidFilter | null {
    if (!isObject(node)) {
      this.problem(
        path,
        `must be a condition {"field": ..., "op": ..., "value": ...} or a group {"all": [...]}, {"any": [...]} or {"not": {...}}; got ${describe(node)}`,
      );
      return null;
    }
    const keys = Object.keys(node);
    const groupKeys = keys.filter((k) => GROUP_KEYS.includes(k));
    if (groupKeys.length === 0) return this.condition(node, path, entity);
    if (keys.length > 1) {
      this.problem(path, `a group has exactly one key, all, any or not; got keys: ${keys.map(describeKey).join(', ')}`);
      return null;
    }
    const kind = groupKeys[0] as 'all' | 'any' | 'not';
    const childPath = `${path}.${kind}`;
    if (depth > LIMITS.maxDepth) {
      this.problem(childPath, `nesting is too deep; at most ${LIMITS.maxDepth} levels of all / any / not`);
      return null;
    }
    if (kind === 'not') {
      const child = this.filterNode(node.not, childPath, entity, depth + 1);
      return child && { kind, child };
    }
    const list = node[kind];
    if (!Array.isArray(list) || list.length === 0) {
      this.problem(childPath, `must be a non-empty array of conditions or groups; got ${describe(list)}`);
      return null;
    }
    const children: ValidFilter[] = [];
    for (let i = 0; i < list.length; i++) {
      if (this.conditions > LIMITS.maxConditions || this.full()) return null;
      const child = this.filterNode(list[i], `${childPath}[${i}]`, entity, depth + 1);
      if (child) children.push(child);
    }
    return children.length === list.length ? { kind, children } : null;
  }

  private condition(node: Record<string, unknown>, path: string, entity: EntityDef): ValidCondition | null {
    this.conditions++;
    if (this.conditions > LIMITS.maxConditions) return null;
    const before = this.problems.length;
    this.unknownKeys(node, `${path}.`, CONDITION_KEYS, 'keys of a condition');
    const field = this.fieldName(node.field, `${path}.field`, entity, has(node, 'field'));
    if (!field) return null;
    const ops = OPS_BY_TYPE[field.type];
    const opsText = `ops for ${field.name} (${typeLabel(field)}): ${ops.join(', ')}`;
    if (!has(node, 'op')) {
      this.problem(`${path}.op`, `is required; ${opsText}`);
      return null;
    }
    const op = node.op;
    if (typeof op !== 'string' || !(ops as readonly string[]).includes(op)) {
      const isOp = typeof op === 'string' && (FILTER_OPS as readonly string[]).includes(op);
      this.problem(`${path}.op`, `${describe(op)} ${isOp ? 'cannot be used on' : 'is not an op for'} ${field.name} (${typeLabel(field)}); ${opsText}`);
      return null;
    }
    const valuePath = `${path}.value`;
    const condition = this.conditionValue(field, op as FilterOp, node, valuePath);
    return condition && this.problems.length === before ? condition : null;
  }

  private conditionValue(field: FieldDef, op: FilterOp, node: Record<string, unknown>, path: string): ValidCondition | null {
    if (op === 'is_null' || op === 'is_not_null') {
      if (has(node, 'value')) {
        this.problem(path, `must be left out for op "${op}"; got ${describe(node.value)}`);
        return null;
      }
      return { kind: 'condition', field, op };
    }
    if (!has(node, 'value')) {
      const shape = op === 'between' ? `[low, high] of ${plural(field)}` : op === 'in' ? `an array of ${plural(field)}` : expectation(field, op);
      this.problem(path, `is required for op "${op}": ${shape}`);
      return null;
    }
    const value = node.value;
    switch (op) {
      case 'contains': {
        const text = this.scalar(field, value, path, 'contains');
        return typeof text === 'string' ? { kind: 'condition', field, op, value: text } : null;
      }
      case 'between': {
        if (!Array.isArray(value) || value.length !== 2) {
          this.problem(path, `must be [low, high], two ${plural(field)}; got ${describe(value)}`);
          return null;
        }
        const low = this.scalar(field, value[0], `${path}[0]`, op);
        const high = this.scalar(field, value[1], `${path}[1]`, op);
        if (low === undefined || high === undefined) return null;
        if (greater(low, high)) {
          this.problem(path, `low ${describe(value[0])} is greater than high ${describe(value[1])}; give [low, high]`);
          return null;
        }
        return { kind: 'condition', field, op, value: [low, high] };
      }
      case 'in': {
        if (!Array.isArray(value) || value.length === 0 || value.length > LIMITS.maxInValues) {
          const got = Array.isArray(value) ? `${value.length} values` : describe(value);
          this.problem(path, `must be an array of 1 to ${LIMITS.maxInValues} ${plural(field)}; got ${got}`);
          return null;
        }
        const values: FilterValue[] = [];
        value.forEach((item, i) => {
          const parsed = this.scalar(field, item, `${path}[${i}]`, op);
          if (parsed !== undefined) values.push(parsed);
        });
        return values.length === value.length ? { kind: 'condition', field, op, value: values } : null;
      }
      default: {
        const parsed = this.scalar(field, value, path, op);
        return parsed === undefined ? null : { kind: 'condition', field, op, value: parsed };
      }
    }
  }

  /** One value compared with `field`, or undefined (and a problem). */
  private scalar(field: FieldDef, value: unknown, path: string, op: FilterOp): FilterValue | undefined {
    const refuse = () => {
      this.problem(path, `${describe(value)} is not ${expectation(field, op)}`);
      return undefined;
    };
    switch (field.type) {
      case 'text': {
        if (typeof value !== 'string' || value.length > LIMITS.maxTextLength || CONTROL.test(value)) return refuse();
        if (op === 'contains' && value === '') return refuse();
        return value;
      }
      case 'enum':
        return typeof value === 'string' && field.values!.includes(value) ? value : refuse();
      case 'boolean':
        return typeof value === 'boolean' ? value : refuse();
      case 'date':
        return typeof value === 'string' && isCalendarDate(value) ? value : refuse();
      case 'instant': {
        if (typeof value !== 'string') return refuse();
        if (isCalendarDate(value)) return { day: value };
        const ms = parseDateTime(value);
        if (ms === null) return refuse();
        const iso = new Date(ms).toISOString();
        return /^\d{4}-/.test(iso) && Number(iso.slice(0, 4)) >= 1000 ? { at: iso } : refuse();
      }
      case 'number': {
        if (typeof value !== 'number' || !Number.isFinite(value)) return refuse();
        if (field.days) return Number.isInteger(value) && Math.abs(value) <= LIMITS.maxDays ? value : refuse();
        if (field.integer) return Number.isInteger(value) && Math.abs(value) <= INT32 ? value : refuse();
        return value;
      }
    }
  }

  /** A field of the entity named at `path`, or null (and a problem). */
  private fieldName(name: unknown, path: string, entity: EntityDef, present: boolean): FieldDef | null {
    const field = typeof name === 'string' ? entity.fields.get(name) : undefined;
    if (field) return field;
    const list = `fields: ${[...entity.fields.keys()].join(', ')}`;
    this.problem(path, present ? `${describe(name)} is not a field of ${entity.name}; ${list}` : `is required; ${list}`);
    return null;
  }

  // ---- group_by, metrics, fields, sort, limit ----

  private groupBy(input: unknown, entity: EntityDef): FieldDef[] {
    const groupable = [...entity.fields.values()].filter((f) => f.groupable).map((f) => f.name);
    if (!Array.isArray(input) || input.length > LIMITS.maxGroupBy) {
      const got = Array.isArray(input) ? `${input.length} fields` : describe(input);
      this.problem('group_by', `must be an array of at most ${LIMITS.maxGroupBy} field names; got ${got}`);
      return [];
    }
    const fields: FieldDef[] = [];
    input.forEach((name, i) => {
      const path = `group_by[${i}]`;
      const field = typeof name === 'string' ? entity.fields.get(name) : undefined;
      if (!field) this.problem(path, `${describe(name)} is not a field of ${entity.name}; fields to group by: ${groupable.join(', ')}`);
      else if (!field.groupable) this.problem(path, `${field.name} is free text and cannot be grouped by; fields to group by: ${groupable.join(', ')}`);
      else if (fields.includes(field)) this.problem(path, `${field.name} is already in group_by`);
      else fields.push(field);
    });
    return fields;
  }

  private metrics(input: unknown, entity: EntityDef, groupBy: readonly FieldDef[]): ValidMetric[] {
    const metrics: ValidMetric[] = [];
    if (!Array.isArray(input) || input.length > LIMITS.maxMetrics) {
      const got = Array.isArray(input) ? `${input.length} metrics` : describe(input);
      this.problem('metrics', `must be an array of at most ${LIMITS.maxMetrics} metrics like ${METRIC_EXAMPLE}; got ${got}`);
      return [];
    }
    const taken = new Map<string, string>(groupBy.map((f) => [f.name, 'a group_by field']));
    input.forEach((item, i) => {
      const path = `metrics[${i}]`;
      if (!isObject(item)) {
        this.problem(path, `must be an object like ${METRIC_EXAMPLE}; got ${describe(item)}`);
        return;
      }
      this.unknownKeys(item, `${path}.`, METRIC_KEYS, 'keys of a metric');
      const fns = `functions: ${METRIC_FNS.join(', ')}`;
      if (!has(item, 'fn')) return this.problem(`${path}.fn`, `is required; ${fns}`);
      if (typeof item.fn !== 'string' || !(METRIC_FNS as readonly string[]).includes(item.fn))
        return this.problem(`${path}.fn`, `${describe(item.fn)} is not a metric function; ${fns}`);
      const fn = item.fn as MetricFn;
      const field = this.metricField(fn, item, `${path}.field`, entity);
      if (field === undefined) return;
      let as: string;
      if (has(item, 'as')) {
        if (typeof item.as !== 'string' || !METRIC_NAME.test(item.as))
          return this.problem(
            `${path}.as`,
            `${describe(item.as)} is not a valid name; use lowercase letters, digits and _, starting with a letter, at most 40 characters`,
          );
        as = item.as;
        const owner = taken.get(as);
        if (owner) return this.problem(`${path}.as`, `"${as}" is already the name of ${owner}; choose another`);
      } else {
        as = field ? `${fn}_${field.name.replace(/\./g, '_')}` : fn;
        const owner = taken.get(as);
        if (owner) return this.problem(path, `its default name "${as}" is already the name of ${owner}; give it another with "as"`);
      }
      taken.set(as, path);
      metrics.push({ fn, field, as });
    });
    return metrics;
  }

  /** The field a metric reads: null for count(*), undefined when wrong (and a problem). */
  private metricField(fn: MetricFn, item: Record<string, unknown>, path: string, entity: EntityDef): FieldDef | null | undefined {
    const all = [...entity.fields.values()];
    const accepts: { test: (f: FieldDef) => boolean; what: string } =
      fn === 'sum' || fn === 'avg'
        ? { test: (f) => f.type === 'number', what: 'number fields' }
        : fn === 'min' || fn === 'max'
          ? { test: (f) => f.type === 'number' || f.type === 'date' || f.type === 'instant', what: 'number, date and time fields' }
          : { test: () => true, what: 'fields' };
    const list = `"${fn}" works on ${accepts.what} of ${entity.name}: ${all.filter(accepts.test).map((f) => f.name).join(', ')}`;
    if (!has(item, 'field')) {
      if (fn === 'count') return null;
      this.problem(path, `is required for "${fn}"; ${list}`);
      return undefined;
    }
    const field = typeof item.field === 'string' ? entity.fields.get(item.field) : undefined;
    if (!field) {
      this.problem(path, `${describe(item.field)} is not a field of ${entity.name}; ${list}`);
      return undefined;
    }
    if (!accepts.test(field)) {
      this.problem(path, `${field.name} is ${/^[aeiou]/.test(typeLabel(field)) ? 'an' : 'a'} ${typeLabel(field)} field; ${list}`);
      return undefined;
    }
    return field;
  }

  private fields(input: unknown, entity: EntityDef, grouped: boolean): FieldDef[] {
    if (grouped) {
      this.problem(
        'fields',
        'is only for row queries (without group_by and metrics); a grouped result has the group_by fields and the metrics as columns',
      );
      return [];
    }
    if (!Array.isArray(input) || input.length > LIMITS.maxFields) {
      const got = Array.isArray(input) ? `${input.length} fields` : describe(input);
      this.problem('fields', `must be an array of at most ${LIMITS.maxFields} field names; got ${got}`);
      return [];
    }
    const fields: FieldDef[] = [];
    input.forEach((name, i) => {
      const field = this.fieldName(name, `fields[${i}]`, entity, true);
      if (field && !fields.includes(field)) fields.push(field);
    });
    return fields;
  }

  private sort(
    input: unknown,
    entity: EntityDef,
    grouped: boolean,
    groupBy: readonly FieldDef[],
    metrics: readonly ValidMetric[],
    namesOk: boolean,
  ): ValidSort[] {
    if (!Array.isArray(input) || input.length > LIMITS.maxSort) {
      const got = Array.isArray(input) ? `${input.length} items` : describe(input);
      this.problem('sort', `must be an array of at most ${LIMITS.maxSort} items like ${SORT_EXAMPLE}; got ${got}`);
      return [];
    }
    const sort: ValidSort[] = [];
    input.forEach((item, i) => {
      const path = `sort[${i}]`;
      if (!isObject(item)) return this.problem(path, `must be an object like ${SORT_EXAMPLE}; got ${describe(item)}`);
      this.unknownKeys(item, `${path}.`, SORT_KEYS, 'keys of a sort item');
      let dir: 'asc' | 'desc' = 'asc';
      if (has(item, 'dir')) {
        if (item.dir === 'asc' || item.dir === 'desc') dir = item.dir;
        else this.problem(`${path}.dir`, `${describe(item.dir)} is not a direction; directions: asc, desc`);
      }
      const target = grouped ? this.groupedSortTarget(item, `${path}.by`, groupBy, metrics, namesOk) : this.rowSortTarget(item, `${path}.by`, entity);
      if (target && !sort.some((s) => sameTarget(s.target, target))) sort.push({ target, dir });
    });
    return sort;
  }

  private groupedSortTarget(
    item: Record<string, unknown>,
    path: string,
    groupBy: readonly FieldDef[],
    metrics: readonly ValidMetric[],
    namesOk: boolean,
  ): SortTarget | null {
    const by = item.by;
    const field = groupBy.find((f) => f.name === by);
    if (field) return { kind: 'field', field };
    const metric = metrics.find((m) => m.as === by);
    if (metric) return { kind: 'metric', metric };
    if (!namesOk) return null;
    const names = [...groupBy.map((f) => f.name), ...metrics.map((m) => m.as)].join(', ');
    this.problem(path, `${has(item, 'by') ? `${describe(by)} is not a group_by field or metric name` : 'is required'}; sort by one of: ${names}`);
    return null;
  }

  private rowSortTarget(item: Record<string, unknown>, path: string, entity: EntityDef): SortTarget | null {
    const field = this.fieldName(item.by, path, entity, has(item, 'by'));
    return field && { kind: 'field', field };
  }

  private limit(input: unknown): number {
    if (typeof input === 'number' && Number.isInteger(input) && input >= 1 && input <= LIMITS.maxLimit) return input;
    this.problem('limit', `${describe(input)} is not a whole number from 1 to ${LIMITS.maxLimit}`);
    return LIMITS.defaultLimit;
  }

  private unknownKeys(input: Record<string, unknown>, prefix: string, allowed: readonly string[], what: string): void {
    for (const key of Object.keys(input)) {
      if (this.full()) return;
      if (!allowed.includes(key)) this.problem(`${prefix}${pathKey(key)}`, `unknown key; ${what}: ${allowed.join(', ')}`);
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own key with a value (undefined, which JSON cannot carry, counts as absent). */
function has(object: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key) && object[key] !== undefined;
}

function sameTarget(a: SortTarget, b: SortTarget): boolean {
  return a.kind === 'field' && b.kind === 'field' ? a.field === b.field : a.kind === 'metric' && b.kind === 'metric' && a.metric === b.metric;
}

/** What a value is, for a message: JSON for scalars (shortened), a word for the rest. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

/** A key in a path: as is when it is a plain name, else JSON-quoted (and shortened). */
function pathKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]{0,39}$/.test(key) ? key : describe(key);
}

function describeKey(key: string): string {
  return pathKey(key);
}

function typeLabel(field: FieldDef): string {
  if (field.days) return 'whole days';
  if (field.type === 'number' && field.integer) return 'whole number';
  if (field.type === 'instant') return 'time';
  return field.type;
}

function expectation(field: FieldDef, op: FilterOp): string {
  switch (field.type) {
    case 'text':
      return op === 'contains'
        ? `a non-empty string of at most ${LIMITS.maxTextLength} characters`
        : `a string of at most ${LIMITS.maxTextLength} characters without control characters`;
    case 'enum':
      return `one of ${field.values!.join(', ')}`;
    case 'boolean':
      return 'true or false';
    case 'date':
      return 'a date (YYYY-MM-DD)';
    case 'instant':
      return 'a date (YYYY-MM-DD, the whole UTC day) or an ISO 8601 time with a zone (2025-03-01T14:30:00Z)';
    case 'number':
      if (field.days) return `a whole number of days from -${LIMITS.maxDays} to ${LIMITS.maxDays}`;
      if (field.integer) return `a whole number from -${INT32} to ${INT32}`;
      return 'a number';
  }
}

function plural(field: FieldDef): string {
  switch (field.type) {
    case 'text':
      return 'strings';
    case 'enum':
      return `values among ${field.values!.join(', ')}`;
    case 'boolean':
      return 'booleans';
    case 'date':
      return 'dates (YYYY-MM-DD)';
    case 'instant':
      return 'dates (YYYY-MM-DD) or ISO 8601 times';
    case 'number':
      return field.days ? 'whole numbers of days' : field.integer ? 'whole numbers' : 'numbers';
  }
}

/** Whether low > high, two values of one field: numbers as numbers, text, dates and times as text. */
function greater(low: FilterValue, high: FilterValue): boolean {
  if (typeof low === 'number' && typeof high === 'number') return low > high;
  return textOf(low) > textOf(high);
}

function textOf(value: FilterValue): string {
  if (typeof value === 'object') return 'day' in value ? value.day : value.at;
  return String(value);
}
