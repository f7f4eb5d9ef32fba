import { Controller, Get, Query, Res, UseFilters } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { Response } from 'express';
import { GetCreditUsageQuery, type CreditUsageResult } from '../../audit/queries/get-credit-usage/get-credit-usage.query';
import { usageCsv } from '../../audit/queries/get-credit-usage/usage-csv';
import { AuditReadModel } from '../audit/audit-read-model';
import { AdminErrorFilter } from '../http/admin-error.filter';
import { usageFileName, usageRequest } from './usage-params';

/**
 * Credits charged and calls made, as `csmcp usage`: the same query (its totals reconcile with the
 * ledger), as JSON or as the same CSV the CLI writes, as a download.
 */
@Controller('admin/api/usage')
@UseFilters(AdminErrorFilter)
export class AdminUsageController {
  constructor(
    private readonly queries: QueryBus,
    private readonly readModel: AuditReadModel,
  ) {}

  @Get()
  async usage(@Query() query: Record<string, unknown>, @Res({ passthrough: true }) res: Response): Promise<CreditUsageResult | string> {
    const { input, format } = usageRequest(query);
    await this.readModel.atHead();
    const result = await this.queries.execute(new GetCreditUsageQuery(input));
    if (format === 'json') return result;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${usageFileName(input, result)}"`);
    return usageCsv(result);
  }
}
