import { Inject, Injectable, Module, RequestMethod, type MiddlewareConsumer, type NestMiddleware, type NestModule } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../infrastructure/tokens';
import { OAuthServer } from './oauth-server';

/**
 * Hands the built-in authorization server its requests (OAuth endpoints, their /v1 aliases, the
 * metadata, the sign-in and consent pages); everything else goes on. Off when an external
 * authorization server is configured (OAUTH_ISSUER).
 */
@Injectable()
export class OAuthServerMiddleware implements NestMiddleware {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly server: OAuthServer,
  ) {}

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
