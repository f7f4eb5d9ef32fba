import * as fc from 'fast-check';
import { ANALYSIS_ENTITIES, FILTER_OPS, METRIC_FNS, OPS_BY_TYPE } from '../../../src/customer-success/analysis';
import { ENTITIES, type EntityDef, type FieldDef } from '../../../src/customer-success/analysis/fields';
import { badDate, nastyJson, nastyNumber, nastyString } from './fuzz-http';

/**
 * Analysis queries (the analyze_accounts language) for the fuzz soaks: mostly built from the
 * whitelist (so they compile and run), with wrong names, wrong ops, values of the wrong type, nasty
 * strings, bad dates, out-of-range limits and arbitrary JSON mixed in at every position.
 */

/** Mostly `good`, sometimes anything. */
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<unknown> = nastyJson): fc.Arbitrary<unknown> => fc.oneof({ weight: 19, arbitrary: good }, { weight: 1, arbitrary: bad });

function valueOf(field: FieldDef): fc.Arbitrary<unknown> {
  switch (field.type) {
    case 'text':
      return fc.oneof(fc.constantFrom('Acme', 'u1', "o'reilly", '50%', 'x!y_', ''), nastyString);
    case 'enum':
      return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...(field.values ?? ['x'])) }, { weight: 1, arbitrary: nastyString });
    case 'boolean':
      return fc.oneof({ weight: 4, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom('true', 1, null) });
    case 'number':
      return fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -400, max: 5_000_000 }) }, { weight: 1, arbitrary: nastyNumber });
    case 'date':
      return fc.oneof(fc.date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2100-01-01') }).map((d) => d.toISOString().slice(0, 10)), badDate);
    case 'instant':
      return fc.oneof(fc.date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2100-01-01') }).map((d) => d.toISOString()), badDate);
  }
}

function condition(entity: EntityDef): fc.Arbitrary<unknown> {
  const fields = [...entity.fields.values()];
  return fc.constantFrom(...fields).chain((field) =>
    fc
      .tuple(
        mostly(fc.constant(field.name), nastyString),
        mostly(fc.constantFrom(...OPS_BY_TYPE[field.type]), fc.oneof(fc.constantFrom(...FILTER_OPS), nastyString)),
        valueOf(field),
        fc.array(valueOf(field), { maxLength: 4 }),
      )
      .map(([name, op, value, list]) => {
        if (op === 'is_null' || op === 'is_not_null') return { field: name, op };
        if (op === 'between') return { field: name, op, value: list.slice(0, 2) };
        if (op === 'in') return { field: name, op, value: list };
        return { field: name, op, value };
      }),
  );
}

function filter(entity: EntityDef): fc.Arbitrary<unknown> {
  const { node } = fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      condition(entity),
      fc.record({ all: fc.array(tie('node'), { maxLength: 3 }) }),
      fc.record({ any: fc.array(tie('node'), { maxLength: 3 }) }),
      fc.record({ not: tie('node') }),
    ),
  }));
  return mostly(node);
}

export const analysisQuery: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.constantFrom(...ANALYSIS_ENTITIES).chain((name) => {
      const entity = ENTITIES.get(name)!;
      const names = [...entity.fields.keys()];
      const groupable = [...entity.fields.values()].filter((f) => f.groupable).map((f) => f.name);
      const metric = fc.record(
        { fn: mostly(fc.constantFrom(...METRIC_FNS), nastyString), field: mostly(fc.constantFrom(...names), nastyString), as: mostly(fc.constantFrom('m0', 'm1', 'total', 'count'), nastyString) },
        { requiredKeys: ['fn'] },
      );
      return fc.record(
        {
          entity: mostly(fc.constant(name), nastyString),
          filter: filter(entity),
          fields: mostly(fc.array(mostly(fc.constantFrom(...names), nastyString), { maxLength: 4 })),
          group_by: mostly(fc.array(mostly(fc.constantFrom(...groupable), nastyString), { maxLength: 3 })),
          metrics: mostly(fc.array(metric, { maxLength: 3 })),
          sort: mostly(fc.array(fc.record({ by: mostly(fc.constantFrom(...names, 'm0', 'm1', 'total', 'count'), nastyString), dir: mostly(fc.constantFrom('asc', 'desc'), nastyString) }, { requiredKeys: ['by'] }), { maxLength: 2 })),
          limit: mostly(fc.integer({ min: 1, max: 1000 }), fc.oneof(nastyNumber, fc.constantFrom(0, 1001, '10', null))),
          // An unknown key, now and then.
          extra: nastyJson,
        },
        { requiredKeys: ['entity'] },
      ).map((q) => {
        const query = { ...(q as Record<string, unknown>) };
        // Rows or aggregates, not always both (both is refused, and that path is fuzzed enough by the rest).
        if ('fields' in query && ('group_by' in query || 'metrics' in query) && JSON.stringify(query).length % 3 !== 0) delete query.fields;
        if ('extra' in query && JSON.stringify(query).length % 5 !== 0) delete query.extra;
        return query;
      });
    }),
  },
  { weight: 1, arbitrary: nastyJson },
);
