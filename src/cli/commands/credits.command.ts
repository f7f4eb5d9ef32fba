import type { Command } from 'commander';
import type { EventStore } from '@csmcp/event-store';
import { CreditTargetNotFoundError } from '../../audit/credits/credit-targets';
import { CreditsService } from '../../audit/credits/credits.service';
import { CS_TOOLS } from '../../mcp/tools';
import { loadConfig } from '../../config/config';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { print, withAppContext } from '../context';
import { UsageError } from '../errors';
import { asUsage, cliActor, integerOption } from './audit-cli-support';

export function registerCredits(program: Command): void {
  const credits = program.command('credits').description("the organisation's credits: balance, grants, monthly limits and prices");

  credits
    .command('balance')
    .description('the balance (or "unlimited" before the first grant), what was granted and charged, and the prices')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const view = await app.get(CreditsService).balance(null);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
          return;
        }
        process.stdout.write(
          `Balance: ${view.balance === null ? 'unlimited (no credits granted yet: calls are metered, not limited)' : `${view.balance} credits`}\n` +
            `Granted: ${view.granted}  Charged: ${view.charged}\n` +
            `Prices: read ${view.prices.byKind.read}, analysis ${view.prices.byKind.analysis}, write ${view.prices.byKind.write}` +
            `${Object.keys(view.prices.byTool).length ? `; per tool ${Object.entries(view.prices.byTool).map(([t, p]) => `${t} ${p}`).join(', ')}` : ''}; refused and failed calls 0\n`,
        );
      });
    });

  credits
    .command('grant')
    .description('add credits (a negative amount adjusts down); recorded in the audit log with who and why')
    .requiredOption('--amount <n>', 'whole credits, e.g. 10000 (or -500 for an adjustment)')
    .requiredOption('--reason <text>', 'why, kept in the audit log')
    .option('--as <email>', 'the admin the grant is recorded as (default: the command line itself)')
    .option('--json', 'print JSON')
    .action(async (options: { amount: string; reason: string; as?: string; json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const by = await cliActor(app.get<EventStore>(EVENT_STORE), options.as);
        const service = app.get(CreditsService);
        const entry = await asUsage(() => service.grant(integerOption('--amount', options.amount), options.reason, by));
        const view = await service.balance(null);
        print([{ seq: entry.seq, amount: Number(options.amount), balance: view.balance, reason: options.reason.trim() }], options.json === true);
      });
    });

  credits
    .command('limit')
    .description('set (or with --none remove) a monthly credit limit for one user or one integration')
    .option('--user <email>', 'the user (their email, or id)')
    .option('--integration <client_id>', 'the integration')
    .option('--monthly <n>', 'credits per calendar month (UTC)')
    .option('--none', 'remove the limit')
    .option('--reason <text>', 'why, kept in the audit log', 'monthly limit')
    .option('--as <email>', 'the admin the change is recorded as')
    .option('--json', 'print JSON')
    .action(async (options: { user?: string; integration?: string; monthly?: string; none?: boolean; reason: string; as?: string; json?: boolean }) => {
      if ((options.user === undefined) === (options.integration === undefined)) throw new UsageError('name exactly one of --user <email> or --integration <client_id>');
      if ((options.monthly === undefined) === (options.none !== true)) throw new UsageError('give either --monthly <n> or --none');
      await withAppContext(loadConfig(), async (app) => {
        const store = app.get<EventStore>(EVENT_STORE);
        const scope = options.user !== undefined ? 'user' : 'integration';
        const limit = options.none ? null : integerOption('--monthly', options.monthly)!;
        const { entry, target } = await asUsage(async () => {
          try {
            return await app.get(CreditsService).setLimitFor(scope, options.user ?? options.integration, limit, options.reason, await cliActor(store, options.as));
          } catch (error) {
            if (!(error instanceof CreditTargetNotFoundError)) throw error;
            throw new UsageError(`--${scope} ${error.id}: ${error.message} (csmcp ${scope === 'user' ? 'users' : 'integrations'} list shows them)`);
          }
        });
        print([{ seq: entry.seq, scope, id: target.id, monthly_limit: limit }], options.json === true);
      });
    });

  const prices = credits.command('prices').description('show or change the price list (credits per call)');
  prices
    .command('show', { isDefault: true })
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const view = await app.get(CreditsService).balance(null);
        print(
          CS_TOOLS.map((t) => ({ tool: t.name, kind: t.kind, credits: view.prices.byTool[t.name] ?? view.prices.byKind[t.kind] })),
          options.json === true,
        );
      });
    });
  prices
    .command('set')
    .description('change prices: --read/--analysis/--write set a kind; --tool name=credits (repeatable; name=default removes an override)')
    .option('--read <n>')
    .option('--analysis <n>')
    .option('--write <n>')
    .option('--tool <name=credits>', 'a per-tool price', (value: string, previous: string[] = []) => [...previous, value])
    .option('--as <email>', 'the admin the change is recorded as')
    .action(async (options: { read?: string; analysis?: string; write?: string; tool?: string[]; as?: string }) => {
      const byKind: Record<string, unknown> = {};
      for (const kind of ['read', 'analysis', 'write'] as const) if (options[kind] !== undefined) byKind[kind] = integerOption(`--${kind}`, options[kind]);
      const byTool: Record<string, unknown> = {};
      for (const pair of options.tool ?? []) {
        const [name, value] = pair.split('=');
        if (!name || value === undefined) throw new UsageError(`--tool must be name=credits, e.g. --tool analyze_accounts=10; got ${JSON.stringify(pair)}`);
        byTool[name.trim()] = value.trim() === 'default' ? null : integerOption(`--tool ${name}`, value);
      }
      if (Object.keys(byKind).length === 0 && Object.keys(byTool).length === 0) throw new UsageError('nothing to change: give --read, --analysis, --write or --tool name=credits');
      await withAppContext(loadConfig(), async (app) => {
        const store = app.get<EventStore>(EVENT_STORE);
        const entry = await asUsage(async () => app.get(CreditsService).setPrices({ byKind, byTool }, CS_TOOLS.map((t) => t.name), await cliActor(store, options.as)));
        process.stdout.write(`Prices changed (audit entry ${entry.seq}).\n`);
      });
    });
}
