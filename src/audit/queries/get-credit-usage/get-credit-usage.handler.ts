import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { SqlExecutor } from '@csmcp/projections';
import { READ_MODEL_DB } from '../../../infrastructure/tokens';
import { inputObject, instantBound, optionalEnum } from '../../../customer-success/queries/shared/input';
import { invalidQuery, QueryError } from '../../../customer-success/queries/shared/query-error';
import { GetCreditUsageQuery, USAGE_DIMENSIONS, USAGE_PERIODS, type CreditUsageResult, type UsageDimension, type UsageRow } from './get-credit-usage.query';

const FIELDS = ['since', 'until', 'groupBy', 'period'];
const MAX_RANGE_DAYS = 366 * 3;

interface DayRow {
  day: string;
  actor_id: string;
  actor_email: string | null;
  integration_id: string | null;
  integration_name: string | null;
  tool: string;
  calls: number | string;
  charged: number | string;
  refused: number | string;
  failed: number | string;
  credits: number | string;
}

/**
 * Sums the audit log's tool calls per day in SQL (one indexed range scan), then rolls the days up to
 * weeks, months or the whole range here: the rows a range can have are few, and week numbering is
 * the same on every database this way.
 */
@QueryHandler(GetCreditUsageQuery)
export class GetCreditUsageHandler implements IQueryHandler<GetCreditUsageQuery> {
  constructor(@Inject(READ_MODEL_DB) private readonly db: SqlExecutor) {}

  async execute(query: GetCreditUsageQuery): Promise<CreditUsageResult> {
    const input = inputObject(query.input, FIELDS);
    const since = instantBound('since', input.since, 'from') ?? { iso: `${query.now.toISOString().slice(0, 7)}-01T00:00:00.000Z`, exclusive: false };
    const until = instantBound('until', input.until, 'to') ?? { iso: query.now.toISOString(), exclusive: false };
    if (since.iso > until.iso) throw new QueryError('INVALID_QUERY', `since (${since.iso}) must not be after until (${until.iso})`, { field: 'since' });
    if (Date.parse(until.iso) - Date.parse(since.iso) > MAX_RANGE_DAYS * 86_400_000)
      throw invalidQuery('until', `must be at most ${MAX_RANGE_DAYS} days after since; ask for a shorter range`);
    const groupBy = dimensions(input.groupBy);
    const period = optionalEnum('period', input.period, USAGE_PERIODS) ?? 'total';

    const days = await this.db.all<DayRow>(
      `SELECT substr(at, 1, 10) AS day, actor_id, max(actor_email) AS actor_email, integration_id, max(integration_name) AS integration_name, tool,
              count(*) AS calls,
              sum(CASE WHEN credits > 0 THEN 1 ELSE 0 END) AS charged,
              sum(CASE WHEN outcome = 'refused' THEN 1 ELSE 0 END) AS refused,
              sum(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) AS failed,
              sum(credits) AS credits
         FROM audit_log
        WHERE type = 'ToolCallRecorded' AND at >= ? AND at ${until.exclusive ? '<' : '<='} ?
        GROUP BY substr(at, 1, 10), actor_id, integration_id, tool`,
      [since.iso, until.iso],
    );

    const rows = new Map<string, UsageRow & { calls: number; chargedCalls: number; refusedCalls: number; failedCalls: number; credits: number }>();
    for (const d of days) {
      const bucket = periodOf(d.day, period);
      const key = [bucket, ...groupBy.map((g) => (g === 'user' ? d.actor_id : g === 'integration' ? (d.integration_id ?? '') : d.tool))].join('\u0000');
      let row = rows.get(key);
      if (!row) {
        row = {
          period: bucket,
          ...(groupBy.includes('user') ? { user: { id: d.actor_id, email: d.actor_email } } : {}),
          ...(groupBy.includes('integration') ? { integration: { id: d.integration_id, name: d.integration_name } } : {}),
          ...(groupBy.includes('tool') ? { tool: d.tool } : {}),
          calls: 0,
          chargedCalls: 0,
          refusedCalls: 0,
          failedCalls: 0,
          credits: 0,
        };
        rows.set(key, row);
      }
      row.calls += Number(d.calls);
      row.chargedCalls += Number(d.charged);
      row.refusedCalls += Number(d.refused);
      row.failedCalls += Number(d.failed);
      row.credits += Number(d.credits);
    }
    const sorted = [...rows.values()].sort((a, b) => (a.period ?? '').localeCompare(b.period ?? '') || b.credits - a.credits || b.calls - a.calls);
    return {
      since: since.iso,
      until: until.iso,
      groupBy,
      period,
      rows: sorted,
      totals: { calls: sorted.reduce((n, r) => n + r.calls, 0), credits: sorted.reduce((n, r) => n + r.credits, 0) },
    };
  }
}

function dimensions(value: unknown): UsageDimension[] {
  if (value === undefined || value === null) return ['user'];
  const list = Array.isArray(value) ? value : [value];
  for (const v of list)
    if (typeof v !== 'string' || !(USAGE_DIMENSIONS as readonly string[]).includes(v))
      throw invalidQuery('groupBy', `must be a list of ${USAGE_DIMENSIONS.join(', ')} (or empty); got ${JSON.stringify(v)}`);
  return [...new Set(list as UsageDimension[])];
}

/** The day's period: itself, its week's Monday, its month, or null for the whole range. */
export function periodOf(day: string, period: string): string | null {
  if (period === 'day') return day;
  if (period === 'month') return day.slice(0, 7);
  if (period === 'total') return null;
  const date = new Date(`${day}T00:00:00Z`);
  const sinceMonday = (date.getUTCDay() + 6) % 7;
  return new Date(date.getTime() - sinceMonday * 86_400_000).toISOString().slice(0, 10);
}
