import { Controller, Get, Inject, Logger, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { publicBaseUrl } from '../auth/http/public-base-url';
import {
  ADMIN_CONSOLE_CALLBACK_PATH,
  ADMIN_CONSOLE_CLIENT_ID,
  ADMIN_CONSOLE_RESOURCE_PATH,
  ADMIN_CONSOLE_SCOPE,
} from '../auth/oauth-server/admin-console-client';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../infrastructure/tokens';
import { ConsoleAssets, ConsoleNotBuiltError } from './console-assets';
import { CONSOLE_HEADERS, consolePage, consoleUnavailablePage, type ConsoleSettings } from './console-page';

/** The console's pages: each is the one HTML page; the app shows the page its path names. */
export const CONSOLE_ROUTES = ['', 'callback', 'integrations', 'integrations/:clientId', 'connectors', 'connectors/:name', 'users', 'write-policy', 'credits', 'audit', 'audit/:seq', 'usage'];

/**
 * The admin web console at /admin (its API is /admin/api, AdminModule): one HTML page and its two
 * bundled files, all served here. Nothing here is secret or needs a token: the app signs in and calls
 * the admin API, which checks every request.
 */
@Controller('admin')
export class AdminConsoleController {
  private readonly logger = new Logger('AdminConsole');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly assets: ConsoleAssets,
  ) {}

  @Get(CONSOLE_ROUTES)
  async page(@Req() req: Request, @Res() res: Response): Promise<void> {
    res.set(CONSOLE_HEADERS);
    let versions: Record<string, string>;
    try {
      versions = await this.assets.versions();
    } catch (error) {
      this.unavailable(res, error);
      return;
    }
    res.status(200).type('html').send(consolePage(this.settings(req), versions));
  }

  @Get('assets/:name')
  async asset(@Param('name') name: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
    let asset;
    try {
      asset = await this.assets.get(name);
    } catch (error) {
      this.unavailable(res, error);
      return;
    }
    if (!asset) {
      res.status(404).type('text/plain').send(`No such console file: ${name}`);
      return;
    }
    res.set('ETag', asset.etag);
    if (req.headers['if-none-match'] === asset.etag) {
      res.status(304).end();
      return;
    }
    res.status(200).set('Content-Type', asset.contentType).send(asset.body);
  }

  private settings(req: Request): ConsoleSettings {
    const base = publicBaseUrl(this.config, req);
    return {
      base,
      // With OAUTH_ISSUER the built-in authorization server is off (OAuthServerModule): no sign-in
      // flow of csmcp's own, so the console takes a personal access token with the admin scope.
      signIn: this.config.oauth ? 'token' : 'built-in',
      clientId: ADMIN_CONSOLE_CLIENT_ID,
      scope: ADMIN_CONSOLE_SCOPE,
      resource: `${base}${ADMIN_CONSOLE_RESOURCE_PATH}`,
      redirectUri: `${base}${ADMIN_CONSOLE_CALLBACK_PATH}`,
    };
  }

  private unavailable(res: Response, error: unknown): void {
    const message = error instanceof ConsoleNotBuiltError ? error.message : 'The console could not be loaded; the server log says why.';
    if (!(error instanceof ConsoleNotBuiltError)) this.logger.error({ err: error, msg: 'admin console bundle failed to load' });
    res.status(503).type('html').send(consoleUnavailablePage(message));
  }
}
