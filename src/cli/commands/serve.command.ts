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
      const server = await startServer(config);
      // On SIGTERM/SIGINT: stop accepting requests, let projections finish their batch, close the
      // stores, and exit 0 so process managers see a clean stop. A second signal exits at once.
      const shutdown = (signal: NodeJS.Signals) => {
        process.once(signal, () => process.exit(1));
        server.close().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`csmcp: shutdown failed: ${String(error)}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
}
