import { Controller, Get, Header, HttpCode, Inject, Options, Req } from '@nestjs/common';
import type { Request } from 'express';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../infrastructure/tokens';
import { SCOPES } from '../principal';
import { publicBaseUrl } from './public-base-url';

/** The MCP endpoint's paths: /mcp, and /v1/ds-mcp/mcp, the path connector guides use. */
export const MCP_RESOURCE_PATHS = ['/mcp', '/v1/ds-mcp/mcp'] as const;

export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers: string[];
  readonly scopes_supported: string[];
  readonly bearer_methods_supported: string[];
  readonly resource_name: string;
}

const WELL_KNOWN = '.well-known/oauth-protected-resource';

/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): tells an MCP client which authorization server
 * issues tokens for the MCP endpoint. Served at the bare well-known path (for /mcp) and at the path
 * form for each MCP path. Public and CORS-open: browser-based clients read it before signing in.
 */
@Controller()
export class ProtectedResourceController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get([WELL_KNOWN, `${WELL_KNOWN}/mcp`])
  @Header('Access-Control-Allow-Origin', '*')
  @Header('Cache-Control', 'public, max-age=3600')
  forMcp(@Req() req: Request): ProtectedResourceMetadata {
    return this.metadata(req, '/mcp');
  }

  @Get(`${WELL_KNOWN}/v1/ds-mcp/mcp`)
  @Header('Access-Control-Allow-Origin', '*')
  @Header('Cache-Control', 'public, max-age=3600')
  forConnectorPath(@Req() req: Request): ProtectedResourceMetadata {
    return this.metadata(req, '/v1/ds-mcp/mcp');
  }

  /** CORS preflight: a browser client sending MCP-Protocol-Version asks first. */
  @Options([WELL_KNOWN, `${WELL_KNOWN}/mcp`, `${WELL_KNOWN}/v1/ds-mcp/mcp`])
  @HttpCode(204)
  @Header('Access-Control-Allow-Origin', '*')
  @Header('Access-Control-Allow-Methods', 'GET, OPTIONS')
  @Header('Access-Control-Allow-Headers', '*')
  @Header('Access-Control-Max-Age', '86400')
  preflight(): void {}

  private metadata(req: Request, resourcePath: string): ProtectedResourceMetadata {
    const base = publicBaseUrl(this.config, req);
    return {
      resource: `${base}${resourcePath}`,
      // The external authorization server when one is configured (OAUTH_ISSUER), else csmcp itself.
      authorization_servers: [this.config.oauth?.issuer ?? base],
      scopes_supported: [...SCOPES],
      bearer_methods_supported: ['header'],
      resource_name: 'csmcp',
    };
  }
}
