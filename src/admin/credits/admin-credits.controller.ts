import { Controller, Get, Post, Put, Query, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import type { AuditActor, CreditLimitSetBody, CreditsGrantedBody } from '../../audit/domain/audit-entry';
import { CreditsService, type BalanceView, type MonthlyLimits } from '../../audit/credits/credits.service';
import { CS_TOOLS } from '../../mcp/tools';
import { adminOf } from '../http/admin-caller';
import { AdminApiError } from '../http/admin-api-error';
import { AdminErrorFilter } from '../http/admin-error.filter';
import { fieldsOf, type FieldSpec } from '../http/fields';
import { readAdminJsonBody } from '../http/json-body';
import { queryParams } from '../http/query-params';

/** POST /credits/grants: as `csmcp credits grant`; a negative amount adjusts down. The service checks the values. */
const GRANT = { amount: { kind: 'number', required: true }, reason: { kind: 'string' } } as const satisfies FieldSpec;
/** PUT /credits/limits: as `csmcp credits limit`; id is a user's id or email, or an integration's client id; monthlyLimit null removes it. */
const LIMIT = {
  scope: { kind: 'string', required: true },
  id: { kind: 'string', required: true },
  monthlyLimit: { kind: 'number|null', required: true },
  reason: { kind: 'string' },
} as const satisfies FieldSpec;
/** PUT /credits/prices: as `csmcp credits prices set`; the prices given change, the others stay. */
const PRICES = { byKind: { kind: 'object' }, byTool: { kind: 'object' } } as const satisfies FieldSpec;

export type CreditsView = Omit<BalanceView, 'user' | 'integration'> & Omit<MonthlyLimits, 'month'>;

/**
 * The organisation's credits through CreditsService, as `csmcp credits` does: the balance, grants,
 * monthly limits and prices. Every change is an entry of the audit log naming the admin and why.
 * Shapes are the service's (camelCase), as `csmcp credits … --json` prints them.
 */
@Controller('admin/api/credits')
@UseFilters(AdminErrorFilter)
export class AdminCreditsController {
  constructor(private readonly credits: CreditsService) {}

  /** The balance (null until the first grant: metered, not limited), granted, charged, the prices, and the monthly limits in force. */
  @Get()
  async show(@Query() query: Record<string, unknown>): Promise<CreditsView> {
    queryParams(query, []);
    const now = new Date();
    const [view, limits] = await Promise.all([this.credits.balance(null, now), this.credits.limits(now)]);
    // The caller's own use (user, integration) means nothing here: the organisation is the subject.
    const { user: _user, integration: _integration, ...organisation } = view;
    return { ...organisation, userLimits: limits.userLimits, integrationLimits: limits.integrationLimits };
  }

  /** 201 with the entry's seq and the balance right after it. */
  @Post('grants')
  async grant(@Req() req: Request) {
    const body = fieldsOf(await readAdminJsonBody(req), GRANT);
    const entry = await this.credits.grant(body.amount, body.reason, actorOf(req));
    const { balance } = await this.credits.balance(null);
    const granted = entry.body as CreditsGrantedBody;
    return { seq: entry.seq, amount: granted.amount, reason: granted.reason, balance };
  }

  /** Unknown user or integration: 404 naming it, nothing recorded. */
  @Put('limits')
  async limit(@Req() req: Request) {
    const body = fieldsOf(await readAdminJsonBody(req), LIMIT);
    const { entry, target } = await this.credits.setLimitFor(body.scope, body.id, body.monthlyLimit, body.reason, actorOf(req));
    const set = entry.body as CreditLimitSetBody;
    return {
      seq: entry.seq,
      scope: target.scope,
      id: target.id,
      ...(target.scope === 'user' ? { email: target.label } : { name: target.label }),
      monthlyLimit: set.monthlyLimit,
      reason: set.reason,
    };
  }

  /** byKind: read, analysis, write; byTool: a csmcp tool's name (null puts it back on its kind's price). Answers the price list now in force. */
  @Put('prices')
  async prices(@Req() req: Request) {
    const body = fieldsOf(await readAdminJsonBody(req), PRICES);
    if (body.byKind === undefined && body.byTool === undefined)
      throw new AdminApiError(400, 'NOTHING_TO_CHANGE', 'Nothing to change: give byKind (read, analysis, write) and/or byTool (a tool name to credits, or null)', {
        field: null,
        allowed: Object.keys(PRICES),
      });
    const entry = await this.credits.setPrices({ byKind: body.byKind, byTool: body.byTool }, CS_TOOLS.map((t) => t.name), actorOf(req));
    // The list in force (the defaults under what was set), as GET /credits and get_credit_balance show it.
    const { prices } = await this.credits.balance(null);
    return { seq: entry.seq, prices };
  }
}

/** The admin the request was authenticated as, as the audit log records who did it. */
function actorOf(req: Request): AuditActor {
  const admin = adminOf(req);
  return { type: 'user', id: admin.userId, email: admin.email ?? null };
}
