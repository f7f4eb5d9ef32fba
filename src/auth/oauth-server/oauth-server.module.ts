import {
  Inject,
  Injectable,
  Logger,
  Module,
  RequestMethod,
  type BeforeApplicationShutdown,
  type MiddlewareConsumer,
  type NestMiddleware,
  type NestModule,
  type OnModuleInit,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../infrastructure/tokens';
import { SIGNIN_FAILURE_WINDOW_MS } from './interactions';
import { OAuthServer } from './oauth-server';
import { OAuthStateStore } from './oauth-state.store';
import { OAuthStateSweeper } from './oauth-state.sweeper';

/**
 * Hands the built-in authorization server its requests (OAuth endpoints, their /v1 aliases, the
 * metadata, the sign-in and consent pages); everything else goes on. Off when an external
 * authorization server is configured (OAUTH_ISSUER). While the server runs, expired OAuth state is
 * swept from the shared database (OAuthStateSweeper).
 */
@Injectable()
export class OAuthServerMiddleware implements NestMiddleware, OnModuleInit, BeforeApplicationShutdown {
  private readonly sweeper: OAuthStateSweeper;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly server: OAuthServer,
    state: OAuthStateStore,
  ) {
    const logger = new Logger('OAuth');
    this.sweeper = new OAuthStateSweeper(state, {
      failureWindowMs: SIGNIN_FAILURE_WINDOW_MS,
      onError: (error) => logger.warn({ err: error, msg: 'OAuth state sweep failed' }),
    });
  }

  onModuleInit(): void {
    if (!this.config.oauth) this.sweeper.start();
  }

  /** Before the state store closes (its onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.sweeper.stop();
  }

  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    if (this.config.oauth) return next();
    this.server.handle(req as never, res).then(
      (handled) => {
        if (!handled) next();
      },
      (error: unknown) => {
        if (res.headersSent) {
          res.destroy(error instanceof Error ? error : undefined);
          return;
        }
        next(error);
      },
    );
  }
}

/** The built-in authorization server's HTTP side (OAuthServer itself comes from the global AuthModule). */
@Module({ providers: [OAuthServerMiddleware] })
export class OAuthServerModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(OAuthServerMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
