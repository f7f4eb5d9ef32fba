import { ANALYSIS_LIMITS, METRIC_FNS, OPS_BY_TYPE, type FilterOp } from './analysis-query';
import { addDays } from './days';
import { ANALYSIS_ENTITIES, ENTITIES, type EntityDef, type FieldDef } from './fields';

/** Test support: seeded random analysis queries, valid ones and surely invalid ones. */

/** A small seeded PRNG (mulberry32): the same seed, the same sequence. */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
  };
}

export interface Random {
  next(): number;
  /** A whole number in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(list: readonly T[]): T;
  chance(p: number): boolean;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const TEXTS = ['Acme', 'acme', 'off_', '50%', "o'reilly", 'u1', 'u2', 'Globex 7', 'x!y', 'ünïcode', ' ', 'Deals'];

function randomValue(r: Random, field: FieldDef, op: FilterOp): Json {
  switch (field.type) {
    case 'text':
      return r.pick(TEXTS);
    case 'enum':
      return r.pick(field.values!);
    case 'boolean':
      return r.chance(0.5);
    case 'date':
      return addDays('2025-01-01', r.int(-400, 600));
    case 'instant': {
      const day = addDays('2025-01-01', r.int(-400, 300));
      return r.chance(0.5) ? day : `${day}T${String(r.int(0, 23)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}:00Z`;
    }
    case 'number':
      if (field.days) return r.int(-200, 400);
      if (field.integer) return r.int(-2, op === 'between' ? 50 : 2000);
      return r.int(-10, 4000) * 50 + (r.chance(0.3) ? 0.5 : 0);
  }
}

function compareValues(a: Json, b: Json): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function randomCondition(r: Random, entity: EntityDef): Json {
  const field = r.pick([...entity.fields.values()]);
  const op = r.pick(OPS_BY_TYPE[field.type]);
  if (op === 'is_null' || op === 'is_not_null') return { field: field.name, op };
  if (op === 'between') {
    const pair = [randomValue(r, field, op), randomValue(r, field, op)].sort(compareValues);
    return { field: field.name, op, value: pair };
  }
  if (op === 'in') return { field: field.name, op, value: Array.from({ length: r.int(1, 4) }, () => randomValue(r, field, op)) };
  if (op === 'contains') return { field: field.name, op, value: r.pick(TEXTS.filter((t) => t !== '')) };
  return { field: field.name, op, value: randomValue(r, field, op) };
}

function randomFilter(r: Random, entity: EntityDef, depth: number): Json {
  if (depth >= 3 || r.chance(0.45)) return randomCondition(r, entity);
  if (r.chance(0.2)) return { not: randomFilter(r, entity, depth + 1) };
  return { [r.pick(['all', 'any'])]: Array.from({ length: r.int(1, 3) }, () => randomFilter(r, entity, depth + 1)) };
}

/** A query the validator must accept: every name from the whitelist, every value of the right type. */
export function randomValidQuery(r: Random): { [key: string]: Json } {
  const entity = ENTITIES.get(r.pick(ANALYSIS_ENTITIES))!;
  const fields = [...entity.fields.values()];
  const query: { [key: string]: Json } = { entity: entity.name };
  if (r.chance(0.8)) query.filter = randomFilter(r, entity, 0);
  if (r.chance(0.55)) {
    const groupable = fields.filter((f) => f.groupable);
    const groupBy = [...new Set(Array.from({ length: r.int(0, 3) }, () => r.pick(groupable).name))];
    const metrics = Array.from({ length: r.int(groupBy.length === 0 ? 1 : 0, 3) }, (_, i) => {
      const fn = r.pick(METRIC_FNS);
      const candidates = fields.filter((f) =>
        fn === 'sum' || fn === 'avg' ? f.type === 'number' : fn === 'min' || fn === 'max' ? ['number', 'date', 'instant'].includes(f.type) : true,
      );
      const metric: { [key: string]: Json } = { fn, as: `m${i}` };
      if (fn !== 'count' || r.chance(0.3)) metric.field = r.pick(candidates).name;
      return metric;
    });
    if (groupBy.length > 0) query.group_by = groupBy;
    if (metrics.length > 0) query.metrics = metrics;
    const names = [...groupBy, ...metrics.map((m) => m.as as string)];
    if (r.chance(0.6)) query.sort = Array.from({ length: r.int(1, 2) }, () => ({ by: r.pick(names), dir: r.pick(['asc', 'desc']) }));
  } else {
    if (r.chance(0.5)) query.fields = Array.from({ length: r.int(1, 3) }, () => r.pick(fields).name);
    if (r.chance(0.6)) query.sort = Array.from({ length: r.int(1, 2) }, () => ({ by: r.pick(fields).name, dir: r.pick(['asc', 'desc']) }));
  }
  if (r.chance(0.6)) query.limit = r.int(1, 60);
  return query;
}

/** Arbitrary JSON, never an object with an "entity" key (so never a valid query by chance). */
export function randomJunk(r: Random, depth = 0): Json {
  const kind = r.int(0, depth > 2 ? 4 : 6);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick([0, -1, 1.5, 1e308, -0, 2 ** 53, 42]);
    case 3:
      return r.pick(['', 'companies', 'eq', 'arr', '__proto__', 'constructor', 'x'.repeat(300), '\u0000', 'all', '{}']);
    case 4:
      return r.pick([[], {}]);
    case 5:
      return Array.from({ length: r.int(0, 4) }, () => randomJunk(r, depth + 1));
    default: {
      const keys = ['filter', 'all', 'any', 'not', 'field', 'op', 'value', 'fn', 'as', 'by', 'dir', 'limit', '__proto__', 'toString', 'x'];
      const object: { [key: string]: Json } = {};
      for (let i = r.int(0, 4); i > 0; i--) object[r.pick(keys)] = randomJunk(r, depth + 1);
      return object;
    }
  }
}

