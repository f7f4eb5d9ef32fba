import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EventStoreError, StoreUnavailableError } from '@csmcp/event-store';
import { ConfigError } from '../config/config';
import { registerAudit } from './commands/audit.command';
import { registerConnectors } from './commands/connectors.command';
import { registerCredits } from './commands/credits.command';
import { registerImport } from './commands/import.command';
import { registerIntegrations } from './commands/integrations.command';
import { registerOAuth } from './commands/oauth.command';
import { registerPolicy } from './commands/policy.command';
import { registerProjections } from './commands/projections.command';
import { registerSeed } from './commands/seed.command';
import { registerServe } from './commands/serve.command';
import { registerTokens } from './commands/tokens.command';
import { registerUsage } from './commands/usage.command';
import { registerUsers } from './commands/users.command';
import { UsageError } from './errors';

export function buildProgram(): Command {
  const program = new Command('csmcp')
    .description('csmcp: an event-sourced MCP server for customer-success data')
    .version(packageVersion())
    // A command's options only before its subcommands (see `audit`, whose filters share names with its subcommands' options).
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride();
  registerServe(program);
  registerProjections(program);
  registerImport(program);
  registerSeed(program);
  registerPolicy(program);
  registerUsers(program);
  registerTokens(program);
  registerIntegrations(program);
  registerConnectors(program);
  registerOAuth(program);
  registerCredits(program);
  registerAudit(program);
  registerUsage(program);
  return program;
}

/** The version in package.json, found from here whether running from src/ or from dist/src/. */
function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

/** Entry point of bin/csmcp.js. Exit codes: 0 done, 1 failed, 2 wrong usage or configuration. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    process.exitCode = report(error);
  }
}

function report(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2; // commander already printed it
  if (error instanceof ConfigError || error instanceof UsageError) {
    process.stderr.write(`csmcp: ${error.message}\n`);
    return 2;
  }
  if (error instanceof EventStoreError) {
    const hint = error instanceof StoreUnavailableError ? UNAVAILABLE_HINT[error.reason] : '';
    process.stderr.write(`csmcp: ${error.message}${hint ? `\n${hint}` : ''}\n`);
    return 1;
  }
  process.stderr.write(`csmcp: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}

/** What an operator does about a store csmcp cannot use (the message says what the database said). */
const UNAVAILABLE_HINT: Readonly<Record<StoreUnavailableError['reason'], string>> = {
  read_only: 'Make the data directory writable (or point DATA_DIR at one that is) and run the command again; nothing was changed.',
  disk_full: 'Free space on the disk of the data directory and run the command again; nothing was changed.',
  unknown: '',
};
