import type { FieldDef } from './fields';
import type { FilterValue, ValidAnalysis, ValidCondition, ValidFilter, ValidMetric } from './validate';

/**
 * One line saying what an analysis computes, in the words of the query (field names as given), so a
 * person or an LLM can check that the question was understood. Never SQL.
 */
export function explainAnalysis(analysis: ValidAnalysis, context: { today: string; scoped: boolean }): string {
  const { entity } = analysis;
  const label = entity.label[0].toUpperCase() + entity.label.slice(1);
  let text = analysis.filter ? `${label} where ${filterText(analysis.filter, true)}` : `All ${entity.label}`;
  const grouped = analysis.groupBy.length > 0;
  if (grouped) text += `, grouped by ${analysis.groupBy.map((f) => f.name).join(', ')}`;
  if (analysis.metrics.length > 0) text += `${grouped ? ':' : ', totals:'} ${analysis.metrics.map(metricText).join(', ')}`;
  const parts = [text];
  if (analysis.sort.length > 0)
    parts.push(
      `sorted by ${analysis.sort.map((s) => `${s.target.kind === 'field' ? s.target.field.name : s.target.metric.as} ${s.dir}`).join(', ')}`,
    );
  else if (!grouped && analysis.metrics.length === 0) parts.push(`sorted by ${entity.defaultSort.by} ${entity.defaultSort.dir}`);
  if (grouped) parts.push(`first ${analysis.limit} groups`);
  else if (analysis.metrics.length === 0) parts.push(`first ${analysis.limit} rows`);
  if (usesToday(analysis)) parts.push(`days counted from ${context.today} (UTC)`);
  if (context.scoped) parts.push(`only ${entity.name === 'companies' ? 'the companies' : `${entity.label} of the companies`} you may see`);
  return parts.join('; ');
}

function filterText(filter: ValidFilter, top: boolean): string {
  switch (filter.kind) {
    case 'all':
    case 'any': {
      const text = filter.children.map((c) => filterText(c, false)).join(filter.kind === 'all' ? ' and ' : ' or ');
      return top || filter.children.length === 1 ? text : `(${text})`;
    }
    case 'not':
      return `not (${filterText(filter.child, true)})`;
    case 'condition':
      return conditionText(filter);
  }
}

const SYMBOL = { eq: '=', ne: '!=', lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

function conditionText(c: ValidCondition): string {
  const name = c.field.name;
  const never = c.field.days?.nullIsInfinite && (c.op === 'gt' || c.op === 'gte' || c.op === 'ne') ? ' (or never)' : '';
  switch (c.op) {
    case 'eq':
    case 'ne':
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return `${name} ${SYMBOL[c.op]} ${valueText(c.value)}${never}`;
    case 'between':
      return `${name} between ${valueText(c.value[0])} and ${valueText(c.value[1])}`;
    case 'in':
      return `${name} in (${c.value.map(valueText).join(', ')})`;
    case 'contains':
      return `${name} contains ${JSON.stringify(c.value)}`;
    case 'is_null':
      return `${name} is empty`;
    case 'is_not_null':
      return `${name} is set`;
  }
}

function valueText(value: FilterValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'day' in value ? value.day : value.at;
  return String(value);
}

function metricText(m: ValidMetric): string {
  const field = m.field?.name;
  switch (m.fn) {
    case 'count':
      return `${m.as} = ${field ? `count of ${field} set` : 'count'}`;
    case 'count_distinct':
      return `${m.as} = number of distinct ${field}`;
    default:
      return `${m.as} = ${m.fn} of ${field}`;
  }
}

function usesToday(analysis: ValidAnalysis): boolean {
  const fields: FieldDef[] = [...analysis.groupBy, ...analysis.fields, ...analysis.metrics.flatMap((m) => (m.field ? [m.field] : []))];
  for (const s of analysis.sort) if (s.target.kind === 'field') fields.push(s.target.field);
  const walk = (f: ValidFilter): void => {
    if (f.kind === 'condition') fields.push(f.field);
    else if (f.kind === 'not') walk(f.child);
    else f.children.forEach(walk);
  };
  if (analysis.filter) walk(analysis.filter);
  return fields.some((f) => f.usesToday === true);
}
