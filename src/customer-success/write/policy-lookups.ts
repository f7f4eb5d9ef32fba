import { Inject, Injectable } from '@nestjs/common';
import type { EventStore, RecordedEvent } from '@csmcp/event-store';
import type { PolicyCaller, PolicyLookups } from '../../governance/write-policy/write-request';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { userStream } from '../../users/user.events';
import { companyStream, relationshipStream } from '../companies/company.events';
import { ctaDecider } from '../ctas/cta.decider';
import type { CtaEvent } from '../ctas/cta.events';
import { ctaStreamName as ctaStream } from '../ctas/cta.events';
import { foldEvents } from '../shared/decider';
import type { CtaStatus } from '../shared/values';
import { successPlanStreamName } from '../success-plans/success-plan.events';
import { timelineActivityStreamName } from '../timeline/timeline-activity.events';

/**
 * What the write policy needs to know about the world, read from the event streams themselves
 * rather than from read models: a write made a moment ago (a CTA, then its task) is already there,
 * however far projections lag.
 */
@Injectable()
export class EventStorePolicyLookups implements PolicyLookups {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async companyExists(companyId: string): Promise<boolean> {
    return (await this.first(companyStream(companyId))) !== null;
  }

  /** The company's owner after every import and change; undefined when the company does not exist. */
  async companyOwner(companyId: string): Promise<string | null | undefined> {
    const events = await this.store.readStream(companyStream(companyId));
    if (events.length === 0) return undefined;
    let owner: string | null = null;
    for (const e of events) {
      if (e.type === 'CompanyImported') owner = (e.data.ownerId as string | null) ?? null;
      if (e.type === 'CompanyProfileChanged')
        for (const change of e.data.changes as Array<{ field: string; to: unknown }>)
          if (change.field === 'ownerId') owner = (change.to as string | null) ?? null;
    }
    return owner;
  }

  /** The company a relationship belongs to; null when the relationship does not exist. */
  async companyOfRelationship(relationshipId: string): Promise<string | null> {
    const first = await this.first(relationshipStream(relationshipId));
    return first ? String(first.data.companyId) : null;
  }

  async userExists(userId: string): Promise<boolean> {
    return (await this.first(userStream(userId))) !== null;
  }

  /** The CTA's company and status; null when it does not exist. */
  async findCta(ctaId: string): Promise<{ companyId: string; status: CtaStatus } | null> {
    const events = await this.store.readStream(ctaStream(ctaId));
    const state = foldEvents(ctaDecider, events as unknown as CtaEvent[]);
    return state.exists ? { companyId: state.cta.companyId, status: state.cta.status } : null;
  }

  async findSuccessPlan(successPlanId: string): Promise<{ companyId: string } | null> {
    const first = await this.first(successPlanStreamName(successPlanId));
    return first ? { companyId: String(first.data.companyId) } : null;
  }

  async findTimelineActivity(activityId: string): Promise<{ companyId: string } | null> {
    const first = await this.first(timelineActivityStreamName(activityId));
    return first ? { companyId: String(first.data.companyId) } : null;
  }

  /** Shared context sees everything; personal context only the companies of the owners it may see. */
  async canSeeCompany(caller: PolicyCaller & { visibleOwnerIds?: readonly string[] | null }, companyId: string): Promise<boolean> {
    if (caller.accessContext === 'shared' || caller.visibleOwnerIds === null) return true;
    // A personal caller without a list of visible owners sees nothing.
    if (caller.visibleOwnerIds === undefined) return false;
    const owner = await this.companyOwner(companyId);
    return owner !== undefined && owner !== null && caller.visibleOwnerIds.includes(owner);
  }

  private async first(streamName: string): Promise<RecordedEvent | null> {
    const [event] = await this.store.readStream(streamName, { maxCount: 1 });
    return event ?? null;
  }
}
