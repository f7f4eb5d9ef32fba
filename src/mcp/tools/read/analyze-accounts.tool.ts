import {
  ANALYSIS_LIMITS,
  AnalyzeAccountsQuery,
  analysisGuide,
  analysisQueryJsonSchema,
  type AnalysisResult,
} from '../../../customer-success/analysis';
import { SearchCompaniesQuery } from '../../../customer-success/queries/search-companies/search-companies.query';
import type { JsonSchemaObject, ToolContext, ToolDefinition, ToolOutput } from '../tool-definition';
import { readAnnotations } from '../shared/annotations';
import { ANALYSIS } from '../shared/output-schemas';

/** Rows shown in the text; the structured output has them all. */
const TEXT_ROWS = 20;

// The validator is the judge of names and values; these only tell the LLM what each part is for.
const PROPERTY_DESCRIPTIONS: Record<string, string> = {
  entity: 'What to analyse: companies, ctas or timeline_activities.',
  filter: 'Which records: a condition {"field", "op", "value"} or a group {"all": [...]}, {"any": [...]}, {"not": {...}}.',
  fields: 'Row queries only: extra columns to return besides the defaults.',
  group_by: `Fields to group by (up to ${ANALYSIS_LIMITS.maxGroupBy}); one result row per group.`,
  metrics: 'Aggregates: {"fn": count|count_distinct|sum|avg|min|max, "field", "as": column name}. Without group_by: one row of totals.',
  sort: 'Order: [{"by": a field, group_by field or metric name, "dir": "asc"|"desc"}].',
  limit: `Rows or groups returned: 1-${ANALYSIS_LIMITS.maxLimit}, default ${ANALYSIS_LIMITS.defaultLimit}. truncated tells you more matched.`,
};

function inputSchema(): JsonSchemaObject {
  const schema = analysisQueryJsonSchema() as JsonSchemaObject & { properties: Record<string, Record<string, unknown>> };
  const properties = Object.fromEntries(
    Object.entries(schema.properties).map(([name, property]) => [name, { ...property, description: PROPERTY_DESCRIPTIONS[name] ?? name }]),
  );
  return { ...schema, properties };
}

/** Cross-account analysis: the arguments are the analysis query itself. */
export const analyzeAccountsTool: ToolDefinition = {
  name: 'analyze_accounts',
  title: 'Analyze accounts (cross-account)',
  description:
    'Answer questions across the whole book of business (every account you can see) in one call: filter, group, aggregate and rank companies, CTAs or timeline activities, ' +
    'e.g. "red accounts renewing in 90 days with no activity in 30 days, ARR by owner", "open risk CTAs per segment", "calls per CSM last month". ' +
    'Use it instead of paging through search_companies or list_ctas when the question is about totals, counts, groups or top-N; use get_account_summary for one account. ' +
    'Returns columns, rows, whether more matched (truncated) and a one-line explanation of what was analysed: check it matches the question. ' +
    `At most ${ANALYSIS_LIMITS.maxLimit} rows. Invalid queries are refused with every problem listed by path, so you can fix them in one go.\n\n` +
    analysisGuide(),
  inputSchema: inputSchema(),
  outputSchema: ANALYSIS,
  annotations: readAnnotations('Analyze accounts (cross-account)'),
  scope: 'cs:read',
  kind: 'analysis',
  async run(args: Record<string, unknown>, context: ToolContext): Promise<ToolOutput> {
    // Analyses may be the slowest reads: tell a client that asked for progress that work started and ended.
    await context.progress(0, 1, 'Running the analysis');
    // AnalyzeAccountsQuery takes no `after`: a one-row read that does waits for the session's last
    // write to reach the read models, so an analysis right after a write counts it.
    if (context.after) await context.queries.execute(new SearchCompaniesQuery(context.viewer, { limit: 1, after: context.after }));
    const result: AnalysisResult = await context.queries.execute(new AnalyzeAccountsQuery({ query: args, viewer: context.viewer }));
    await context.progress(1, 1, `Done: ${result.rowCount} row${result.rowCount === 1 ? '' : 's'}`);
    return {
      structured: {
        entity: result.entity,
        columns: result.columns.map((c) => ({ name: c.name, type: c.type, role: c.role })),
        rows: result.rows,
        row_count: result.rowCount,
        truncated: result.truncated,
        explanation: result.explanation,
      },
      text: analysisText(result),
    };
  },
};

function analysisText(r: AnalysisResult): string {
  const head = `${r.explanation}\n${r.rowCount} row${r.rowCount === 1 ? '' : 's'}${r.truncated ? ' (truncated: more matched; raise limit or narrow the filter)' : ''}`;
  const shown = r.rows.slice(0, TEXT_ROWS).map((row) => `- ${r.columns.map((c) => `${c.name}=${cell(row[c.name])}`).join(', ')}`);
  const more = r.rows.length > TEXT_ROWS ? [`… ${r.rows.length - TEXT_ROWS} more rows in the structured result`] : [];
  return [head, ...shown, ...more].join('\n');
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(2);
  return String(value);
}
