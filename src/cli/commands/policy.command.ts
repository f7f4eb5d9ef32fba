import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../config/config';
import { PolicyConfigError } from '../../governance/write-policy';
import { WritePolicyService } from '../../governance/write-policy-config/write-policy.service';
import { withAppContext } from '../context';
import { UsageError } from '../errors';

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('show or set the write policy (which MCP write tools are on, per role and integration)');

  policy
    .command('show')
    .description('print the write policy in force (JSON)')
    .action(async () => {
      await withAppContext(loadConfig(), async (app) => {
        process.stdout.write(`${JSON.stringify(await app.get(WritePolicyService).config(), null, 2)}\n`);
      });
    });

  policy
    .command('set')
    .argument('<file>', 'JSON file: { "roles": { "csm": { "update_cta": false } }, "integrations": { "<client id>": { ... } }, "allowCtaReopen": false }')
    .description('replace the write policy (settings left out keep their defaults); recorded as an event')
    .option('--by <email>', 'the admin making the change, for the record', 'cli')
    .action(async (file: string, options: { by: string }) => {
      let config: unknown;
      try {
        config = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        throw new UsageError(`cannot read ${file} as JSON: ${(error as Error).message}`);
      }
      await withAppContext(loadConfig(), async (app) => {
        try {
          const saved = await app.get(WritePolicyService).set(config, {
            actor: { type: 'user', id: options.by, email: options.by.includes('@') ? options.by : undefined },
            toolName: 'cli:policy set',
          });
          process.stdout.write(`${JSON.stringify(saved, null, 2)}\n`);
        } catch (error) {
          if (error instanceof PolicyConfigError) throw new UsageError(`invalid policy: ${error.message}`);
          throw error;
        }
      });
    });
}
