import type { Command } from 'commander';
import { CommandBus } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import { loadConfig } from '../../config/config';
import { isCalendarDate } from '../../customer-success/companies/commands/import-rules';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { print, withAppContext } from '../context';
import { UsageError } from '../errors';
import { Progress } from './seed/progress';
import { DemoSeeder, type SeedSummary } from './seed/seed-demo';

interface SeedDemoFlags {
  companies: string;
  seed: string;
  activities: string;
  asOf?: string;
  concurrency: string;
  json?: boolean;
}

export function registerSeed(program: Command): void {
  const seed = program.command('seed').description('fill the store with generated data');
  seed
    .command('demo')
    .description(
      'a realistic, deterministic book of business (users, companies, contacts, scorecards with history, CTAs with ' +
        'tasks, success plans, a year of timeline), written through the same commands as real data',
    )
    .option('--companies <n>', 'how many companies', '200')
    .option('--seed <s>', 'the random seed: the same seed, size and day give the same book', '1')
    .option('--activities <n>', 'about this many timeline activities per company', '20')
    .option('--as-of <date>', 'the day the book is as of, YYYY-MM-DD: history before it, renewals after (default: today, UTC)')
    .option('--concurrency <n>', 'commands in flight at once', '256')
    .option('--json', 'print JSON')
    .action(async (flags: SeedDemoFlags) => {
      const options = {
        companies: integer('--companies', flags.companies, 1, 1_000_000),
        seed: integer('--seed', flags.seed, 0, 2 ** 32 - 1),
        activitiesPerCompany: integer('--activities', flags.activities, 0, 1_000),
        asOf: flags.asOf ?? new Date().toISOString().slice(0, 10),
        concurrency: integer('--concurrency', flags.concurrency, 1, 4_096),
      };
      if (!isCalendarDate(options.asOf)) throw new UsageError(`--as-of must be a date written YYYY-MM-DD, e.g. 2026-03-31; got "${options.asOf}"`);

      await withAppContext(loadConfig(), async (app) => {
        const seeder = new DemoSeeder(app.get(CommandBus), app.get<EventStore>(EVENT_STORE), options);
        const summary = await seeder.run(new Progress('seed demo', () => seeder.eventCount));
        report(summary, flags.json === true);
      });
      process.stderr.write('Read models are built by the server (csmcp serve) or by: csmcp projections rebuild\n');
    });
}

function integer(flag: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max}; got "${value}"`);
  return n;
}

function report(summary: SeedSummary, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  print(
    Object.entries(summary.counts).map(([record, count]) => ({ record, count })),
    false,
  );
  process.stdout.write(
    `\n${summary.events} events in ${summary.seconds} s: ${summary.eventsPerSecond} events/s, ${summary.companiesPerSecond} companies/s ` +
      `(seed ${summary.seed}, as of ${summary.asOf})\n`,
  );
}
