import { Controller, Get, Query, UseFilters } from '@nestjs/common';
import { CreditsService, priceOf } from '../../audit/credits/credits.service';
import { CS_TOOLS, type ToolDefinition } from '../../mcp/tools';
import { AdminErrorFilter } from '../http/admin-error.filter';
import { pageOf, pageRequest, type Page } from '../http/pagination';

export interface ToolJson {
  readonly name: string;
  readonly title: string;
  /** What it is metered as: read, analysis or write. */
  readonly kind: ToolDefinition['kind'];
  /** The scope a token needs to call it. */
  readonly scope: string;
  readonly read_only: boolean;
  /** Credits a successful call costs now. */
  readonly price: number;
  /** Where that price comes from: the tool's own price, or its kind's. */
  readonly price_from: 'tool' | 'kind';
}

/**
 * The MCP tools csmcp serves (CS_TOOLS, in their order: reads, writes, the admin tools) with what each
 * costs now (the ledger's price list, as get_credit_balance shows it). The console's audit filter and
 * prices form offer these names.
 */
@Controller('admin/api/tools')
@UseFilters(AdminErrorFilter)
export class AdminToolsController {
  constructor(private readonly credits: CreditsService) {}

  @Get()
  async list(@Query() query: Record<string, unknown>): Promise<Page<ToolJson>> {
    const page = pageRequest(query, 'tools');
    const { prices } = await this.credits.balance(null);
    const order = new Map(CS_TOOLS.map((t, i) => [t.name, i]));
    return pageOf(CS_TOOLS, (t) => [order.get(t.name)!], page, 'tools', (t) => ({
      name: t.name,
      title: t.title,
      kind: t.kind,
      scope: t.scope,
      read_only: t.annotations.readOnlyHint,
      price: priceOf(prices, t.name, t.kind),
      price_from: prices.byTool[t.name] !== undefined ? 'tool' : 'kind',
    }));
  }
}
