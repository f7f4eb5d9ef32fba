import type { Command } from 'commander';
import { loadConfig } from '../../config/config';
import { startServer } from '../../server';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the csmcp server (HTTP, MCP endpoint, projections) on the configured store')
    .option('-p, --port <port>', 'port to listen on (overrides PORT; default 3000)')
    .option('-H, --host <host>', 'address to listen on (overrides HOST; default 127.0.0.1)')
    .action(async (options: { port?: string; host?: string }) => {
      const config = loadConfig({
        ...process.env,
        ...(options.port !== undefined ? { PORT: options.port } : {}),
        ...(options.host !== undefined ? { HOST: options.host } : {}),
      });
      await startServer(config);
      // Nest's shutdown hooks close the store on SIGINT/SIGTERM; the process stays up until then.
    });
}
