import { AnalysisQueryError } from './analysis-error';
import { compileAnalysis, type AnalysisContext } from './compile';

// 10:00 UTC on 2025-06-15: "today" is 2025-06-15.
const NOW = new Date('2025-06-15T10:00:00Z');
const sqlite: AnalysisContext = { now: NOW, dialect: 'sqlite', visibleOwnerIds: null };
const postgres: AnalysisContext = { now: NOW, dialect: 'postgres', visibleOwnerIds: null };

const EXAMPLE = {
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
};

/** The WHERE clause of a companies query filtered by `condition`, with its parameters. */
function where(condition: unknown, context: AnalysisContext = sqlite, entity = 'companies'): { sql: string; params: unknown[] } {
  // Grouped by a plain column with a plain count, so the WHERE clause holds the only parameters but LIMIT's.
  const compiled = compileAnalysis({ entity, filter: condition, group_by: ['owner_id'], metrics: [{ fn: 'count' }] }, context);
  const line = compiled.sql.split('\n').find((l) => l.startsWith('WHERE '));
  return { sql: line ? line.slice('WHERE '.length) : '', params: compiled.params.slice(0, -1) };
}

describe('compileAnalysis', () => {
  it('compiles the example to one grouped scan of cs_companies (SQLite)', () => {
    const compiled = compileAnalysis(EXAMPLE, { ...sqlite, visibleOwnerIds: ['u1', 'u2'] });
    expect(compiled.sql).toBe(
      [
        'SELECT c.owner_id AS "owner_id", SUM(c.arr) AS "total_arr", COUNT(*) AS "accounts"',
        'FROM cs_companies c',
        'WHERE c.owner_id IN (?, ?) AND (c.health_color = ? AND (c.renewal_date >= ? AND c.renewal_date <= ?) AND (c.last_activity_at < ? OR c.last_activity_at IS NULL))',
        'GROUP BY 1',
        'ORDER BY 2 DESC NULLS LAST, 1 ASC NULLS LAST',
        'LIMIT ?',
      ].join('\n'),
    );
    // renewal in 0..90 days: 2025-06-15..2025-09-13; no activity for 30 days: last activity before 2025-05-17 (or none).
    expect(compiled.params).toEqual(['u1', 'u2', 'Red', '2025-06-15', '2025-09-13', '2025-05-17', 51]);
    expect(compiled.columns).toEqual([
      { name: 'owner_id', type: 'text', role: 'group' },
      { name: 'total_arr', type: 'number', role: 'metric' },
      { name: 'accounts', type: 'number', role: 'metric' },
    ]);
    expect(compiled.limit).toBe(50);
    expect(compiled.entity).toBe('companies');
    expect(compiled.explanation).toBe(
      'Companies where health_color = "Red" and renewal_in_days between 0 and 90 and days_since_last_activity >= 30 (or never), ' +
        'grouped by owner_id: total_arr = sum of arr, accounts = count; sorted by total_arr desc; first 50 groups; ' +
        'days counted from 2025-06-15 (UTC); only the companies you may see',
    );
  });

  it('compiles the example for PostgreSQL: sums as doubles, text ordered bytewise', () => {
    const compiled = compileAnalysis(EXAMPLE, postgres);
    expect(compiled.sql).toBe(
      [
        'SELECT c.owner_id AS "owner_id", CAST(SUM(c.arr) AS DOUBLE PRECISION) AS "total_arr", COUNT(*) AS "accounts"',
        'FROM cs_companies c',
        'WHERE (c.health_color = ? AND (c.renewal_date >= ? AND c.renewal_date <= ?) AND (c.last_activity_at < ? OR c.last_activity_at IS NULL))',
        'GROUP BY 1',
        'ORDER BY 2 DESC NULLS LAST, c.owner_id COLLATE "C" ASC NULLS LAST',
        'LIMIT ?',
      ].join('\n'),
    );
    expect(compiled.params).toEqual(['Red', '2025-06-15', '2025-09-13', '2025-05-17', 51]);
  });

  it('refuses an invalid query with AnalysisQueryError before compiling anything', () => {
    expect(() => compileAnalysis({ entity: 'companies', limit: 0 }, sqlite)).toThrow(AnalysisQueryError);
  });

  describe('the viewer scope', () => {
    it('is ANDed with the filter, whatever the filter says', () => {
      const { sql, params } = where({ any: [{ field: 'owner_id', op: 'eq', value: 'u9' }, { field: 'arr', op: 'gt', value: 0 }] }, {
        ...sqlite,
        visibleOwnerIds: ['u1', 'u1', 'u2'],
      });
      expect(sql).toBe('c.owner_id IN (?, ?) AND (c.owner_id = ? OR c.arr > ?)');
      expect(params).toEqual(['u1', 'u2', 'u9', 0]);
    });

    it('sees nothing with no visible owner', () => {
      expect(where({ field: 'arr', op: 'gt', value: 0 }, { ...sqlite, visibleOwnerIds: [] }).sql).toBe('1 = 0 AND c.arr > ?');
      const compiled = compileAnalysis({ entity: 'companies' }, { ...sqlite, visibleOwnerIds: [] });
      expect(compiled.sql).toContain('\nWHERE 1 = 0\n');
    });

    it('restricts CTAs and activities by the owner of their company', () => {
      for (const entity of ['ctas', 'timeline_activities']) {
        const compiled = compileAnalysis({ entity }, { ...postgres, visibleOwnerIds: ['u1'] });
        expect(compiled.sql).toContain('\nWHERE c.owner_id IN (?)\n');
        expect(compiled.params).toEqual(['u1', 51]);
      }
    });
  });

  describe('today', () => {
    it('is the UTC date of now, whatever the local zone says', () => {
      const late = new Date('2025-06-15T23:30:00-05:00'); // 2025-06-16T04:30Z
      expect(where({ field: 'renewal_in_days', op: 'eq', value: 0 }, { ...sqlite, now: late }).params).toEqual(['2025-06-16']);
    });

    it('crosses month and leap-year ends', () => {
      const leap = { ...sqlite, now: new Date('2024-02-28T12:00:00Z') };
      expect(where({ field: 'renewal_in_days', op: 'eq', value: 1 }, leap).params).toEqual(['2024-02-29']);
      expect(where({ field: 'renewal_in_days', op: 'eq', value: 2 }, leap).params).toEqual(['2024-03-01']);
      expect(where({ field: 'renewal_in_days', op: 'eq', value: -59 }, leap).params).toEqual(['2023-12-31']);
    });
  });

  describe('renewal_in_days becomes comparisons on renewal_date (indexed)', () => {
    it.each([
      ['eq', 30, 'c.renewal_date = ?', ['2025-07-15']],
      ['ne', 30, '(c.renewal_date IS NULL OR c.renewal_date <> ?)', ['2025-07-15']],
      ['gte', 30, 'c.renewal_date >= ?', ['2025-07-15']],
      ['gt', 30, 'c.renewal_date > ?', ['2025-07-15']],
      ['lte', 30, 'c.renewal_date <= ?', ['2025-07-15']],
      ['lt', 30, 'c.renewal_date < ?', ['2025-07-15']],
      ['lt', 0, 'c.renewal_date < ?', ['2025-06-15']],
      ['between', [-7, 7], '(c.renewal_date >= ? AND c.renewal_date <= ?)', ['2025-06-08', '2025-06-22']],
      ['in', [0, 1], '(c.renewal_date = ? OR c.renewal_date = ?)', ['2025-06-15', '2025-06-16']],
    ])('%s %j', (op, value, sql, params) => {
      expect(where({ field: 'renewal_in_days', op, value })).toEqual({ sql, params });
    });

    it('is_null / is_not_null on the date', () => {
      expect(where({ field: 'renewal_in_days', op: 'is_null' }).sql).toBe('c.renewal_date IS NULL');
      expect(where({ field: 'renewal_in_days', op: 'is_not_null' }).sql).toBe('c.renewal_date IS NOT NULL');
    });
  });

  describe('days_since_last_activity: a company without activity counts as infinitely long ago', () => {
    // X days since the last activity <=> its UTC date is today - X: from "today-X" to before "today-X+1".
    it.each([
      ['gte', 30, '(c.last_activity_at < ? OR c.last_activity_at IS NULL)', ['2025-05-17']],
      ['gt', 30, '(c.last_activity_at < ? OR c.last_activity_at IS NULL)', ['2025-05-16']],
      ['lte', 30, 'c.last_activity_at >= ?', ['2025-05-16']],
      ['lt', 30, 'c.last_activity_at >= ?', ['2025-05-17']],
      ['eq', 0, '(c.last_activity_at >= ? AND c.last_activity_at < ?)', ['2025-06-15', '2025-06-16']],
      ['ne', 0, '(c.last_activity_at IS NULL OR c.last_activity_at < ? OR c.last_activity_at >= ?)', ['2025-06-15', '2025-06-16']],
      ['between', [7, 14], '(c.last_activity_at < ? AND c.last_activity_at >= ?)', ['2025-06-09', '2025-06-01']],
      ['is_null', undefined, 'c.last_activity_at IS NULL', []],
    ])('%s %j', (op, value, sql, params) => {
      expect(where({ field: 'days_since_last_activity', op, ...(value === undefined ? {} : { value }) })).toEqual({ sql, params });
    });

    it('is selected as a day difference, null for never', () => {
      const rows = (dialect: 'sqlite' | 'postgres') =>
        compileAnalysis({ entity: 'companies', fields: ['days_since_last_activity'] }, { ...sqlite, dialect }).sql.split('\n')[0];
      expect(rows('sqlite')).toContain(
        `CAST(julianday(?) - julianday(substr(c.last_activity_at, 1, 10)) AS INTEGER) AS "days_since_last_activity"`,
      );
      expect(rows('postgres')).toContain(`(CAST(? AS DATE) - CAST(substr(c.last_activity_at, 1, 10) AS DATE)) AS "days_since_last_activity"`);
    });

    it('sorts never-active companies as the largest', () => {
      const sql = (dir: string) =>
        compileAnalysis({ entity: 'companies', sort: [{ by: 'days_since_last_activity', dir }] }, sqlite).sql.split('\n').find((l) => l.startsWith('ORDER BY'));
      expect(sql('desc')).toBe('ORDER BY 8 DESC NULLS FIRST, 1 ASC NULLS LAST');
      expect(sql('asc')).toBe('ORDER BY 8 ASC NULLS LAST, 1 ASC NULLS LAST');
    });

    it('sorts by ARR (never null) without a NULLS clause, so PostgreSQL can read its index backwards', () => {
      const orderBy = (query: object) => compileAnalysis(query, postgres).sql.split('\n').find((l) => l.startsWith('ORDER BY'));
      // The companies' default sort is ARR, descending.
      expect(orderBy({ entity: 'companies' })).toBe('ORDER BY 5 DESC, c.company_id COLLATE "C" ASC NULLS LAST');
      expect(orderBy({ entity: 'companies', sort: [{ by: 'renewal_date', dir: 'desc' }] })).toMatch(/^ORDER BY c\.renewal_date COLLATE "C" DESC NULLS LAST/);
    });
  });

  describe('days_overdue exists for open CTAs only', () => {
    it.each([
      ['gt', 0, '(t.is_open = 1 AND t.due_date < ?)', ['2025-06-15']],
      ['gte', 7, '(t.is_open = 1 AND t.due_date <= ?)', ['2025-06-08']],
      ['lt', 0, '(t.is_open = 1 AND t.due_date > ?)', ['2025-06-15']],
      ['between', [1, 30], '(t.is_open = 1 AND (t.due_date <= ? AND t.due_date >= ?))', ['2025-06-14', '2025-05-16']],
      ['ne', 0, '(t.due_date IS NULL OR t.is_open <> 1 OR t.due_date <> ?)', ['2025-06-15']],
      ['is_null', undefined, '(t.due_date IS NULL OR t.is_open <> 1)', []],
      ['is_not_null', undefined, '(t.due_date IS NOT NULL AND t.is_open = 1)', []],
    ])('%s %j', (op, value, sql, params) => {
      expect(where({ field: 'days_overdue', op, ...(value === undefined ? {} : { value }) }, sqlite, 'ctas')).toEqual({ sql, params });
    });

    it('is selected only where the CTA is open', () => {
      const first = compileAnalysis({ entity: 'ctas', fields: ['days_overdue'] }, postgres).sql.split('\n')[0];
      expect(first).toContain('CASE WHEN t.is_open = 1 THEN (CAST(? AS DATE) - CAST(t.due_date AS DATE)) END AS "days_overdue"');
    });
  });

  describe('instants', () => {
    it('compared with a date mean that whole UTC day', () => {
      expect(where({ field: 'created_at', op: 'eq', value: '2025-03-01' })).toEqual({
        sql: '(c.created_at >= ? AND c.created_at < ?)',
        params: ['2025-03-01', '2025-03-02'],
      });
      expect(where({ field: 'created_at', op: 'lte', value: '2025-03-01' })).toEqual({ sql: 'c.created_at < ?', params: ['2025-03-02'] });
      expect(where({ field: 'created_at', op: 'gt', value: '2025-03-01' })).toEqual({ sql: 'c.created_at >= ?', params: ['2025-03-02'] });
      expect(where({ field: 'created_at', op: 'lt', value: '2025-03-01' })).toEqual({ sql: 'c.created_at < ?', params: ['2025-03-01'] });
      expect(where({ field: 'created_at', op: 'between', value: ['2025-03-01', '2025-03-31'] })).toEqual({
        sql: '(c.created_at >= ? AND c.created_at < ?)',
        params: ['2025-03-01', '2025-04-01'],
      });
      expect(where({ field: 'created_at', op: 'lte', value: '9999-12-31' })).toEqual({
        sql: 'c.created_at <= ?',
        params: ['9999-12-31T23:59:59.999Z'],
      });
    });

    it('compared with a time are exact, in UTC', () => {
      expect(where({ field: 'created_at', op: 'eq', value: '2025-03-01T15:30:00+01:00' })).toEqual({
        sql: 'c.created_at = ?',
        params: ['2025-03-01T14:30:00.000Z'],
      });
      expect(where({ field: 'created_at', op: 'gt', value: '2025-03-01T14:30:00Z' })).toEqual({
        sql: 'c.created_at > ?',
        params: ['2025-03-01T14:30:00.000Z'],
      });
      expect(where({ field: 'created_at', op: 'ne', value: '2025-03-01T14:30:00Z' })).toEqual({
        sql: '(c.created_at IS NULL OR c.created_at <> ?)',
        params: ['2025-03-01T14:30:00.000Z'],
      });
    });
  });

  describe('plain conditions', () => {
    it.each([
      ['segment', 'eq', 'SMB', 'c.segment = ?', ['SMB']],
      ['segment', 'ne', 'SMB', '(c.segment <> ? OR c.segment IS NULL)', ['SMB']],
      ['segment', 'in', ['SMB', 'MidMarket'], 'c.segment IN (?, ?)', ['SMB', 'MidMarket']],
      ['arr', 'between', [10, 20], 'c.arr BETWEEN ? AND ?', [10, 20]],
      ['employees', 'gte', 100, 'c.employees >= ?', [100]],
      ['renewal_date', 'lt', '2025-12-31', 'c.renewal_date < ?', ['2025-12-31']],
      ['owner_id', 'is_null', undefined, 'c.owner_id IS NULL', []],
      ['renewal_month', 'eq', '2025-07', 'substr(c.renewal_date, 1, 7) = ?', ['2025-07']],
      ['overdue_cta_count', 'gt', 0, '(SELECT COUNT(*) FROM cs_ctas o WHERE o.company_id = c.company_id AND o.is_open = 1 AND o.due_date < ?) > ?', ['2025-06-15', 0]],
    ])('%s %s %j', (field, op, value, sql, params) => {
      expect(where({ field, op, ...(value === undefined ? {} : { value }) })).toEqual({ sql, params });
    });

    it('binds booleans as 1 / 0', () => {
      expect(where({ field: 'is_open', op: 'eq', value: true }, sqlite, 'ctas')).toEqual({ sql: 't.is_open = ?', params: [1] });
      expect(where({ field: 'is_open', op: 'ne', value: false }, sqlite, 'ctas')).toEqual({ sql: '(t.is_open <> ? OR t.is_open IS NULL)', params: [0] });
    });

    it('binds fractional-capable numbers as doubles on PostgreSQL, whole-number fields as they are', () => {
      expect(where({ field: 'arr', op: 'gt', value: 99.5 }, postgres).sql).toBe('c.arr > CAST(? AS DOUBLE PRECISION)');
      expect(where({ field: 'employees', op: 'gt', value: 99 }, postgres).sql).toBe('c.employees > ?');
    });

    it('contains: case-insensitive, LIKE wildcards escaped', () => {
      expect(where({ field: 'name', op: 'contains', value: '50%_off!' })).toEqual({
        sql: "lower(c.name) LIKE lower(CAST(? AS TEXT)) ESCAPE '!'",
        params: ['%50!%!_off!!%'],
      });
      expect(where({ field: 'company.name', op: 'contains', value: 'Acme' }, postgres, 'ctas').sql).toBe(
        "lower(c.name) LIKE lower(CAST(? AS TEXT)) ESCAPE '!'",
      );
    });

    it('keeps every value out of the SQL text', () => {
      const hostile = "x' OR 1=1; DROP TABLE cs_companies; --";
      const compiled = compileAnalysis(
        { entity: 'ctas', filter: { any: [{ field: 'name', op: 'eq', value: hostile }, { field: 'reason', op: 'contains', value: hostile }] } },
        postgres,
      );
      expect(compiled.sql).not.toContain('DROP');
      expect(compiled.params).toContain(hostile);
    });

    it('nests all / any / not; not is two-valued (a null comparison is false, so its negation is true)', () => {
      expect(
        where({
          all: [
            { any: [{ field: 'segment', op: 'eq', value: 'SMB' }, { field: 'arr', op: 'lt', value: 1000 }] },
            { not: { field: 'health_color', op: 'eq', value: 'Green' } },
            { all: [{ field: 'region', op: 'eq', value: 'EMEA' }] },
          ],
        }),
      ).toEqual({
        sql: '((c.segment = ? OR c.arr < ?) AND NOT COALESCE(c.health_color = ?, FALSE) AND c.region = ?)',
        params: ['SMB', 1000, 'Green', 'EMEA'],
      });
    });
  });

  describe('rows', () => {
    it('default columns, requested fields, then the filter and sort fields; default order with the id as tie-breaker', () => {
      const compiled = compileAnalysis(
        {
          entity: 'companies',
          fields: ['region', 'arr'],
          filter: { field: 'open_risk_cta_count', op: 'gt', value: 0 },
          sort: [{ by: 'health_score' }],
          limit: 10,
        },
        sqlite,
      );
      expect(compiled.columns.map((c) => c.name)).toEqual([
        'company_id',
        'name',
        'segment',
        'owner_id',
        'arr',
        'renewal_date',
        'health_color',
        'region',
        'open_risk_cta_count',
        'health_score',
      ]);
      expect(compiled.sql).toBe(
        [
          'SELECT c.company_id AS "company_id", c.name AS "name", c.segment AS "segment", c.owner_id AS "owner_id", c.arr AS "arr", ' +
            'c.renewal_date AS "renewal_date", c.health_color AS "health_color", c.region AS "region", ' +
            'c.open_risk_cta_count AS "open_risk_cta_count", c.health_score AS "health_score"',
          'FROM cs_companies c',
          'WHERE c.open_risk_cta_count > ?',
          'ORDER BY 10 ASC NULLS LAST, 1 ASC NULLS LAST',
          'LIMIT ?',
        ].join('\n'),
      );
      expect(compiled.params).toEqual([0, 11]);
      expect(compiled.explanation).toBe('Companies where open_risk_cta_count > 0; sorted by health_score asc; first 10 rows');
    });

    it('of CTAs, with their company fields from one join', () => {
      const compiled = compileAnalysis({ entity: 'ctas', filter: { field: 'company.segment', op: 'eq', value: 'Enterprise' } }, postgres);
      expect(compiled.sql).toBe(
        [
          'SELECT t.cta_id AS "cta_id", t.name AS "name", t.type AS "type", t.priority AS "priority", t.status AS "status", ' +
            't.owner_id AS "owner_id", t.due_date AS "due_date", t.company_id AS "company_id", c.name AS "company.name", c.segment AS "company.segment"',
          'FROM cs_ctas t JOIN cs_companies c ON c.company_id = t.company_id',
          'WHERE c.segment = ?',
          'ORDER BY t.due_date COLLATE "C" ASC NULLS LAST, t.cta_id COLLATE "C" ASC NULLS LAST',
          'LIMIT ?',
        ].join('\n'),
      );
    });

    it('of timeline activities, newest first by default', () => {
      const compiled = compileAnalysis({ entity: 'timeline_activities', filter: { field: 'days_ago', op: 'lte', value: 7 } }, sqlite);
      expect(compiled.sql.split('\n').slice(1)).toEqual([
        'FROM cs_timeline_activities a JOIN cs_companies c ON c.company_id = a.company_id',
        'WHERE a.occurred_at >= ?',
        'ORDER BY 4 DESC NULLS LAST, 1 ASC NULLS LAST',
        'LIMIT ?',
      ]);
      expect(compiled.params).toEqual(['2025-06-15', '2025-06-08', 51]);
    });
  });

  describe('aggregates', () => {
    it('metrics without group_by: one row of totals, no GROUP BY, no order', () => {
      const compiled = compileAnalysis(
        {
          entity: 'companies',
          filter: { field: 'health_color', op: 'eq', value: 'Red' },
          metrics: [
            { fn: 'count' },
            { fn: 'sum', field: 'arr' },
            { fn: 'avg', field: 'health_score' },
            { fn: 'min', field: 'renewal_date' },
            { fn: 'max', field: 'last_activity_at', as: 'latest' },
            { fn: 'count_distinct', field: 'owner_id', as: 'owners' },
            { fn: 'count', field: 'renewal_date', as: 'with_renewal' },
          ],
        },
        sqlite,
      );
      expect(compiled.sql).toBe(
        [
          'SELECT COUNT(*) AS "count", SUM(c.arr) AS "sum_arr", AVG(c.health_score) AS "avg_health_score", MIN(c.renewal_date) AS "min_renewal_date", ' +
            'MAX(c.last_activity_at) AS "latest", COUNT(DISTINCT c.owner_id) AS "owners", COUNT(c.renewal_date) AS "with_renewal"',
          'FROM cs_companies c',
          'WHERE c.health_color = ?',
          'LIMIT ?',
        ].join('\n'),
      );
      expect(compiled.columns.map((c) => c.type)).toEqual(['number', 'number', 'number', 'date', 'instant', 'number', 'number']);
      expect(compiled.explanation).toBe(
        'Companies where health_color = "Red", totals: count = count, sum_arr = sum of arr, avg_health_score = avg of health_score, ' +
          'min_renewal_date = min of renewal_date, latest = max of last_activity_at, owners = number of distinct owner_id, with_renewal = count of renewal_date set',
      );
    });

    it('groups by up to 3 fields with positional GROUP BY, a derived bucket among them', () => {
      const compiled = compileAnalysis(
        {
          entity: 'ctas',
          filter: { field: 'is_open', op: 'eq', value: true },
          group_by: ['company.renewal_month', 'type', 'company.renewal_in_days'],
          metrics: [{ fn: 'avg', field: 'days_overdue', as: 'avg_overdue' }],
          sort: [{ by: 'avg_overdue', dir: 'desc' }],
        },
        postgres,
      );
      expect(compiled.sql).toBe(
        [
          'SELECT substr(c.renewal_date, 1, 7) AS "company.renewal_month", t.type AS "type", ' +
            '(CAST(c.renewal_date AS DATE) - CAST(? AS DATE)) AS "company.renewal_in_days", ' +
            'AVG(CAST(CASE WHEN t.is_open = 1 THEN (CAST(? AS DATE) - CAST(t.due_date AS DATE)) END AS DOUBLE PRECISION)) AS "avg_overdue"',
          'FROM cs_ctas t JOIN cs_companies c ON c.company_id = t.company_id',
          'WHERE t.is_open = ?',
          'GROUP BY 1, 2, 3',
          'ORDER BY 4 DESC NULLS LAST, substr(c.renewal_date, 1, 7) COLLATE "C" ASC NULLS LAST, t.type COLLATE "C" ASC NULLS LAST, 3 ASC NULLS LAST',
          'LIMIT ?',
        ].join('\n'),
      );
      expect(compiled.params).toEqual(['2025-06-15', '2025-06-15', 1, 51]);
    });
  });

  it('typical companies analyses read cs_companies alone: no join, no subquery', () => {
    const analyses = [
      EXAMPLE,
      { entity: 'companies', filter: { field: 'open_risk_cta_count', op: 'gt', value: 0 }, group_by: ['segment'], metrics: [{ fn: 'sum', field: 'arr' }] },
      { entity: 'companies', group_by: ['renewal_month'], metrics: [{ fn: 'count' }, { fn: 'sum', field: 'arr' }], filter: { field: 'renewal_in_days', op: 'between', value: [0, 365] } },
      { entity: 'companies', group_by: ['health_color', 'lifecycle_stage'], metrics: [{ fn: 'avg', field: 'days_since_last_activity' }, { fn: 'sum', field: 'active_plan_count' }] },
      { entity: 'companies', filter: { field: 'name', op: 'contains', value: 'bank' }, sort: [{ by: 'activity_count', dir: 'desc' }] },
    ];
    for (const analysis of analyses)
      for (const context of [sqlite, postgres]) {
        const { sql } = compileAnalysis(analysis, context);
        expect(sql).not.toMatch(/JOIN|SELECT[^\n]*SELECT|cs_ctas|cs_timeline/);
        expect(sql.match(/FROM cs_companies c/g)).toHaveLength(1);
      }
  });
});
