import { AnalysisQueryError } from './analysis-error';
import { validateAnalysis } from './validate';

/** The message an invalid query is refused with (and that it is refused with INVALID_QUERY). */
function refusal(query: unknown): string {
  try {
    validateAnalysis(query);
  } catch (error) {
    expect(error).toBeInstanceOf(AnalysisQueryError);
    expect((error as AnalysisQueryError).code).toBe('INVALID_QUERY');
    return (error as Error).message;
  }
  throw new Error(`accepted: ${JSON.stringify(query)}`);
}

const where = (condition: unknown) => ({ entity: 'companies', filter: condition });

const COMPANY_FIELDS =
  'company_id, external_id, name, segment, lifecycle_stage, industry, region, employees, arr, renewal_date, renewal_in_days, ' +
  'renewal_month, owner_id, health_score, health_color, last_activity_at, days_since_last_activity, health_as_of, open_cta_count, ' +
  'open_risk_cta_count, overdue_cta_count, active_plan_count, activity_count, created_at, updated_at';
const NUMBER_OPS = 'eq, ne, lt, lte, gt, gte, between, in, is_null, is_not_null';
const INSTANT = 'a date (YYYY-MM-DD, the whole UTC day) or an ISO 8601 time with a zone (2025-03-01T14:30:00Z)';

describe('validateAnalysis accepts', () => {
  it('the example query, resolving every name', () => {
    const valid = validateAnalysis({
      entity: 'companies',
      filter: {
        all: [
          { field: 'health_color', op: 'eq', value: 'Red' },
          { field: 'renewal_in_days', op: 'between', value: [0, 90] },
          { field: 'days_since_last_activity', op: 'gte', value: 30 },
        ],
      },
      group_by: ['owner_id'],
      metrics: [{ fn: 'sum', field: 'arr', as: 'total_arr' }, { fn: 'count', as: 'accounts' }],
      sort: [{ by: 'total_arr', dir: 'desc' }],
      limit: 50,
    });
    expect(valid.entity.name).toBe('companies');
    expect(valid.groupBy.map((f) => f.name)).toEqual(['owner_id']);
    expect(valid.metrics.map((m) => [m.fn, m.field?.name ?? null, m.as])).toEqual([
      ['sum', 'arr', 'total_arr'],
      ['count', null, 'accounts'],
    ]);
    expect(valid.sort).toEqual([{ target: { kind: 'metric', metric: valid.metrics[0] }, dir: 'desc' }]);
    expect(valid.limit).toBe(50);
  });

  it('a bare entity, with the default limit', () => {
    const valid = validateAnalysis({ entity: 'ctas' });
    expect(valid).toMatchObject({ filter: null, groupBy: [], metrics: [], fields: [], sort: [], limit: 50 });
  });

  it('default metric names, an empty group_by, and duplicate fields and sort keys once', () => {
    const valid = validateAnalysis({
      entity: 'ctas',
      group_by: [],
      metrics: [{ fn: 'count' }, { fn: 'avg', field: 'company.arr' }, { fn: 'count_distinct', field: 'company_id' }, { fn: 'count', field: 'due_date' }],
      sort: [{ by: 'count' }, { by: 'count', dir: 'desc' }],
    });
    expect(valid.metrics.map((m) => m.as)).toEqual(['count', 'avg_company_arr', 'count_distinct_company_id', 'count_due_date']);
    expect(valid.sort).toHaveLength(1);
    const rows = validateAnalysis({ entity: 'companies', fields: ['arr', 'arr', 'region'] });
    expect(rows.fields.map((f) => f.name)).toEqual(['arr', 'region']);
  });

  it('instant values as whole days or exact times, normalised to UTC', () => {
    const valid = validateAnalysis(
      where({
        any: [
          { field: 'last_activity_at', op: 'gte', value: '2025-03-01' },
          { field: 'created_at', op: 'lt', value: '2025-03-01T15:30:00+01:00' },
        ],
      }),
    );
    expect(valid.filter).toMatchObject({
      kind: 'any',
      children: [{ value: { day: '2025-03-01' } }, { value: { at: '2025-03-01T14:30:00.000Z' } }],
    });
  });

  it('between with equal ends, in with one value, and nesting at the maximum depth', () => {
    expect(() => validateAnalysis(where({ field: 'arr', op: 'between', value: [5, 5] }))).not.toThrow();
    expect(() => validateAnalysis(where({ field: 'segment', op: 'in', value: ['SMB'] }))).not.toThrow();
    const deepest = { all: [{ any: [{ not: { all: [{ field: 'arr', op: 'gt', value: 1 }] } }] }] };
    expect(() => validateAnalysis(where(deepest))).not.toThrow();
  });

  it('50 conditions', () => {
    const conditions = Array.from({ length: 50 }, (_, i) => ({ field: 'arr', op: 'ne', value: i }));
    expect(() => validateAnalysis(where({ any: conditions }))).not.toThrow();
  });
});

