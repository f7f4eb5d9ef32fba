import { Controller, Get, Put, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { adminMetadata } from '../../customer-success/companies/commands/admin-context';
import type { PolicyConfig } from '../../governance/write-policy';
import { WritePolicyService } from '../../governance/write-policy-config/write-policy.service';
import { adminContextOf } from '../http/admin-caller';
import { AdminErrorFilter } from '../http/admin-error.filter';
import { readAdminJsonBody } from '../http/json-body';

/**
 * The write policy, as `csmcp policy show` / `policy set`: PUT replaces it whole (settings left out
 * keep their defaults), checked by the same parser with the same errors, and recorded as an event.
 */
@Controller('admin/api/write-policy')
@UseFilters(AdminErrorFilter)
export class AdminWritePolicyController {
  constructor(private readonly policy: WritePolicyService) {}

  @Get()
  show(): Promise<PolicyConfig> {
    return this.policy.config();
  }

  @Put()
  async replace(@Req() req: Request): Promise<PolicyConfig> {
    // No body is not "the defaults": an empty PUT is far more likely a mistake. {} asks for the defaults.
    const body = await readAdminJsonBody(req);
    return this.policy.set(body === undefined ? null : body, adminMetadata(adminContextOf(req, 'PUT /admin/api/write-policy')));
  }
}
