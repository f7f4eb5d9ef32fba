import type { Command } from 'commander';
import type { EventStore } from '@csmcp/event-store';
import { loadConfig } from '../../config/config';
import { BriefSources, type BriefSource } from '../../connectors/briefs/brief-sources';
import { ConnectorError } from '../../connectors/registry/connector-error';
import { CLI_ACTOR, type AdminContext } from '../../customer-success/companies/commands/admin-context';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { print, withAppContext } from '../context';
import { UsageError } from '../errors';
import { findAdmin } from './import/find-admin';

/** `csmcp connectors sources …`: which connector tools get_account_brief calls for every account. */
export function registerConnectorSources(connectors: Command): void {
  const sources = connectors
    .command('sources')
    .description('brief sources: a connector tool get_account_brief calls for each account, with arguments templated from the company ({{company.name}} ...)');

  sources
    .command('list', { isDefault: true })
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const list = await app.get(BriefSources).list();
        if (options.json) return void process.stdout.write(`${JSON.stringify(list.map(sourceJson), null, 2)}\n`);
        if (list.length === 0) return void process.stderr.write('No brief sources: add one with csmcp connectors sources add --connector NAME --tool TOOL --label LABEL.\n');
        print(list.map((s) => ({ id: s.id, label: s.label, connector: s.connector, tool: s.tool, args: JSON.stringify(s.args), timeout_ms: s.timeoutMs })), false);
      });
    });

  sources
    .command('add')
    .description('map a connector tool to every account brief')
    .requiredOption('--connector <name>', 'the connector (csmcp connectors list)')
    .requiredOption('--tool <tool>', 'the connector tool to call (csmcp connectors test NAME lists them)')
    .requiredOption('--label <label>', 'the title of its section in the brief (unique)')
    .option('--args <json>', 'the tool arguments, a JSON object; strings may use {{company.id}}, {{company.name}}, {{company.external_id}}, ... (default {})')
    .option('--timeout <duration>', 'time for this source within a brief: 5s, 1500ms (default 10s, at most 60s)')
    .option('--as <email>', 'the admin the change is recorded as (default: the command line itself)')
    .option('--json', 'print JSON')
    .action(async (options: { connector: string; tool: string; label: string; args?: string; timeout?: string; as?: string; json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const context = await contextOf(app.get<EventStore>(EVENT_STORE), options.as, 'connectors sources add');
        const source = await usage(() => app.get(BriefSources).add({ connector: options.connector, tool: options.tool, label: options.label, args: options.args, timeout: options.timeout }, context));
        if (options.json) return void process.stdout.write(`${JSON.stringify(sourceJson(source), null, 2)}\n`);
        process.stdout.write(`Brief source ${source.id} added: "${source.label}" calls ${source.connector}'s ${source.tool} with ${JSON.stringify(source.args)} (timeout ${source.timeoutMs} ms).\n`);
      });
    });

  sources
    .command('remove')
    .argument('<id-or-label>', 'the source (its id or label)')
    .option('--as <email>', 'the admin the change is recorded as (default: the command line itself)')
    .option('--json', 'print JSON')
    .action(async (key: string, options: { as?: string; json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const context = await contextOf(app.get<EventStore>(EVENT_STORE), options.as, 'connectors sources remove');
        const source = await usage(() => app.get(BriefSources).remove(key, context));
        if (options.json) return void process.stdout.write(`${JSON.stringify({ ...sourceJson(source), removed: true }, null, 2)}\n`);
        process.stdout.write(`Brief source ${source.id} ("${source.label}") removed.\n`);
      });
    });
}

export function sourceJson(s: BriefSource) {
  return { id: s.id, label: s.label, connector: s.connector, tool: s.tool, args: s.args, timeout_ms: s.timeoutMs, added_at: s.addedAt, added_by: s.addedBy };
}

async function contextOf(store: EventStore, as: string | undefined, toolName: string): Promise<AdminContext> {
  return { actor: as ? await findAdmin(store, as) : CLI_ACTOR, toolName };
}

/** Every refusal here is the admin's to fix: exit 2 with the message. */
async function usage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ConnectorError) throw new UsageError(`${error.message} [${error.code}]`);
    throw error;
  }
}
