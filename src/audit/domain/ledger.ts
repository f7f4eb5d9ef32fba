import type { AuditActor, AuditEntry, CreditPricesSetBody, ToolKind } from './audit-entry';

/** Default prices (credits per call): a read 1, an analysis 5, a write 2. Refused and failed calls cost 0. */
export const DEFAULT_PRICES: Readonly<Record<ToolKind, number>> = { read: 1, analysis: 5, write: 2 };
/** Looking at one's own balance, authorising one's own connector account, and an admin's audit and usage queries, cost nothing. */
export const DEFAULT_TOOL_PRICES: Readonly<Record<string, number>> = { get_credit_balance: 0, query_audit_log: 0, get_credit_usage: 0, authorize_connector: 0 };

export interface PriceList {
  readonly byKind: Readonly<Record<ToolKind, number>>;
  /** Per-tool prices override the kind's. */
  readonly byTool: Readonly<Record<string, number>>;
}

export function priceOf(prices: PriceList, tool: string, kind: ToolKind): number {
  return prices.byTool[tool] ?? prices.byKind[kind];
}

/**
 * Calls csmcp makes to external MCP servers (brief sources) are priced per call too: the audit names
 * them `connector:<connector>/<tool>`. A price may be set for one tool (connector:crm/search), one
 * connector (connector:crm) or every connector (connector:*); otherwise DEFAULT_CONNECTOR_PRICE.
 */
export const DEFAULT_CONNECTOR_PRICE = 1;
export const connectorCallTool = (connector: string, tool: string): string => `connector:${connector}/${tool}`;
const CONNECTOR_PRICE_KEY = /^connector:(\*|[a-z0-9][a-z0-9_-]{0,62}(\/[A-Za-z0-9_.\-/]{1,128})?)$/;

export function isConnectorPriceKey(key: string): boolean {
  return CONNECTOR_PRICE_KEY.test(key);
}

export function connectorPriceOf(prices: PriceList, connector: string, tool: string): number {
  return prices.byTool[connectorCallTool(connector, tool)] ?? prices.byTool[`connector:${connector}`] ?? prices.byTool['connector:*'] ?? DEFAULT_CONNECTOR_PRICE;
}

/**
 * The credit ledger folded from the audit log. `balance` is null until the first grant: until an
 * admin opens the organisation's credit account csmcp meters every call but limits none (monthly
 * limits per user and per integration apply whenever they are set).
 *
 * Folding mutates the state in place (a long log folds in linear time whatever the number of users
 * and months); whoever must keep a state as it was (planning a batch that may not be appended)
 * folds into a cloneLedger() copy.
 */
export interface LedgerState {
  /** The last entry folded (its seq and hash), null for an empty log. */
  head: { readonly seq: number; readonly hash: string } | null;
  balance: number | null;
  granted: number;
  charged: number;
  prices: PriceList;
  readonly userLimits: Map<string, number>;
  readonly integrationLimits: Map<string, number>;
  /** Credits charged per `${month}|${id}` (month = YYYY-MM, UTC). */
  readonly userMonth: Map<string, number>;
  readonly integrationMonth: Map<string, number>;
}

export function initialLedger(): LedgerState {
  return {
    head: null,
    balance: null,
    granted: 0,
    charged: 0,
    prices: { byKind: DEFAULT_PRICES, byTool: DEFAULT_TOOL_PRICES },
    userLimits: new Map(),
    integrationLimits: new Map(),
    userMonth: new Map(),
    integrationMonth: new Map(),
  };
}

export function cloneLedger(state: LedgerState): LedgerState {
  return {
    ...state,
    userLimits: new Map(state.userLimits),
    integrationLimits: new Map(state.integrationLimits),
    userMonth: new Map(state.userMonth),
    integrationMonth: new Map(state.integrationMonth),
  };
}

export const monthOf = (at: string): string => at.slice(0, 7);

