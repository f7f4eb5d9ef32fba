import type { AuditLog } from '../audit-log';
import { TOOL_KINDS, type AuditActor, type AuditEntry, type ToolKind } from '../domain/audit-entry';
import { isConnectorPriceKey, monthOf, priceOf, type LedgerState } from '../domain/ledger';
import { CreditTargetNotFoundError, LIMIT_SCOPES, type CreditTarget, type CreditTargetDirectory, type LimitScope } from './credit-targets';

/** A credit operation refused: which field, what was wrong, what is allowed. */
export class CreditInputError extends Error {
  readonly code = 'INVALID_INPUT' as const;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field} ${message}`);
    this.name = 'CreditInputError';
  }
}

const MAX_AMOUNT = 1_000_000_000;
const MAX_PRICE = 1_000_000;

export interface BalanceView {
  /** False until the first grant: every call is metered and reported, none is limited by a balance. */
  readonly limited: boolean;
  readonly balance: number | null;
  readonly granted: number;
  readonly charged: number;
  readonly prices: { readonly byKind: Readonly<Record<ToolKind, number>>; readonly byTool: Readonly<Record<string, number>> };
  readonly month: string;
  readonly user: { readonly id: string; readonly used: number; readonly monthlyLimit: number | null } | null;
  readonly integration: { readonly id: string; readonly used: number; readonly monthlyLimit: number | null } | null;
}

/** A monthly limit in force, with what was used of it this month. */
export interface MonthlyLimitView {
  readonly id: string;
  readonly monthlyLimit: number;
  readonly used: number;
}

export interface MonthlyLimits {
  readonly month: string;
  /** By email (users no longer known last, by id). */
  readonly userLimits: ReadonlyArray<MonthlyLimitView & { readonly email: string | null }>;
  /** By name. */
  readonly integrationLimits: ReadonlyArray<MonthlyLimitView & { readonly name: string | null }>;
}

/**
 * The admin's side of the ledger: grants and adjustments, monthly limits, the price list, and the
 * balance as a caller sees it. Every change is an entry of the audit log, with who and why.
 */
export class CreditsService {
  constructor(
    private readonly log: AuditLog,
    private readonly directory: CreditTargetDirectory,
  ) {}

  async grant(amount: unknown, reason: unknown, by: AuditActor, now = new Date()): Promise<AuditEntry> {
    if (typeof amount !== 'number' || !Number.isInteger(amount) || amount === 0 || Math.abs(amount) > MAX_AMOUNT)
      throw new CreditInputError('amount', `must be a whole number of credits, not 0, from -${MAX_AMOUNT} to ${MAX_AMOUNT} (negative = an adjustment down); got ${JSON.stringify(amount)}`);
    const why = reasonOf(reason);
    const [entry] = await this.log.record({ type: 'CreditsGranted', body: { at: now.toISOString(), by, amount, reason: why } });
    return entry;
  }

  /** A limit keyed by the ledger's own id (a user id or client id), as given: setLimitFor checks who it is. */
  async setLimit(scope: 'user' | 'integration', id: string, monthlyLimit: unknown, reason: unknown, by: AuditActor, now = new Date()): Promise<AuditEntry> {
    const [entry] = await this.log.record({
      type: 'CreditLimitSet',
      body: { at: now.toISOString(), by, scope, id, monthlyLimit: limitValue(monthlyLimit), reason: reasonOf(reason ?? 'monthly limit') },
    });
    return entry;
  }

  /**
   * A monthly limit for a user (by id or email) or an integration (by client id) that exists: the input
   * is checked first, then who it names (CreditTargetNotFoundError), then it is recorded under their id.
   * The CLI and the admin API both set limits through here.
   */
  async setLimitFor(scope: unknown, who: unknown, monthlyLimit: unknown, reason: unknown, by: AuditActor, now = new Date()): Promise<{ entry: AuditEntry; target: CreditTarget }> {
    if (typeof scope !== 'string' || !(LIMIT_SCOPES as readonly string[]).includes(scope))
      throw new CreditInputError('scope', `must be ${LIMIT_SCOPES.join(' or ')}; got ${JSON.stringify(scope)}`);
    if (typeof who !== 'string' || who.trim() === '' || who.length > 200)
      throw new CreditInputError('id', `must name the ${scope === 'user' ? "user (their id or email)" : "integration (its client id)"} in 1 to 200 characters; got ${JSON.stringify(who)}`);
    limitValue(monthlyLimit);
    reasonOf(reason ?? 'monthly limit');
    const target = await this.target(scope as LimitScope, who.trim());
    return { entry: await this.setLimit(target.scope, target.id, monthlyLimit, reason, by, now), target };
  }

  /** The monthly limits in force, with whom they name and what was used of them this month (UTC). */
  async limits(now = new Date()): Promise<MonthlyLimits> {
    const state = await this.log.refresh();
    const month = monthOf(now.toISOString());
    const userLimits = await Promise.all(
      [...state.userLimits].map(async ([id, monthlyLimit]) => ({
        id,
        email: (await this.directory.user(id))?.email ?? null,
        monthlyLimit,
        used: state.userMonth.get(`${month}|${id}`) ?? 0,
      })),
    );
    const integrationLimits = await Promise.all(
      [...state.integrationLimits].map(async ([id, monthlyLimit]) => ({
        id,
        name: (await this.directory.integration(id))?.name ?? null,
        monthlyLimit,
        used: state.integrationMonth.get(`${month}|${id}`) ?? 0,
      })),
    );
    const byLabel = (a: { id: string; label: string | null }, b: { id: string; label: string | null }) =>
      (a.label === null ? 1 : 0) - (b.label === null ? 1 : 0) || (a.label ?? '').localeCompare(b.label ?? '') || a.id.localeCompare(b.id);
    return {
      month,
      userLimits: userLimits.sort((a, b) => byLabel({ id: a.id, label: a.email }, { id: b.id, label: b.email })),
      integrationLimits: integrationLimits.sort((a, b) => byLabel({ id: a.id, label: a.name }, { id: b.id, label: b.name })),
    };
  }

  private async target(scope: LimitScope, who: string): Promise<CreditTarget> {
    if (scope === 'user') {
      // By email when it holds an @ (user ids never do), else by id.
      const user = await this.directory.user(who);
      if (!user) throw new CreditTargetNotFoundError('user', who);
      return { scope, id: user.id, label: user.email };
    }
    const integration = await this.directory.integration(who);
    if (!integration) throw new CreditTargetNotFoundError('integration', who);
    return { scope, id: integration.id, label: integration.name };
  }

  /** Changes some prices; the others stay as they are. `tool: null` puts a tool back on its kind's price. */
  async setPrices(change: { byKind?: Partial<Record<string, unknown>>; byTool?: Record<string, unknown> }, knownTools: readonly string[], by: AuditActor, now = new Date()) {
    const current = (await this.log.ledger()).prices;
    const byKind = { ...current.byKind };
    for (const [kind, price] of Object.entries(change.byKind ?? {})) {
      if (!(TOOL_KINDS as readonly string[]).includes(kind)) throw new CreditInputError(`byKind.${kind}`, `is not a kind of tool; the kinds are ${TOOL_KINDS.join(', ')}`);
      byKind[kind as ToolKind] = priceValue(`byKind.${kind}`, price);
    }
    const byTool: Record<string, number> = { ...current.byTool };
    for (const [tool, price] of Object.entries(change.byTool ?? {})) {
      if (!knownTools.includes(tool) && !isConnectorPriceKey(tool))
        throw new CreditInputError(`byTool.${tool}`, `is not a csmcp tool nor a connector price (connector:NAME/TOOL, connector:NAME, connector:*); the tools are ${knownTools.join(', ')}`);
      if (price === null) delete byTool[tool];
      else byTool[tool] = priceValue(`byTool.${tool}`, price);
    }
    const [entry] = await this.log.record({ type: 'CreditPricesSet', body: { at: now.toISOString(), by, byKind, byTool } });
    return entry;
  }

  async balance(caller: { userId: string; integrationId: string | null } | null, now = new Date()): Promise<BalanceView> {
    return balanceView(await this.log.refresh(), caller, now);
  }
}

export function balanceView(state: LedgerState, caller: { userId: string; integrationId: string | null } | null, now: Date): BalanceView {
  const month = monthOf(now.toISOString());
  return {
    limited: state.balance !== null,
    balance: state.balance,
    granted: state.granted,
    charged: state.charged,
    prices: state.prices,
    month,
    user: caller ? { id: caller.userId, used: state.userMonth.get(`${month}|${caller.userId}`) ?? 0, monthlyLimit: state.userLimits.get(caller.userId) ?? null } : null,
    integration:
      caller?.integrationId
        ? { id: caller.integrationId, used: state.integrationMonth.get(`${month}|${caller.integrationId}`) ?? 0, monthlyLimit: state.integrationLimits.get(caller.integrationId) ?? null }
        : null,
  };
}

export { priceOf };

function limitValue(monthlyLimit: unknown): number | null {
  if (monthlyLimit !== null && (typeof monthlyLimit !== 'number' || !Number.isInteger(monthlyLimit) || monthlyLimit < 0 || monthlyLimit > MAX_AMOUNT))
    throw new CreditInputError('monthlyLimit', `must be a whole number of credits from 0 to ${MAX_AMOUNT}, or null to remove the limit; got ${JSON.stringify(monthlyLimit)}`);
  return monthlyLimit;
}

function reasonOf(reason: unknown): string {
  if (typeof reason !== 'string' || reason.trim().length === 0 || reason.length > 500)
    throw new CreditInputError('reason', 'is required: say why in 1 to 500 characters (it is kept in the audit log)');
  return reason.trim();
}

function priceValue(field: string, price: unknown): number {
  if (typeof price !== 'number' || !Number.isInteger(price) || price < 0 || price > MAX_PRICE)
    throw new CreditInputError(field, `must be a whole number of credits from 0 to ${MAX_PRICE}; got ${JSON.stringify(price)}`);
  return price;
}
