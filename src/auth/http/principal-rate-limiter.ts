import { describeRate, RateLimiter, type Rate } from '../../net/rate-limit';
import type { Principal } from '../principal';

export interface PrincipalRateLimits {
  /** Per user: every token of theirs (personal access tokens, OAuth tokens through any integration). */
  readonly perUser: Rate | null;
  /** Per integration: the OAuth client a token was issued to, a machine client included. */
  readonly perIntegration: Rate | null;
}

export interface RateLimited {
  readonly retryAfterSeconds: number;
  /** Says whose budget ran out and how big it is; never a token. */
  readonly message: string;
}

/**
 * The request budgets of authenticated callers (RATE_LIMIT_PER_USER, RATE_LIMIT_PER_INTEGRATION), one
 * instance per process shared by every door that authenticates (MCP and the admin API): several
 * instances each have their own budgets.
 */
export class PrincipalRateLimiter {
  private readonly limiter: RateLimiter;

  constructor(
    private readonly limits: PrincipalRateLimits,
    clock: () => number = Date.now,
  ) {
    this.limiter = new RateLimiter(clock);
  }

  /** A limiter when any limit is set, else null (nothing to count). */
  static from(limits: PrincipalRateLimits | null | undefined, clock?: () => number): PrincipalRateLimiter | null {
    return limits && (limits.perUser || limits.perIntegration) ? new PrincipalRateLimiter(limits, clock) : null;
  }

  /** Counts one request of the principal's; null = let it through, else why not and when to retry. */
  check(principal: Principal): RateLimited | null {
    const buckets: Array<{ key: string; rate: Rate }> = [];
    // A machine client is its integration: it has no user budget.
    if (this.limits.perUser && principal.actor !== 'client') buckets.push({ key: `user:${principal.userId}`, rate: this.limits.perUser });
    if (this.limits.perIntegration && principal.integrationId !== null) buckets.push({ key: `integration:${principal.integrationId}`, rate: this.limits.perIntegration });
    if (buckets.length === 0) return null;
    const decision = this.limiter.take(buckets);
    if (decision.allowed) return null;
    const whose = decision.key.startsWith('user:')
      ? `${principal.email ?? principal.name}: the limit is ${describeRate(decision.rate)} per user (RATE_LIMIT_PER_USER)`
      : `the integration ${principal.integrationName ?? principal.integrationId}: the limit is ${describeRate(decision.rate)} per integration (RATE_LIMIT_PER_INTEGRATION)`;
    return { retryAfterSeconds: decision.retryAfterSeconds, message: `Too many requests for ${whose}; retry in ${decision.retryAfterSeconds} s` };
  }
}
