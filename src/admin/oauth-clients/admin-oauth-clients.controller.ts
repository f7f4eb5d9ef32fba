import { Controller, Delete, Get, Param, Query, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { IntegrationService } from '../../auth/integrations/integration.service';
import { adminContextOf } from '../http/admin-caller';
import { AdminApiError } from '../http/admin-api-error';
import { AdminErrorFilter } from '../http/admin-error.filter';
import { encodeCursor, pageRequest, type Page } from '../http/pagination';
import { DynamicClientsService, type DynamicClient } from './dynamic-clients.service';

const LIST = 'oauth-clients';

interface DynamicClientJson {
  readonly client_id: string;
  readonly client_name: string | null;
  readonly redirect_uris: string[];
  readonly created_at: string | null;
  readonly token_endpoint_auth_method: string | null;
  readonly grant_types: string[];
}

/**
 * OAuth clients registered dynamically (RFC 7591, e.g. by Claude without a client id): not
 * integrations, so they are listed and removed here. Removing one revokes every grant it holds.
 */
@Controller('admin/api/oauth-clients')
@UseFilters(AdminErrorFilter)
export class AdminOAuthClientsController {
  constructor(
    private readonly clients: DynamicClientsService,
    private readonly integrations: IntegrationService,
  ) {}

  /** Newest first. */
  @Get()
  async list(@Query() query: Record<string, unknown>): Promise<Page<DynamicClientJson>> {
    const request = pageRequest(query, LIST);
    const after = request.after;
    if (after && (after.length !== 2 || typeof after[0] !== 'number' || typeof after[1] !== 'string'))
      throw new AdminApiError(400, 'INVALID_CURSOR', `cursor is not a cursor of this list: pass the next_cursor of the previous page of ${LIST} as it is`, { field: 'cursor' });
    const { clients, last, more } = await this.clients.page(request.limit, after ? { issuedAt: after[0] as number, clientId: after[1] as string } : null);
    return { items: clients.map(clientJson), next_cursor: more && last ? encodeCursor(LIST, [last.issuedAt, last.clientId]) : null };
  }

  @Delete(':clientId')
  async remove(@Req() req: Request, @Param('clientId') clientId: string) {
    const deleted = await this.clients.delete(clientId, adminContextOf(req, 'DELETE /admin/api/oauth-clients/{client_id}'));
    if (!deleted) {
      const integration = await this.integrations.get(clientId);
      throw new AdminApiError(
        404,
        'CLIENT_NOT_FOUND',
        integration
          ? `${clientId} is the integration "${integration.name}", not a dynamically registered client; stop it with POST /admin/api/integrations/${clientId}/disable`
          : `no dynamically registered client has client id ${clientId}; GET /admin/api/oauth-clients lists them`,
        { field: 'client_id' },
      );
    }
    return { client_id: deleted.client.clientId, client_name: deleted.client.clientName, revoked_grants: deleted.revokedGrants };
  }
}

function clientJson(c: DynamicClient): DynamicClientJson {
  return {
    client_id: c.clientId,
    client_name: c.clientName,
    redirect_uris: c.redirectUris,
    created_at: c.createdAt,
    token_endpoint_auth_method: c.tokenEndpointAuthMethod,
    grant_types: c.grantTypes,
  };
}
