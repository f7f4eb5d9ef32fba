import { ANALYSIS_LIMITS as LIMITS, FILTER_OPS, METRIC_FNS } from './analysis-query';
import { ANALYSIS_ENTITIES, ENTITIES, type FieldDef } from './fields';

/**
 * What an MCP tool (analyze_accounts) tells an LLM about the language: a guide for its description,
 * generated from the whitelist so it never drifts from what the validator accepts, and a JSON
 * schema of the query's shape (the validator remains the judge of names and values).
 */

function fieldLine(field: FieldDef): string {
  const type =
    field.type === 'enum'
      ? `one of ${field.values!.join('|')}`
      : field.days
        ? 'whole days'
        : field.integer
          ? 'whole number'
          : field.type === 'instant'
            ? 'time'
            : field.type;
  const derived = field.days !== undefined || field.usesToday === true || field.name.endsWith('_month');
  return derived ? `${field.name} (${type}: ${field.description})` : `${field.name} (${type})`;
}

export function analysisGuide(): string {
  const entities = ANALYSIS_ENTITIES.map((name) => {
    const entity = ENTITIES.get(name)!;
    return `- ${name}: ${[...entity.fields.values()].map(fieldLine).join(', ')}`;
  });
  return [
    'Analyse the whole book of business with a JSON query (never SQL):',
    '{"entity": "companies", "filter": {"all": [{"field": "health_color", "op": "eq", "value": "Red"}, ' +
      '{"field": "renewal_in_days", "op": "between", "value": [0, 90]}, {"field": "days_since_last_activity", "op": "gte", "value": 30}]}, ' +
      '"group_by": ["owner_id"], "metrics": [{"fn": "sum", "field": "arr", "as": "total_arr"}, {"fn": "count", "as": "accounts"}], ' +
      '"sort": [{"by": "total_arr", "dir": "desc"}], "limit": 50}',
    `filter: a condition {"field", "op", "value"} or a group {"all": [...]}, {"any": [...]}, {"not": {...}}; at most ${LIMITS.maxDepth} levels and ${LIMITS.maxConditions} conditions.`,
    `ops: ${FILTER_OPS.join(', ')}. between takes [low, high]; in takes up to ${LIMITS.maxInValues} values; is_null / is_not_null take no value; ` +
      'contains is a case-insensitive substring on text fields; enum fields take eq, ne, in, is_null, is_not_null.',
    'Values: dates YYYY-MM-DD; times ISO 8601 with a zone (a time field compared with a date means that whole UTC day); ' +
      'day counts are whole UTC calendar days from today. A comparison with an empty value is false, except ne (and gt/gte on ' +
      'days_since_last_activity, where never counts as infinitely long ago).',
    `group_by: up to ${LIMITS.maxGroupBy} fields. metrics: ${METRIC_FNS.join(', ')} (sum/avg on numbers, min/max on numbers, dates and times; ` +
      'count without a field counts rows); "as" names the column. Metrics without group_by give one row of totals.',
    `sort: [{"by", "dir": "asc"|"desc"}], by a group_by field or metric name when aggregating, else by any field. limit: 1-${LIMITS.maxLimit}, default ${LIMITS.defaultLimit}.`,
    `Without group_by and metrics you get rows: default columns, the "fields" you ask for (up to ${LIMITS.maxFields}), and the fields the filter and sort use.`,
    'Entities and fields (ctas and timeline_activities also have their company\'s fields, prefixed "company."):',
    ...entities,
  ].join('\n');
}

const FIELD_NAME = { type: 'string', description: 'a field of the entity' };

/** The shape of an analysis query as a JSON schema (draft 2020-12), for a tool's inputSchema. */
export function analysisQueryJsonSchema(): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['entity'],
    properties: {
      entity: { type: 'string', enum: [...ANALYSIS_ENTITIES] },
      filter: { $ref: '#/$defs/filter' },
      fields: { type: 'array', items: FIELD_NAME, maxItems: LIMITS.maxFields },
      group_by: { type: 'array', items: FIELD_NAME, maxItems: LIMITS.maxGroupBy },
      metrics: {
        type: 'array',
        maxItems: LIMITS.maxMetrics,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['fn'],
          properties: {
            fn: { type: 'string', enum: [...METRIC_FNS] },
            field: FIELD_NAME,
            as: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,39}$' },
          },
        },
      },
      sort: {
        type: 'array',
        maxItems: LIMITS.maxSort,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['by'],
          properties: { by: { type: 'string' }, dir: { type: 'string', enum: ['asc', 'desc'] } },
        },
      },
      limit: { type: 'integer', minimum: 1, maximum: LIMITS.maxLimit, default: LIMITS.defaultLimit },
    },
    $defs: {
      filter: {
        description: 'a condition {field, op, value} or a group {all: [...]}, {any: [...]} or {not: {...}}',
        oneOf: [
          {
            type: 'object',
            additionalProperties: false,
            required: ['field', 'op'],
            properties: { field: FIELD_NAME, op: { type: 'string', enum: [...FILTER_OPS] }, value: {} },
          },
          { type: 'object', additionalProperties: false, required: ['all'], properties: { all: { type: 'array', minItems: 1, items: { $ref: '#/$defs/filter' } } } },
          { type: 'object', additionalProperties: false, required: ['any'], properties: { any: { type: 'array', minItems: 1, items: { $ref: '#/$defs/filter' } } } },
          { type: 'object', additionalProperties: false, required: ['not'], properties: { not: { $ref: '#/$defs/filter' } } },
        ],
      },
    },
  };
}
