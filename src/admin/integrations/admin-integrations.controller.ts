import { Controller, Get, HttpCode, Param, Patch, Post, Query, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { IntegrationError } from '../../auth/integrations/integration-error';
import { integrationChangeJson, integrationJson, type IntegrationChangeJson, type IntegrationJson } from '../../auth/integrations/integration.json';
import { IntegrationService, type UpdateIntegrationRequest } from '../../auth/integrations/integration.service';
import { adminContextOf } from '../http/admin-caller';
import { AdminApiError } from '../http/admin-api-error';
import { AdminErrorFilter } from '../http/admin-error.filter';
import { fieldsOf, type FieldSpec } from '../http/fields';
import { readAdminJsonBody } from '../http/json-body';
import { pageOf, pageRequest, type Page } from '../http/pagination';

/** The settings an integration has, as IntegrationJson names them. */
const SETTINGS = {
  name: { kind: 'string' },
  scopes: { kind: 'string[]' },
  access_context: { kind: 'string' },
  grant_types: { kind: 'string[]' },
  token_endpoint_auth_method: { kind: 'string' },
  ip_allow_list: { kind: 'string[]' },
} as const satisfies FieldSpec;

/** POST /integrations: as `csmcp integrations add`; token_endpoint_auth_method none = a public client (no secret). */
const CREATE = {
  name: { kind: 'string', required: true },
  preset: { kind: 'string', required: true },
  redirect_uris: { kind: 'string[]' },
  scopes: SETTINGS.scopes,
  access_context: SETTINGS.access_context,
  grant_types: SETTINGS.grant_types,
  token_endpoint_auth_method: SETTINGS.token_endpoint_auth_method,
  ip_allow_list: SETTINGS.ip_allow_list,
} as const satisfies FieldSpec;
/** PATCH /integrations/{id}: as `csmcp integrations update`; redirect_uris replaces the list, add_/remove_ edit it. */
const UPDATE = {
  name: SETTINGS.name,
  redirect_uris: { kind: 'string[]' },
  add_redirect_uris: { kind: 'string[]' },
  remove_redirect_uris: { kind: 'string[]' },
  scopes: SETTINGS.scopes,
  access_context: SETTINGS.access_context,
  grant_types: SETTINGS.grant_types,
  token_endpoint_auth_method: SETTINGS.token_endpoint_auth_method,
  ip_allow_list: SETTINGS.ip_allow_list,
} as const satisfies FieldSpec;
const ROTATE = { immediately: { kind: 'boolean' } } as const satisfies FieldSpec;
const NONE = {} as const satisfies FieldSpec;

/**
 * The integrations (OAuth clients admins register) through IntegrationService, as the CLI does: every
 * change is an event naming the admin. Secrets appear once, in the response that creates them.
 */
@Controller('admin/api/integrations')
@UseFilters(AdminErrorFilter)
export class AdminIntegrationsController {
  constructor(private readonly integrations: IntegrationService) {}

  /** Oldest first. */
  @Get()
  async list(@Query() query: Record<string, unknown>): Promise<Page<IntegrationJson>> {
    const page = pageRequest(query, 'integrations');
    return pageOf(await this.integrations.list(), (i) => [i.registeredAt, i.clientId], page, 'integrations', integrationJson);
  }

  @Get(':clientId')
  async get(@Param('clientId') clientId: string): Promise<IntegrationJson> {
    const integration = await this.integrations.get(clientId);
    if (!integration) throw notFound(clientId);
    return integrationJson(integration);
  }

  /** 201 with client_secret (null for a public client): the only time it is shown. */
  @Post()
  async create(@Req() req: Request): Promise<IntegrationJson & { client_secret: string | null }> {
    const body = fieldsOf(await readAdminJsonBody(req), CREATE);
    const { integration, clientSecret } = await this.integrations.register(
      {
        name: body.name!,
        preset: body.preset!,
        redirectUris: body.redirect_uris,
        scopes: body.scopes,
        accessContext: body.access_context,
        grantTypes: body.grant_types,
        tokenEndpointAuthMethod: body.token_endpoint_auth_method,
        ipAllowList: body.ip_allow_list,
      },
      adminContextOf(req, 'POST /admin/api/integrations'),
    );
    const { client_id, ...rest } = integrationJson(integration);
    return { client_id, client_secret: clientSecret, ...rest };
  }

  @Patch(':clientId')
  async update(@Req() req: Request, @Param('clientId') clientId: string): Promise<{ integration: IntegrationJson; changes: IntegrationChangeJson[] }> {
    const body = fieldsOf(await readAdminJsonBody(req), UPDATE);
    const request: UpdateIntegrationRequest = {
      name: body.name,
      redirectUris: body.redirect_uris,
      addRedirectUris: body.add_redirect_uris,
      removeRedirectUris: body.remove_redirect_uris,
      scopes: body.scopes,
      accessContext: body.access_context,
      grantTypes: body.grant_types,
      tokenEndpointAuthMethod: body.token_endpoint_auth_method,
      ipAllowList: body.ip_allow_list,
    };
    if (Object.values(request).every((v) => v === undefined))
      throw new AdminApiError(400, 'NOTHING_TO_CHANGE', `Nothing to change: give one or more of ${Object.keys(UPDATE).join(', ')}`, {
        field: null,
        allowed: Object.keys(UPDATE),
      });
    const context = adminContextOf(req, 'PATCH /admin/api/integrations/{client_id}');
    const { integration, changes } = await known(clientId, () => this.integrations.update(clientId, request, context));
    return { integration: integrationJson(integration), changes: changes.map(integrationChangeJson) };
  }

  /**
   * A new secret, shown in this response only. The old one keeps working for 24 hours (time to paste
   * the new one into the connector) unless `immediately` (it leaked).
   */
  @Post(':clientId/rotate-secret')
  @HttpCode(200)
  async rotateSecret(@Req() req: Request, @Param('clientId') clientId: string) {
    const body = fieldsOf(await readAdminJsonBody(req), ROTATE);
    const context = adminContextOf(req, 'POST /admin/api/integrations/{client_id}/rotate-secret');
    const rotated = await known(clientId, () => this.integrations.rotateSecret(clientId, { immediately: body.immediately === true }, context));
    return { client_id: rotated.integration.clientId, client_secret: rotated.clientSecret, previous_secrets_valid_until: rotated.previousSecretsValidUntil };
  }

  @Post(':clientId/disable')
  @HttpCode(200)
  async disable(@Req() req: Request, @Param('clientId') clientId: string): Promise<{ integration: IntegrationJson; changed: boolean }> {
    fieldsOf(await readAdminJsonBody(req), NONE);
    const context = adminContextOf(req, 'POST /admin/api/integrations/{client_id}/disable');
    const { integration, changed } = await known(clientId, () => this.integrations.disable(clientId, context));
    return { integration: integrationJson(integration), changed };
  }

  @Post(':clientId/enable')
  @HttpCode(200)
  async enable(@Req() req: Request, @Param('clientId') clientId: string): Promise<{ integration: IntegrationJson; changed: boolean }> {
    fieldsOf(await readAdminJsonBody(req), NONE);
    const context = adminContextOf(req, 'POST /admin/api/integrations/{client_id}/enable');
    const { integration, changed } = await known(clientId, () => this.integrations.enable(clientId, context));
    return { integration: integrationJson(integration), changed };
  }
}

/** The service's not-found refusal points at the CLI; here it points at this API. */
async function known<T>(clientId: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof IntegrationError && error.code === 'INTEGRATION_NOT_FOUND') throw notFound(clientId);
    throw error;
  }
}

function notFound(clientId: string): IntegrationError {
  return new IntegrationError('INTEGRATION_NOT_FOUND', `no integration has client id ${clientId}; GET /admin/api/integrations lists them`, 'client_id');
}
