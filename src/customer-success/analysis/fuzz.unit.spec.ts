import { AnalysisQueryError } from './analysis-error';
import { randomInvalidQuery, randomJunk, randomValidQuery, seeded } from './analysis-spec.helpers';
import { compileAnalysis, type AnalysisContext } from './compile';

const contexts: AnalysisContext[] = [
  { now: new Date('2025-06-15T10:00:00Z'), dialect: 'sqlite', visibleOwnerIds: null },
  { now: new Date('2025-06-15T10:00:00Z'), dialect: 'postgres', visibleOwnerIds: ['u1', 'u2'] },
];

/** What compiling `query` did: compiled, refused (with the message), or threw something else. */
function outcome(query: unknown, context: AnalysisContext): { kind: 'compiled' } | { kind: 'refused'; message: string } | { kind: 'crashed'; error: unknown } {
  try {
    compileAnalysis(query, context);
    return { kind: 'compiled' };
  } catch (error) {
    if (error instanceof AnalysisQueryError && error.code === 'INVALID_QUERY' && error.problems.length > 0) return { kind: 'refused', message: error.message };
    return { kind: 'crashed', error };
  }
}

describe('analysis fuzz (seeded)', () => {
  it('refuses 2,000 surely invalid queries with INVALID_QUERY and nothing else', () => {
    const random = seeded(20250615);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const { query, mutation } = randomInvalidQuery(random);
      seen.add(mutation);
      const result = outcome(query, contexts[i % 2]);
      if (result.kind !== 'refused') throw new Error(`#${i} ${mutation} was ${result.kind}: ${JSON.stringify(query)}\n${String((result as { error?: unknown }).error)}`);
      // Each problem names where it is: a path into the query.
      for (const line of result.message.split('\n')) expect(line).toMatch(/^(query|entity|filter|fields|group_by|metrics|sort|limit|[^:]+): /);
    }
    // Every kind of mutation was tried.
    expect(seen.size).toBeGreaterThanOrEqual(30);
  });

  it('compiles 1,000 random valid queries for both dialects', () => {
    const random = seeded(7);
    for (let i = 0; i < 1000; i++) {
      const query = randomValidQuery(random);
      for (const context of contexts) {
        const result = outcome(query, context);
        if (result.kind !== 'compiled') throw new Error(`#${i} was ${result.kind}: ${JSON.stringify(query)}\n${JSON.stringify(result)}`);
        const compiled = compileAnalysis(query, context);
        // As many parameters as placeholders (none hides in a string literal: the only literal is ESCAPE '!').
        const withoutEscape = compiled.sql.replace(/ ESCAPE '!'/g, '');
        expect(withoutEscape).not.toContain("'");
        expect(withoutEscape.split('?').length - 1).toBe(compiled.params.length);
      }
    }
  });

  it('never throws anything but INVALID_QUERY on arbitrary JSON, anywhere in a query', () => {
    const random = seeded(42);
    const positions: ((junk: unknown) => unknown)[] = [
      (junk) => junk,
      (junk) => ({ entity: 'companies', filter: junk }),
      (junk) => ({ entity: 'ctas', filter: { all: [junk, { field: 'type', op: 'eq', value: 'Risk' }] } }),
      (junk) => ({ entity: 'companies', filter: { field: 'arr', op: 'between', value: junk } }),
      (junk) => ({ entity: 'companies', filter: { field: 'last_activity_at', op: 'in', value: junk } }),
      (junk) => ({ entity: 'timeline_activities', filter: { field: 'days_ago', op: junk, value: junk } }),
      (junk) => ({ entity: 'companies', group_by: junk, metrics: [{ fn: 'count' }] }),
      (junk) => ({ entity: 'companies', group_by: ['segment'], metrics: [junk] }),
      (junk) => ({ entity: 'companies', group_by: ['segment'], metrics: [{ fn: 'sum', field: junk }], sort: [{ by: junk }] }),
      (junk) => ({ entity: 'ctas', fields: junk, sort: junk, limit: junk }),
    ];
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const query = JSON.parse(JSON.stringify(random.pick(positions)(randomJunk(random)) ?? null)) as unknown;
      const result = outcome(query, contexts[i % 2]);
      if (result.kind === 'crashed') throw new Error(`#${i} crashed: ${JSON.stringify(query)}\n${String(result.error)}`);
      if (result.kind === 'refused') refused++;
    }
    expect(refused).toBeGreaterThan(2500);
  });
});
