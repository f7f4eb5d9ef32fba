import { Controller, Delete, Get, Param, Post, Query, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { briefSourceJson, type BriefSourceJson } from '../../connectors/briefs/brief-source.json';
import { BriefSources } from '../../connectors/briefs/brief-sources';
import { ConnectorError } from '../../connectors/registry/connector-error';
import { adminContextOf } from '../http/admin-caller';
import { AdminApiError } from '../http/admin-api-error';
import { AdminErrorFilter } from '../http/admin-error.filter';
import { fieldsOf, type FieldSpec } from '../http/fields';
import { readAdminJsonBody } from '../http/json-body';
import { queryParams } from '../http/query-params';
import { connectorCall } from './connector-api';

/**
 * POST /brief-sources: as `csmcp connectors sources add`. args is the arguments template as a JSON
 * object (strings may use {{company.name}} ...); timeout as "5s" or "1500ms" (default 10s, at most 60s).
 */
const ADD = {
  connector: { kind: 'string', required: true },
  tool: { kind: 'string', required: true },
  label: { kind: 'string', required: true },
  args: { kind: 'object' },
  timeout: { kind: 'string' },
} as const satisfies FieldSpec;

/** Brief sources (which connector tool get_account_brief calls for every account) through BriefSources, as the CLI. */
@Controller('admin/api/brief-sources')
@UseFilters(AdminErrorFilter)
export class AdminBriefSourcesController {
  constructor(private readonly sources: BriefSources) {}

  /** In the order they were added (the order of the brief's sections). */
  @Get()
  async list(@Query() query: Record<string, unknown>): Promise<{ brief_sources: BriefSourceJson[] }> {
    queryParams(query, []);
    return { brief_sources: (await this.sources.list()).map(briefSourceJson) };
  }

  @Post()
  async add(@Req() req: Request): Promise<BriefSourceJson> {
    const body = fieldsOf(await readAdminJsonBody(req), ADD);
    const context = adminContextOf(req, 'POST /admin/api/brief-sources');
    const source = await connectorCall(
      () => this.sources.add({ connector: body.connector!, tool: body.tool!, label: body.label!, args: body.args, timeout: body.timeout }, context),
      body.connector!.trim(),
    );
    return briefSourceJson(source);
  }

  @Delete(':id')
  async remove(@Req() req: Request, @Param('id') id: string): Promise<{ id: string; removed: true }> {
    fieldsOf(await readAdminJsonBody(req), {});
    const context = adminContextOf(req, 'DELETE /admin/api/brief-sources/{id}');
    try {
      const source = await this.sources.remove(id, context);
      return { id: source.id, removed: true };
    } catch (error) {
      // The service's refusal says "id or label" and points at the CLI.
      if (error instanceof ConnectorError && error.field === 'source')
        throw new AdminApiError(404, 'BRIEF_SOURCE_NOT_FOUND', `no brief source has the id ${id}; GET /admin/api/brief-sources lists them`, { field: 'id' });
      throw error;
    }
  }
}