describe('validateAnalysis refuses', () => {
  describe('the query itself', () => {
    it.each([
      [null, 'null'],
      [[], 'an empty array'],
      ['{"entity": "companies"}', '"{\\"entity\\": \\"companies\\"}"'],
      [42, '42'],
      [undefined, 'nothing'],
    ])('%j that is not an object', (query, got) => {
      expect(refusal(query)).toBe(`query: must be a JSON object like {"entity": "companies", "filter": {...}, ...}; got ${got}`);
    });

    it('unknown keys', () => {
      expect(refusal({ entity: 'companies', where: {}, 'group by': [] })).toBe(
        'where: unknown key; keys of an analysis query: entity, filter, fields, group_by, metrics, sort, limit\n' +
          '"group by": unknown key; keys of an analysis query: entity, filter, fields, group_by, metrics, sort, limit',
      );
    });

    it('a missing entity', () => {
      expect(refusal({ filter: {} })).toBe('entity: is required; entities: companies, ctas, timeline_activities');
    });

    it.each([
      ['accounts', '"accounts"'],
      [['companies'], 'an array'],
      [{}, 'an object'],
      ['toString', '"toString"'],
      ['__proto__', '"__proto__"'],
    ])('entity %j', (entity, got) => {
      expect(refusal({ entity })).toBe(`entity: ${got} is not an entity; entities: companies, ctas, timeline_activities`);
    });

    it('a limit out of range or not whole', () => {
      for (const [limit, got] of [
        [0, '0'],
        [1001, '1001'],
        [2.5, '2.5'],
        ['10', '"10"'],
        [null, 'null'],
      ] as const)
        expect(refusal({ entity: 'companies', limit })).toBe(`limit: ${got} is not a whole number from 1 to 1000`);
    });
  });

  describe('filter structure', () => {
    it('a filter that is not an object', () => {
      expect(refusal(where([{ field: 'arr', op: 'gt', value: 1 }]))).toBe(
        'filter: must be a condition {"field": ..., "op": ..., "value": ...} or a group {"all": [...]}, {"any": [...]} or {"not": {...}}; got an array',
      );
      expect(refusal(where({ all: ['arr > 1'] }))).toBe(
        'filter.all[0]: must be a condition {"field": ..., "op": ..., "value": ...} or a group {"all": [...]}, {"any": [...]} or {"not": {...}}; got "arr > 1"',
      );
    });

    it('a group with more than its one key', () => {
      expect(refusal(where({ all: [], any: [] }))).toBe('filter: a group has exactly one key, all, any or not; got keys: all, any');
      expect(refusal(where({ not: {}, field: 'arr' }))).toBe('filter: a group has exactly one key, all, any or not; got keys: not, field');
    });

    it('all / any that is not a non-empty array', () => {
      expect(refusal(where({ all: [] }))).toBe('filter.all: must be a non-empty array of conditions or groups; got an empty array');
      expect(refusal(where({ any: { field: 'arr' } }))).toBe('filter.any: must be a non-empty array of conditions or groups; got an object');
      expect(refusal(where({ not: null }))).toBe(
        'filter.not: must be a condition {"field": ..., "op": ..., "value": ...} or a group {"all": [...]}, {"any": [...]} or {"not": {...}}; got null',
      );
    });

    it('nesting deeper than 4 levels', () => {
      const tooDeep = { all: [{ any: [{ not: { all: [{ any: [{ field: 'arr', op: 'gt', value: 1 }] }] } }] }] };
      expect(refusal(where(tooDeep))).toBe('filter.all[0].any[0].not.all[0].any: nesting is too deep; at most 4 levels of all / any / not');
    });

    it('more than 50 conditions', () => {
      const conditions = Array.from({ length: 51 }, (_, i) => ({ field: 'arr', op: 'ne', value: i }));
      expect(refusal(where({ all: conditions }))).toBe('filter: has more than 50 conditions; at most 50');
      const nested = { any: Array.from({ length: 30 }, () => ({ all: conditions.slice(0, 2) })) };
      expect(refusal(where(nested))).toBe('filter: has more than 50 conditions; at most 50');
    });
  });

  describe('conditions', () => {
    it('unknown keys', () => {
      expect(refusal(where({ field: 'arr', op: 'gt', vaule: 1 }))).toBe(
        'filter.vaule: unknown key; keys of a condition: field, op, value\nfilter.value: is required for op "gt": a number',
      );
    });

    it('a missing or unknown field, naming every field of the entity', () => {
      expect(refusal(where({ op: 'eq', value: 1 }))).toBe(`filter.field: is required; fields: ${COMPANY_FIELDS}`);
      expect(refusal(where({ all: [{ field: 'arr', op: 'gt', value: 1 }, { field: 'renewal', op: 'eq', value: 1 }] }))).toBe(
        `filter.all[1].field: "renewal" is not a field of companies; fields: ${COMPANY_FIELDS}`,
      );
      expect(refusal(where({ field: 'constructor', op: 'eq', value: 1 }))).toBe(
        `filter.field: "constructor" is not a field of companies; fields: ${COMPANY_FIELDS}`,
      );
      expect(refusal(where({ field: ['arr'], op: 'eq', value: 1 }))).toBe(`filter.field: an array is not a field of companies; fields: ${COMPANY_FIELDS}`);
    });

    it('a field of another entity', () => {
      expect(refusal({ entity: 'companies', filter: { field: 'company.arr', op: 'gt', value: 1 } })).toBe(
        `filter.field: "company.arr" is not a field of companies; fields: ${COMPANY_FIELDS}`,
      );
      expect(refusal({ entity: 'ctas', filter: { field: 'days_overdue', op: 'gt', value: 1 }, fields: ['open_cta_count'] })).toMatch(
        /^fields\[0\]: "open_cta_count" is not a field of ctas; fields: cta_id, company_id, /,
      );
    });

    it('a missing, unknown or unusable op, naming the ops of that field', () => {
      expect(refusal(where({ field: 'arr', value: 1 }))).toBe(`filter.op: is required; ops for arr (number): ${NUMBER_OPS}`);
      expect(refusal(where({ field: 'arr', op: 'equals', value: 1 }))).toBe(
        `filter.op: "equals" is not an op for arr (number); ops for arr (number): ${NUMBER_OPS}`,
      );
      expect(refusal(where({ field: 'arr', op: 'contains', value: '1' }))).toBe(
        `filter.op: "contains" cannot be used on arr (number); ops for arr (number): ${NUMBER_OPS}`,
      );
      expect(refusal(where({ field: 'segment', op: 'gt', value: 'SMB' }))).toBe(
        'filter.op: "gt" cannot be used on segment (enum); ops for segment (enum): eq, ne, in, is_null, is_not_null',
      );
      expect(refusal({ entity: 'ctas', filter: { field: 'is_open', op: 'in', value: [true] } })).toBe(
        'filter.op: "in" cannot be used on is_open (boolean); ops for is_open (boolean): eq, ne, is_null, is_not_null',
      );
      expect(refusal(where({ field: 'renewal_in_days', op: 'contains', value: 1 }))).toBe(
        `filter.op: "contains" cannot be used on renewal_in_days (whole days); ops for renewal_in_days (whole days): ${NUMBER_OPS}`,
      );
      expect(refusal(where({ field: 'created_at', op: null }))).toBe(
        `filter.op: null is not an op for created_at (time); ops for created_at (time): ${NUMBER_OPS}`,
      );
    });

    it('a value for is_null / is_not_null', () => {
      expect(refusal(where({ field: 'owner_id', op: 'is_null', value: null }))).toBe('filter.value: must be left out for op "is_null"; got null');
      expect(refusal(where({ field: 'owner_id', op: 'is_not_null', value: true }))).toBe('filter.value: must be left out for op "is_not_null"; got true');
    });

    it('a missing value, saying what it should be', () => {
      expect(refusal(where({ field: 'health_color', op: 'eq' }))).toBe('filter.value: is required for op "eq": one of Red, Yellow, Green');
      expect(refusal(where({ field: 'renewal_in_days', op: 'between' }))).toBe(
        'filter.value: is required for op "between": [low, high] of whole numbers of days',
      );
      expect(refusal(where({ field: 'segment', op: 'in' }))).toBe(
        'filter.value: is required for op "in": an array of values among Enterprise, MidMarket, SMB',
      );
      expect(refusal(where({ field: 'name', op: 'contains' }))).toBe(
        'filter.value: is required for op "contains": a non-empty string of at most 200 characters',
      );
    });
  });

  describe('values', () => {
    const value = (field: string, op: string, v: unknown, entity = 'companies') => refusal({ entity, filter: { field, op, value: v } });

    it('text', () => {
      expect(value('name', 'eq', 5)).toBe('filter.value: 5 is not a string of at most 200 characters without control characters');
      expect(value('name', 'eq', 'x'.repeat(201))).toBe(
        `filter.value: "${'x'.repeat(57)}..." is not a string of at most 200 characters without control characters`,
      );
      expect(value('name', 'eq', 'a\u0000b')).toBe('filter.value: "a\\u0000b" is not a string of at most 200 characters without control characters');
      expect(value('name', 'contains', '')).toBe('filter.value: "" is not a non-empty string of at most 200 characters');
      expect(value('name', 'contains', ['acme'])).toBe('filter.value: an array is not a non-empty string of at most 200 characters');
    });

    it('enum values outside the list (exact case)', () => {
      expect(value('health_color', 'eq', 'red')).toBe('filter.value: "red" is not one of Red, Yellow, Green');
      expect(value('type', 'ne', 'Churn', 'ctas')).toBe('filter.value: "Churn" is not one of Risk, Expansion, Renewal, Lifecycle, Activity, Objective');
    });

    it('booleans', () => {
      expect(value('is_open', 'eq', 1, 'ctas')).toBe('filter.value: 1 is not true or false');
      expect(value('is_open', 'eq', 'true', 'ctas')).toBe('filter.value: "true" is not true or false');
    });

    it('dates', () => {
      for (const [v, got] of [
        ['2025-02-30', '"2025-02-30"'],
        ['2025-1-5', '"2025-1-5"'],
        ['2025-03-01T00:00:00Z', '"2025-03-01T00:00:00Z"'],
        ['0999-12-31', '"0999-12-31"'],
        [20250301, '20250301'],
      ] as const)
        expect(value('renewal_date', 'lt', v)).toBe(`filter.value: ${got} is not a date (YYYY-MM-DD)`);
    });

    it('instants', () => {
      for (const [v, got] of [
        ['2025-03-01T10:00:00', '"2025-03-01T10:00:00"'],
        ['2025-03-01 10:00:00Z', '"2025-03-01 10:00:00Z"'],
        ['2025-02-29T10:00:00Z', '"2025-02-29T10:00:00Z"'],
        ['yesterday', '"yesterday"'],
        [1740823200000, '1740823200000'],
      ] as const)
        expect(value('last_activity_at', 'gte', v)).toBe(`filter.value: ${got} is not ${INSTANT}`);
    });

    it('numbers, whole numbers and day counts', () => {
      expect(value('arr', 'gt', '1000')).toBe('filter.value: "1000" is not a number');
      expect(value('arr', 'gt', null)).toBe('filter.value: null is not a number');
      expect(value('arr', 'gt', Number.NaN)).toBe('filter.value: NaN is not a number');
      expect(value('employees', 'gte', 99.5)).toBe('filter.value: 99.5 is not a whole number from -2147483647 to 2147483647');
      expect(value('open_cta_count', 'gte', 2 ** 31)).toBe('filter.value: 2147483648 is not a whole number from -2147483647 to 2147483647');
      expect(value('renewal_in_days', 'lte', 30.5)).toBe('filter.value: 30.5 is not a whole number of days from -36500 to 36500');
      expect(value('days_since_last_activity', 'gte', 36501)).toBe('filter.value: 36501 is not a whole number of days from -36500 to 36500');
      expect(value('days_overdue', 'gt', '3', 'ctas')).toBe('filter.value: "3" is not a whole number of days from -36500 to 36500');
    });

    it('between that is not [low, high]', () => {
      expect(value('arr', 'between', 5)).toBe('filter.value: must be [low, high], two numbers; got 5');
      expect(value('arr', 'between', [1, 2, 3])).toBe('filter.value: must be [low, high], two numbers; got an array');
      expect(value('renewal_date', 'between', { from: '2025-01-01' })).toBe('filter.value: must be [low, high], two dates (YYYY-MM-DD); got an object');
      expect(value('arr', 'between', [90, 0])).toBe('filter.value: low 90 is greater than high 0; give [low, high]');
      expect(value('renewal_date', 'between', ['2025-06-01', '2025-01-01'])).toBe(
        'filter.value: low "2025-06-01" is greater than high "2025-01-01"; give [low, high]',
      );
      expect(value('arr', 'between', ['0', 10])).toBe('filter.value[0]: "0" is not a number');
      expect(value('renewal_in_days', 'between', [0, 'ninety'])).toBe('filter.value[1]: "ninety" is not a whole number of days from -36500 to 36500');
    });

    it('in that is not a list of 1 to 100 values', () => {
      expect(value('segment', 'in', 'SMB')).toBe('filter.value: must be an array of 1 to 100 values among Enterprise, MidMarket, SMB; got "SMB"');
      expect(value('owner_id', 'in', [])).toBe('filter.value: must be an array of 1 to 100 strings; got 0 values');
      expect(value('owner_id', 'in', Array.from({ length: 101 }, (_, i) => `u${i}`))).toBe(
        'filter.value: must be an array of 1 to 100 strings; got 101 values',
      );
      expect(value('segment', 'in', ['SMB', 'Mid'])).toBe('filter.value[1]: "Mid" is not one of Enterprise, MidMarket, SMB');
    });
  });

  describe('group_by', () => {
    it('that is not an array of at most 3 fields', () => {
      expect(refusal({ entity: 'companies', group_by: 'owner_id' })).toBe('group_by: must be an array of at most 3 field names; got "owner_id"');
      expect(refusal({ entity: 'companies', group_by: ['owner_id', 'segment', 'region', 'industry'] })).toBe(
        'group_by: must be an array of at most 3 field names; got 4 fields',
      );
    });

    it('unknown, free-text and repeated fields', () => {
      const groupable = (entity: string) =>
        refusal({ entity, group_by: ['nope'] }).replace(/^group_by\[0\]: "nope" is not a field of \w+; fields to group by: /, '');
      expect(groupable('ctas')).not.toMatch(/\breason\b|\bcomments\b/);
      expect(groupable('timeline_activities')).not.toMatch(/\bsubject\b/);
      expect(refusal({ entity: 'ctas', group_by: ['reason'] })).toBe(`group_by[0]: reason is free text and cannot be grouped by; fields to group by: ${groupable('ctas')}`);
      expect(refusal({ entity: 'companies', group_by: ['owner_id', 'owner_id'] })).toBe('group_by[1]: owner_id is already in group_by');
      expect(refusal({ entity: 'companies', group_by: [7] })).toBe(`group_by[0]: 7 is not a field of companies; fields to group by: ${COMPANY_FIELDS}`);
    });
  });

  describe('metrics', () => {
    const metric = (m: unknown, extra: object = {}) => refusal({ entity: 'companies', group_by: ['segment'], metrics: [m], ...extra });
    const NUMBER_FIELDS =
      'employees, arr, renewal_in_days, health_score, days_since_last_activity, open_cta_count, open_risk_cta_count, overdue_cta_count, active_plan_count, activity_count';

    it('that are not an array of at most 10', () => {
      expect(refusal({ entity: 'companies', metrics: { fn: 'count' } })).toBe(
        'metrics: must be an array of at most 10 metrics like {"fn": "sum", "field": "arr", "as": "total_arr"}; got an object',
      );
      expect(refusal({ entity: 'companies', metrics: Array.from({ length: 11 }, (_, i) => ({ fn: 'count', as: `c${i}` })) })).toBe(
        'metrics: must be an array of at most 10 metrics like {"fn": "sum", "field": "arr", "as": "total_arr"}; got 11 metrics',
      );
    });

    it('an item that is not an object, or has unknown keys', () => {
      expect(metric('count')).toBe('metrics[0]: must be an object like {"fn": "sum", "field": "arr", "as": "total_arr"}; got "count"');
      expect(metric({ fn: 'count', alias: 'n' })).toBe('metrics[0].alias: unknown key; keys of a metric: fn, field, as');
    });

    it('a missing or unknown function', () => {
      expect(metric({ field: 'arr' })).toBe('metrics[0].fn: is required; functions: count, count_distinct, sum, avg, min, max');
      expect(metric({ fn: 'median', field: 'arr' })).toBe('metrics[0].fn: "median" is not a metric function; functions: count, count_distinct, sum, avg, min, max');
    });

    it('a missing, unknown or unsuitable field', () => {
      expect(metric({ fn: 'sum' })).toBe(`metrics[0].field: is required for "sum"; "sum" works on number fields of companies: ${NUMBER_FIELDS}`);
      expect(metric({ fn: 'avg', field: 'revenue' })).toBe(
        `metrics[0].field: "revenue" is not a field of companies; "avg" works on number fields of companies: ${NUMBER_FIELDS}`,
      );
      expect(metric({ fn: 'sum', field: 'segment' })).toBe(
        `metrics[0].field: segment is an enum field; "sum" works on number fields of companies: ${NUMBER_FIELDS}`,
      );
      expect(metric({ fn: 'max', field: 'name' })).toMatch(
        /^metrics\[0\]\.field: name is a text field; "max" works on number, date and time fields of companies: employees, arr, renewal_date, renewal_in_days, /,
      );
      expect(metric({ fn: 'count_distinct' })).toBe(
        `metrics[0].field: is required for "count_distinct"; "count_distinct" works on fields of companies: ${COMPANY_FIELDS}`,
      );
    });

    it('a bad or taken name', () => {
      for (const [as, got] of [
        ['Total ARR', '"Total ARR"'],
        ['1st', '"1st"'],
        ['a'.repeat(41), `"${'a'.repeat(41)}"`],
        ['total"arr', '"total\\"arr"'],
        [5, '5'],
      ] as const)
        expect(metric({ fn: 'count', as })).toBe(
          `metrics[0].as: ${got} is not a valid name; use lowercase letters, digits and _, starting with a letter, at most 40 characters`,
        );
      expect(refusal({ entity: 'companies', group_by: ['segment'], metrics: [{ fn: 'count', as: 'segment' }] })).toBe(
        'metrics[0].as: "segment" is already the name of a group_by field; choose another',
      );
      expect(refusal({ entity: 'companies', metrics: [{ fn: 'count', as: 'n' }, { fn: 'sum', field: 'arr', as: 'n' }] })).toBe(
        'metrics[1].as: "n" is already the name of metrics[0]; choose another',
      );
      expect(refusal({ entity: 'companies', metrics: [{ fn: 'sum', field: 'arr' }, { fn: 'sum', field: 'arr' }] })).toBe(
        'metrics[1]: its default name "sum_arr" is already the name of metrics[0]; give it another with "as"',
      );
    });
  });

  describe('fields', () => {
    it('with group_by or metrics', () => {
      const message =
        'fields: is only for row queries (without group_by and metrics); a grouped result has the group_by fields and the metrics as columns';
      expect(refusal({ entity: 'companies', group_by: ['segment'], fields: ['arr'] })).toBe(message);
      expect(refusal({ entity: 'companies', metrics: [{ fn: 'count' }], fields: ['arr'] })).toBe(message);
    });

    it('that are not an array of at most 30 known fields', () => {
      expect(refusal({ entity: 'companies', fields: 'arr' })).toBe('fields: must be an array of at most 30 field names; got "arr"');
      expect(refusal({ entity: 'companies', fields: Array.from({ length: 31 }, () => 'arr') })).toBe(
        'fields: must be an array of at most 30 field names; got 31 fields',
      );
      expect(refusal({ entity: 'companies', fields: ['arr', 'notes'] })).toBe(`fields[1]: "notes" is not a field of companies; fields: ${COMPANY_FIELDS}`);
    });
  });

  describe('sort', () => {
    it('that is not an array of at most 5 objects', () => {
      expect(refusal({ entity: 'companies', sort: { by: 'arr' } })).toBe(
        'sort: must be an array of at most 5 items like {"by": "arr", "dir": "desc"}; got an object',
      );
      expect(refusal({ entity: 'companies', sort: Array.from({ length: 6 }, () => ({ by: 'arr' })) })).toBe(
        'sort: must be an array of at most 5 items like {"by": "arr", "dir": "desc"}; got 6 items',
      );
      expect(refusal({ entity: 'companies', sort: ['arr desc'] })).toBe('sort[0]: must be an object like {"by": "arr", "dir": "desc"}; got "arr desc"');
    });

    it('unknown keys and directions', () => {
      expect(refusal({ entity: 'companies', sort: [{ by: 'arr', order: 'desc' }] })).toBe('sort[0].order: unknown key; keys of a sort item: by, dir');
      expect(refusal({ entity: 'companies', sort: [{ by: 'arr', dir: 'DESC' }] })).toBe('sort[0].dir: "DESC" is not a direction; directions: asc, desc');
    });

    it('rows by a missing or unknown field', () => {
      expect(refusal({ entity: 'companies', sort: [{ dir: 'asc' }] })).toBe(`sort[0].by: is required; fields: ${COMPANY_FIELDS}`);
      expect(refusal({ entity: 'companies', sort: [{ by: 'total_arr' }] })).toBe(`sort[0].by: "total_arr" is not a field of companies; fields: ${COMPANY_FIELDS}`);
    });

    it('groups by something that is not a column of the result', () => {
      const grouped = { entity: 'companies', group_by: ['owner_id'], metrics: [{ fn: 'sum', field: 'arr', as: 'total_arr' }] };
      expect(refusal({ ...grouped, sort: [{ by: 'arr' }] })).toBe('sort[0].by: "arr" is not a group_by field or metric name; sort by one of: owner_id, total_arr');
      expect(refusal({ ...grouped, sort: [{ dir: 'desc' }] })).toBe('sort[0].by: is required; sort by one of: owner_id, total_arr');
      expect(refusal({ entity: 'companies', metrics: [{ fn: 'count' }], sort: [{ by: 'segment' }] })).toBe(
        'sort[0].by: "segment" is not a group_by field or metric name; sort by one of: count',
      );
    });

    it('without repeating a refused metric as a sort problem', () => {
      expect(refusal({ entity: 'companies', group_by: ['owner_id'], metrics: [{ fn: 'sum', field: 'name', as: 'x' }], sort: [{ by: 'x' }] })).toMatch(
        /^metrics\[0\]\.field: name is a text field; [^\n]*$/,
      );
    });
  });

  it('every problem at once, in the order of the query', () => {
    expect(
      refusal({
        entity: 'companies',
        filter: { all: [{ field: 'health_color', op: 'eq', value: 'red' }, { field: 'renewal_in_days', op: 'lte', value: '90' }] },
        group_by: ['owner'],
        metrics: [{ fn: 'total', field: 'arr' }],
        limit: 5000,
        extra: true,
      }).split('\n'),
    ).toEqual([
      'extra: unknown key; keys of an analysis query: entity, filter, fields, group_by, metrics, sort, limit',
      'filter.all[0].value: "red" is not one of Red, Yellow, Green',
      'filter.all[1].value: "90" is not a whole number of days from -36500 to 36500',
      `group_by[0]: "owner" is not a field of companies; fields to group by: ${COMPANY_FIELDS}`,
      'metrics[0].fn: "total" is not a metric function; functions: count, count_distinct, sum, avg, min, max',
      'limit: 5000 is not a whole number from 1 to 1000',
    ]);
  });

  it('at most 20 problems', () => {
    const query = Object.fromEntries([['entity', 'companies'], ...Array.from({ length: 100 }, (_, i) => [`k${i}`, i])]);
    const error = (() => {
      try {
        validateAnalysis(query);
      } catch (e) {
        return e as AnalysisQueryError;
      }
    })()!;
    expect(error.problems).toHaveLength(20);
    expect(error.field).toBe('k0');
  });
});

describe('validateAnalysis on huge inputs', () => {
  it('stops looking once it has 20 problems', () => {
    const started = Date.now();
    const error = (() => {
      try {
        validateAnalysis({ entity: 'companies', filter: { any: Array.from({ length: 1_000_000 }, () => 7) } });
      } catch (e) {
        return e as AnalysisQueryError;
      }
    })()!;
    expect(error.problems).toHaveLength(20);
    expect(error.problems[19].path).toBe('filter.any[19]');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
