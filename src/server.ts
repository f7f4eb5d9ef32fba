import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { refuseMalformedAdminPath } from './admin/http/malformed-path';
import { AppModule } from './app.module';
import { describeStore, type AppConfig } from './config/config';

export interface RunningServer {
  readonly app: NestExpressApplication;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Nest's start-up: logs kept until the app's own logger takes them (bufferLogs), and a provider
 * that fails (a data dir that cannot be opened, a database that is down) thrown to the caller
 * instead of printed with its stack by Nest and the process exited: `csmcp` says it in one line.
 */
export const QUIET_START = { bufferLogs: true, autoFlushLogs: false, abortOnError: false } as const;

/** Builds the HTTP application, starts projections and listens. Used by `csmcp serve` and the e2e tests. */
export async function startServer(config: AppConfig): Promise<RunningServer> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, { server: true }), {
    ...QUIET_START,
    // The MCP transports read their own bodies (with a size limit, before parsing).
    bodyParser: false,
  });
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.flushLogs();
  app.disable('x-powered-by');
  // Before Nest's routes: Express would refuse a malformed %-escape in a route parameter in Nest's shape, not the admin API's.
  app.use('/admin/api', refuseMalformedAdminPath);
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  logger.log({ msg: 'csmcp is listening', url, eventStore: describeStore(config.eventStore), readModels: describeStore(config.readModels) });
  return { app, url, close: () => app.close() };
}