/** The conditions of a filter, to mutate one of them in place. */
function conditionsOf(node: Json): { [key: string]: Json }[] {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return [];
  if ('field' in node) return [node];
  return [...(Array.isArray(node.all) ? node.all : []), ...(Array.isArray(node.any) ? node.any : []), ...(node.not ? [node.not] : [])].flatMap(
    conditionsOf,
  );
}

const NOT_AN_OP = ['equals', '=', 'like', 'EQ', '', 'regex', 'exists'];

/**
 * A query the validator must refuse: a valid one with one mutation that is always wrong (an unknown
 * key, a name outside the whitelist, a value of the wrong type, a bound exceeded, a wrong shape).
 * Returns the query and the name of the mutation (for failure messages).
 */
export function randomInvalidQuery(r: Random): { query: Json; mutation: string } {
  const query = randomValidQuery(r);
  const entity = ENTITIES.get(query.entity as never)!;
  const grouped = 'group_by' in query || 'metrics' in query;
  const conditions = conditionsOf(query.filter ?? null);
  const mutations: [string, () => Json][] = [
    ['junk query', () => randomJunk(r)],
    ['unknown root key', () => ({ ...query, [r.pick(['where', 'select', 'Entity', '__proto__', 'groupBy', ''])]: randomJunk(r) })],
    ['missing entity', () => ({ ...query, entity: undefined as never })],
    ['bad entity', () => ({ ...query, entity: r.pick(['accounts', 'Companies', 'cs_companies', '', 'company']) })],
    ['junk entity', () => ({ ...query, entity: r.pick([null, 1, [], {}, true]) })],
    ['filter not an object', () => ({ ...query, filter: r.pick([null, 'arr > 5', 5, [], [{ field: 'arr', op: 'gt', value: 1 }]]) })],
    ['empty group', () => ({ ...query, filter: { [r.pick(['all', 'any'])]: [] } })],
    ['group with two keys', () => ({ ...query, filter: { all: [{ field: 'company_id', op: 'is_null' }], not: { field: 'company_id', op: 'is_null' } } })],
    ['too deep', () => ({ ...query, filter: nest(ANALYSIS_LIMITS.maxDepth + 1 + r.int(0, 3), entity) })],
    ['too many conditions', () => ({ ...query, filter: { any: Array.from({ length: ANALYSIS_LIMITS.maxConditions + r.int(1, 200) }, () => ({ field: 'company_id', op: 'is_not_null' })) } })],
    ['limit out of range', () => ({ ...query, limit: r.pick([0, -1, 1001, 1.5, '10', null, 1e9, true]) })],
    ['group_by not an array', () => ({ ...query, group_by: r.pick(['owner_id', 5, {}, null]) })],
    ['group_by too long', () => ({ ...query, group_by: ['company_id', 'created_at', 'updated_at', 'owner_id'] })],
    ['group_by unknown', () => ({ ...query, group_by: [r.pick(['nope', 'ARR', '', 'company', 'notes'])] })],
    ['group_by repeated', () => ({ ...query, group_by: ['company_id', 'company_id'] })],
    ['metric fn unknown', () => ({ ...query, metrics: [{ fn: r.pick(['median', 'SUM', 'total', '', 'count(*)']), field: 'company_id' }] })],
    ['metric unknown key', () => ({ ...query, metrics: [{ fn: 'count', [r.pick(['alias', 'name', 'distinct'])]: 'x' }] })],
    ['sum of a non-number', () => ({ ...query, metrics: [{ fn: r.pick(['sum', 'avg']), field: 'company_id' }] })],
    ['metric bad name', () => ({ ...query, metrics: [{ fn: 'count', as: r.pick(['Total', '1x', 'a b', 'a-b', '', 'x'.repeat(41), 'a.b']) }] })],
    ['metric not an object', () => ({ ...query, metrics: [r.pick(['count', 5, null, []])] })],
    ['too many metrics', () => ({ ...query, metrics: Array.from({ length: 11 }, (_, i) => ({ fn: 'count', as: `c${i}` })) })],
    ['sort unknown', () => ({ ...query, sort: [{ by: r.pick(['nope', 'ARR', '', 'total']) }] })],
    ['sort bad dir', () => ({ ...query, sort: [{ by: 'company_id', dir: r.pick(['DESC', 'up', '', 1]) }] })],
    ['sort not an array', () => ({ ...query, sort: r.pick(['arr desc', { by: 'arr' }, 3]) })],
    ['fields unknown', () => ({ ...query, group_by: undefined as never, metrics: undefined as never, fields: [r.pick(['nope', 'notes', 'company', ''])] })],
    ['fields when grouped', () => ({ ...query, group_by: ['company_id'], fields: ['company_id'] })],
  ];
  if (grouped) mutations.push(['fields in a grouped query', () => ({ ...query, fields: ['company_id'] })]);
  if (conditions.length > 0) {
    const target = () => r.pick(conditionsOf(query.filter!));
    mutations.push(
      ['condition unknown key', () => mutate(query, target, (c) => ({ ...c, [r.pick(['vaule', 'values', 'operator', 'Field'])]: 1 }))],
      ['condition field unknown', () => mutate(query, target, (c) => ({ ...c, field: r.pick(['nope', 'ARR', '', 'company.nope', 'notes', null, 5]) }))],
      ['condition op unknown', () => mutate(query, target, (c) => ({ ...c, op: r.pick([...NOT_AN_OP, null, 3]) }))],
      ['condition value of the wrong type', () => mutate(query, target, (c) => wrongValue(r, entity, c))],
      ['condition without a field', () => mutate(query, target, ({ field: _field, ...rest }) => rest)],
    );
  }
  const [mutation, apply] = r.pick(mutations);
  return { query: JSON.parse(JSON.stringify(apply())) as Json, mutation };
}

