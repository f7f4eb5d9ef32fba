import { All, Controller, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { AdminApiError } from './admin-api-error';
import { AdminErrorFilter } from './admin-error.filter';

export const ADMIN_ENDPOINTS = [
  'GET /admin/api/integrations',
  'POST /admin/api/integrations',
  'GET /admin/api/integrations/{client_id}',
  'PATCH /admin/api/integrations/{client_id}',
  'POST /admin/api/integrations/{client_id}/rotate-secret',
  'POST /admin/api/integrations/{client_id}/disable',
  'POST /admin/api/integrations/{client_id}/enable',
  'GET /admin/api/users',
  'POST /admin/api/users',
  'PATCH /admin/api/users/{user_id}',
  'GET /admin/api/write-policy',
  'PUT /admin/api/write-policy',
  'GET /admin/api/oauth-clients',
  'DELETE /admin/api/oauth-clients/{client_id}',
  'GET /admin/api/audit',
  'GET /admin/api/audit/{seq}',
  'GET /admin/api/audit/verify',
  'GET /admin/api/audit/head',
  'GET /admin/api/usage',
  'GET /admin/api/credits',
  'POST /admin/api/credits/grants',
  'PUT /admin/api/credits/limits',
  'PUT /admin/api/credits/prices',
  'POST /admin/api/audit/{seq}/revert',
  'POST /admin/api/sessions/{session_id}/revert',
  'GET /admin/api/tools',
  'GET /admin/api/me',
  'GET /admin/api/connectors',
  'POST /admin/api/connectors',
  'GET /admin/api/connectors/{name}',
  'PATCH /admin/api/connectors/{name}',
  'DELETE /admin/api/connectors/{name}',
  'POST /admin/api/connectors/{name}/authorize',
  'POST /admin/api/connectors/{name}/test',
  'GET /admin/api/brief-sources',
  'POST /admin/api/brief-sources',
  'DELETE /admin/api/brief-sources/{id}',
] as const;

/** Anything else under /admin/api (registered last): 404 in the admin API's shape, with what exists. */
@Controller('admin/api')
@UseFilters(AdminErrorFilter)
export class AdminNotFoundController {
  @All(['', '{*path}'])
  notFound(@Req() req: Request): never {
    throw new AdminApiError(404, 'NO_SUCH_ENDPOINT', `${req.method} ${req.path} is not an admin API endpoint; the endpoints are: ${ADMIN_ENDPOINTS.join(', ')}`, {
      endpoints: [...ADMIN_ENDPOINTS],
    });
  }
}
