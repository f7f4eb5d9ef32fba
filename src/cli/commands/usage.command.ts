import type { Command } from 'commander';
import { QueryBus } from '@nestjs/cqrs';
import { GetCreditUsageQuery, USAGE_DIMENSIONS, type CreditUsageResult } from '../../audit/queries/get-credit-usage/get-credit-usage.query';
import { usageCsv } from '../../audit/queries/get-credit-usage/usage-csv';
import { loadConfig } from '../../config/config';
import { print, withAppContext } from '../context';
import { UsageError } from '../errors';
import { asUsage, auditReadModelCaughtUp } from './audit-cli-support';

export function registerUsage(program: Command): void {
  program
    .command('usage')
    .description('credits charged and calls made, by user / integration / tool and day / week / month (from the audit log)')
    .option('--since <when>', 'from this date (YYYY-MM-DD, UTC) or date-time (default: the 1st of this month)')
    .option('--until <when>', 'up to this date (the whole day) or date-time (default: now)')
    .option('--by <dimensions>', `what to group by, comma-separated: ${USAGE_DIMENSIONS.join(', ')} (default user; "none" for totals only)`, 'user')
    .option('--period <period>', 'day, week, month or total', 'total')
    .option('--format <format>', 'table, json or csv', 'table')
    .option('--json', 'the same as --format json')
    .action(async (options: { since?: string; until?: string; by: string; period: string; format: string; json?: boolean }) => {
      const format = options.json ? 'json' : options.format;
      if (!['table', 'json', 'csv'].includes(format)) throw new UsageError(`--format must be table, json or csv; got ${JSON.stringify(format)}`);
      const groupBy = options.by === 'none' ? [] : options.by.split(',').map((s) => s.trim());
      await withAppContext(loadConfig(), async (app) => {
        await auditReadModelCaughtUp(app);
        const result = await asUsage(() =>
          app.get(QueryBus).execute(new GetCreditUsageQuery({ since: options.since, until: options.until, groupBy: groupBy as never, period: options.period as never })),
        );
        if (format === 'json') process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else if (format === 'csv') process.stdout.write(usageCsv(result));
        else {
          print(tableRows(result), false);
          process.stdout.write(`Total: ${result.totals.calls} calls, ${result.totals.credits} credits (${result.since} to ${result.until})\n`);
        }
      });
    });
}

function tableRows(result: CreditUsageResult): Array<Record<string, unknown>> {
  return result.rows.map((r) => ({
    ...(result.period !== 'total' ? { period: r.period } : {}),
    ...(r.user ? { user: r.user.email ?? r.user.id } : {}),
    ...(r.integration ? { integration: r.integration.name ?? r.integration.id ?? '(none)' } : {}),
    ...(r.tool ? { tool: r.tool } : {}),
    calls: r.calls,
    refused: r.refusedCalls,
    failed: r.failedCalls,
    credits: r.credits,
  }));
}
