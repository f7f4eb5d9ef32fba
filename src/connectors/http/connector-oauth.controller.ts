import { Controller, Get, Header, Inject, Logger, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { escapeHtml } from '../../auth/oauth-server/provider-configuration';
import { ConnectorAuthorizations } from '../oauth/connector-authorizations';
import { clientMetadataDocument, CONNECTOR_CALLBACK_PATH, CONNECTOR_CLIENT_METADATA_PATH } from '../oauth/client-identity';
import { describeSubject } from '../registry/connector';
import { ConnectorError } from '../registry/connector-error';

/**
 * csmcp's own OAuth client endpoints for its connectors: the callback where an authorization of an
 * external server comes back (an admin's for the organisation, or a user's), and csmcp's client ID
 * metadata document. The callback needs no csmcp session: the OAuth state it carries was created by
 * `connectors authorize`, is single-use and lives 10 minutes.
 */
@Controller()
export class ConnectorOAuthController {
  private readonly logger = new Logger('Connectors');

  constructor(@Inject(ConnectorAuthorizations) private readonly authorizations: ConnectorAuthorizations) {}

  @Get(CONNECTOR_CALLBACK_PATH.slice(1))
  @Header('Cache-Control', 'no-store')
  @Header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
  async callback(
    @Query('state') state: string | undefined,
    @Query('code') code: string | undefined,
    @Query('error') error: string | undefined,
    @Query('error_description') errorDescription: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    try {
      const { connector, subject } = await this.authorizations.finish({ state: text(state), code: text(code), error: text(error), errorDescription: text(errorDescription) });
      this.logger.log({ msg: 'connector authorised', connector: connector.name, subject: subject.kind === 'user' ? subject.email : 'company' });
      res
        .status(200)
        .type('html')
        .send(page('Connector authorised', `csmcp can now use connector <strong>${escapeHtml(connector.name)}</strong> for ${escapeHtml(describeSubject(subject))}. You can close this window.`));
    } catch (err) {
      if (!(err instanceof ConnectorError)) {
        this.logger.error({ msg: 'connector authorization failed', err });
        res.status(500).type('html').send(page('Authorization failed', 'csmcp could not finish this authorization (an internal error; see its log). Start again with csmcp connectors authorize.'));
        return;
      }
      this.logger.warn({ msg: 'connector authorization refused', code: err.code, reason: err.message });
      res.status(err.category === 'CONNECTION' ? 502 : 400).type('html').send(page('Authorization failed', escapeHtml(err.message), err.code));
    }
  }

  @Get(CONNECTOR_CLIENT_METADATA_PATH.slice(1))
  @Header('Cache-Control', 'public, max-age=3600')
  clientMetadata(@Res() res: Response): void {
    const document = clientMetadataDocument(this.authorizations.identity);
    if (!document) {
      res.status(404).json({ error: 'not_found', error_description: 'csmcp publishes its client ID metadata document only when PUBLIC_URL is an https URL' });
      return;
    }
    res.status(200).json(document);
  }
}

function page(title: string, body: string, code?: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>csmcp: ${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}code{background:#eee;padding:0 .25rem}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${body}</p>${code ? `<p><code>${escapeHtml(code)}</code></p>` : ''}</body></html>`;
}