/** Folds one entry into `state` (in place) and returns it. */
export function evolveLedger(state: LedgerState, entry: AuditEntry): LedgerState {
  state.head = { seq: entry.seq, hash: entry.hash };
  switch (entry.type) {
    case 'ToolCallRecorded': {
      const { credits, at, actor, integrationId } = entry.body;
      if (credits === 0) return state;
      const month = monthOf(at);
      state.charged += credits;
      if (state.balance !== null) state.balance -= credits;
      add(state.userMonth, `${month}|${actor.id}`, credits);
      if (integrationId) add(state.integrationMonth, `${month}|${integrationId}`, credits);
      return state;
    }
    case 'CreditsGranted':
      state.granted += entry.body.amount;
      state.balance = (state.balance ?? 0) + entry.body.amount;
      return state;
    case 'CreditLimitSet': {
      const { scope, id, monthlyLimit } = entry.body;
      const limits = scope === 'user' ? state.userLimits : state.integrationLimits;
      if (monthlyLimit === null) limits.delete(id);
      else limits.set(id, monthlyLimit);
      return state;
    }
    case 'CreditPricesSet':
      state.prices = pricesOf(entry.body);
      return state;
    case 'WriteReverted':
      return state;
  }
}

function pricesOf(body: CreditPricesSetBody): PriceList {
  return { byKind: { ...DEFAULT_PRICES, ...body.byKind }, byTool: { ...DEFAULT_TOOL_PRICES, ...body.byTool } };
}

function add(map: Map<string, number>, key: string, amount: number): void {
  map.set(key, (map.get(key) ?? 0) + amount);
}

export interface Charge {
  readonly at: string;
  readonly actor: AuditActor;
  readonly integrationId: string | null;
  readonly integrationName?: string | null;
  readonly tool: string;
  readonly credits: number;
}

export const CREDIT_REFUSAL_CODES = ['INSUFFICIENT_CREDITS', 'USER_MONTHLY_LIMIT', 'INTEGRATION_MONTHLY_LIMIT'] as const;
export type CreditRefusalCode = (typeof CREDIT_REFUSAL_CODES)[number];

export interface CreditRefusal {
  readonly code: CreditRefusalCode;
  readonly message: string;
  readonly price: number;
  /** What is left: the organisation's balance, or the limit's remainder this month. */
  readonly available: number;
}

const HOW_TO_GET_MORE = 'an admin can add credits with `csmcp credits grant --amount N --reason "..."`, the admin API (POST /admin/api/credits/grants) or the admin console';

/** Null when the charge fits the balance and every limit; otherwise which one it breaks, in words. */
export function refuseCharge(state: LedgerState, charge: Charge): CreditRefusal | null {
  const price = charge.credits;
  if (price <= 0) return null;
  if (state.balance !== null && state.balance < price)
    return {
      code: 'INSUFFICIENT_CREDITS',
      price,
      available: state.balance,
      message: `${charge.tool} costs ${credits(price)} and the organisation has ${credits(state.balance)} left; nothing was done. To get more, ${HOW_TO_GET_MORE}`,
    };
  const month = monthOf(charge.at);
  const userLimit = state.userLimits.get(charge.actor.id);
  if (userLimit !== undefined) {
    const used = state.userMonth.get(`${month}|${charge.actor.id}`) ?? 0;
    if (used + price > userLimit)
      return {
        code: 'USER_MONTHLY_LIMIT',
        price,
        available: Math.max(0, userLimit - used),
        message: `${charge.tool} costs ${credits(price)}, and ${charge.actor.email ?? charge.actor.id} has used ${used} of a monthly limit of ${credits(userLimit)} in ${month}; nothing was done. The limit resets on the 1st (UTC); an admin can raise it with \`csmcp credits limit --user ${charge.actor.email ?? charge.actor.id} --monthly N\``,
      };
  }
  if (charge.integrationId) {
    const limit = state.integrationLimits.get(charge.integrationId);
    if (limit !== undefined) {
      const used = state.integrationMonth.get(`${month}|${charge.integrationId}`) ?? 0;
      if (used + price > limit)
        return {
          code: 'INTEGRATION_MONTHLY_LIMIT',
          price,
          available: Math.max(0, limit - used),
          message: `${charge.tool} costs ${credits(price)}, and the integration ${charge.integrationName ?? charge.integrationId} has used ${used} of its monthly limit of ${credits(limit)} in ${month}; nothing was done. The limit resets on the 1st (UTC); an admin can raise it with \`csmcp credits limit --integration ${charge.integrationId} --monthly N\``,
        };
    }
  }
  return null;
}

const credits = (n: number) => `${n} credit${n === 1 ? '' : 's'}`;
