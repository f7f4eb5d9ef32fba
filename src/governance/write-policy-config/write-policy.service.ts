import { Inject, Injectable } from '@nestjs/common';
import type { EventMetadataInput, EventStore, JsonObject } from '@csmcp/event-store';
import { EVENT_STORE } from '../../infrastructure/tokens';
import type { WriteCaller } from '../../customer-success/write/write-context';
import type { PolicyQuestion, PolicyRefusal, WritePolicyPort } from '../../customer-success/write/write-policy.port';
import { EventStorePolicyLookups } from '../../customer-success/write/policy-lookups';
import { DEFAULT_POLICY, evaluate, parsePolicyConfig, type PolicyConfig } from '../write-policy';

/** The admin's policy settings live in one stream; each change is an event (who, when, what). */
export const WRITE_POLICY_STREAM = 'write-policy';

/**
 * The write policy as the write pipeline sees it: the rules of src/governance/write-policy with the
 * admin's current configuration (DEFAULT_POLICY, PRODUCT.md's table, until an admin sets one) and
 * lookups that read the event streams.
 */
/** How long a process trusts the configuration it read; a change made elsewhere (the CLI) shows within this. */
const CONFIG_TTL_MS = 1_000;

@Injectable()
export class WritePolicyService implements WritePolicyPort {
  private current: PolicyConfig = DEFAULT_POLICY;
  private readAt = 0;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly lookups: EventStorePolicyLookups,
  ) {}

  async check(question: PolicyQuestion, caller: WriteCaller): Promise<PolicyRefusal | null> {
    const decision = await evaluate({ ...question, caller }, { config: await this.cachedConfig(), lookups: this.lookups });
    return decision.allowed ? null : decision.refusal;
  }

  /**
   * The configuration in force as this process last read it, at most CONFIG_TTL_MS old: for every
   * write and every tools/list. Reading the stream on every write cost a fifth of the write path's CPU.
   */
  async cachedConfig(): Promise<PolicyConfig> {
    if (Date.now() - this.readAt > CONFIG_TTL_MS) {
      this.current = await this.config();
      this.readAt = Date.now();
    }
    return this.current;
  }

  mayReopenCta(): boolean {
    return this.current.allowCtaReopen;
  }

  /** The configuration in force: the last one an admin set, or the defaults. */
  async config(): Promise<PolicyConfig> {
    const events = await this.store.readStream(WRITE_POLICY_STREAM);
    const last = events[events.length - 1];
    return last ? parsePolicyConfig(last.data.config) : DEFAULT_POLICY;
  }

  /** Checks and stores a new configuration; throws PolicyConfigError naming what is wrong. */
  async set(config: unknown, metadata: EventMetadataInput): Promise<PolicyConfig> {
    const parsed = parsePolicyConfig(config);
    await this.store.appendToStream(
      WRITE_POLICY_STREAM,
      [{ type: 'WritePolicyConfigured', data: { config: parsed as unknown as JsonObject } }],
      { expectedRevision: 'any', metadata },
    );
    this.current = parsed;
    this.readAt = Date.now();
    return parsed;
  }
}