function nest(levels: number, entity: EntityDef): Json {
  let node: Json = { field: [...entity.fields.keys()][0], op: 'is_not_null' };
  for (let i = 0; i < levels; i++) node = i % 2 === 0 ? { all: [node] } : { not: node };
  return node;
}

/** A deep copy of `query` whose filter has one condition replaced. */
function mutate(
  query: { [key: string]: Json },
  target: () => { [key: string]: Json },
  change: (condition: { [key: string]: Json }) => { [key: string]: Json },
): Json {
  const copy = JSON.parse(JSON.stringify(query)) as { [key: string]: Json };
  const pick = target();
  const index = conditionsOf(query.filter!).indexOf(pick);
  const victim = conditionsOf(copy.filter!)[index];
  const replacement = change(victim);
  for (const key of Object.keys(victim)) delete victim[key];
  Object.assign(victim, replacement);
  return copy;
}

/** The condition with a value its field and op can never accept. */
function wrongValue(r: Random, entity: EntityDef, condition: { [key: string]: Json }): { [key: string]: Json } {
  const field = entity.fields.get(condition.field as string)!;
  const op = condition.op as FilterOp;
  if (op === 'is_null' || op === 'is_not_null') return { ...condition, value: randomJunk(r) };
  if (op === 'between') return { ...condition, value: r.pick([5, 'a', [], [1], [1, 2, 3], {}, null]) };
  if (op === 'in') return { ...condition, value: r.pick([5, 'a', [], {}, null, Array.from({ length: 101 }, () => condition.value)]) };
  const wrong: Record<FieldDef['type'], Json[]> = {
    text: [5, null, true, [], {}, 'x'.repeat(201), 'a\u0001b'],
    enum: ['nope', 'red', 5, null, [], ''],
    number: ['5', null, true, [], {}],
    date: ['2025-02-30', '2025-1-1', 'today', 20250101, null, '2025-01-01T00:00:00Z'],
    instant: ['2025-02-30', 'yesterday', '2025-01-01T10:00:00', 5, null],
    boolean: ['true', 1, 0, null, []],
  };
  const candidates = [...wrong[field.type]];
  if (field.type === 'number' && (field.integer || field.days)) candidates.push(1.5);
  if (field.days) candidates.push(ANALYSIS_LIMITS.maxDays + 1);
  if (op === 'contains') candidates.push('');
  return { ...condition, value: r.pick(candidates) };
}
