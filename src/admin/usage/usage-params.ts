import { USAGE_DIMENSIONS, type GetCreditUsageInput } from '../../audit/queries/get-credit-usage/get-credit-usage.query';
import { invalidQuery } from '../../customer-success/queries/shared/query-error';
import { queryParams } from '../http/query-params';

export const USAGE_PARAMS = ['since', 'until', 'by', 'period', 'format'] as const;
export const USAGE_FORMATS = ['json', 'csv'] as const;
export type UsageFormat = (typeof USAGE_FORMATS)[number];

/**
 * GET /admin/api/usage's parameters, as `csmcp usage` takes them: by (comma-separated user,
 * integration, tool, or none for one row per period; default user), period, since, until, and the
 * format of the answer. since, until and period are checked by the query, which names them.
 */
export function usageRequest(query: Record<string, unknown>): { input: GetCreditUsageInput; format: UsageFormat } {
  const p = queryParams(query, USAGE_PARAMS);
  const format = p.format ?? 'json';
  if (!(USAGE_FORMATS as readonly string[]).includes(format)) throw invalidQuery('format', `must be ${USAGE_FORMATS.join(' or ')}; got ${JSON.stringify(format)}`);
  let groupBy: string[] | undefined;
  if (p.by !== undefined) {
    groupBy = p.by === 'none' ? [] : p.by.split(',').map((d) => d.trim());
    for (const d of groupBy)
      if (!(USAGE_DIMENSIONS as readonly string[]).includes(d))
        throw invalidQuery('by', `must be a comma-separated list of ${USAGE_DIMENSIONS.join(', ')} (or none); got ${JSON.stringify(d)}`);
  }
  const input: Record<keyof GetCreditUsageInput, unknown> = { since: p.since, until: p.until, groupBy, period: p.period };
  return { input: input as GetCreditUsageInput, format: format as UsageFormat };
}

/**
 * The CSV download's file name: the range's first and last day as asked (a date given is that day; a
 * date-time, its UTC day), so until=2025-04-30 names 2025-04-30, not the exclusive bound after it.
 */
export function usageFileName(asked: { since?: string; until?: string }, result: { since: string; until: string }): string {
  const day = (given: string | undefined, iso: string) => (given !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(given) ? given : iso.slice(0, 10));
  return `csmcp-usage-${day(asked.since, result.since)}-${day(asked.until, result.until)}.csv`;
}
