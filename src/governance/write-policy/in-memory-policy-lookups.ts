import type { CtaStatus } from '../../customer-success/shared/values';
import type { PolicyCaller, PolicyLookups } from './write-request';

/** What the policy may need to know, as plain data: for specs, dry runs and tools without read models. */
export interface PolicyFacts {
  readonly companies: readonly string[];
  /** relationshipId → companyId */
  readonly relationships: Readonly<Record<string, string>>;
  readonly ctas: Readonly<Record<string, { companyId: string; status: CtaStatus }>>;
  readonly successPlans: Readonly<Record<string, { companyId: string }>>;
  readonly timelineActivities: Readonly<Record<string, { companyId: string }>>;
  readonly users: readonly string[];
  /** userId → the companies a personal-access caller may see. */
  readonly visibleCompanies: Readonly<Record<string, readonly string[]>>;
}

export function inMemoryPolicyLookups(facts: PolicyFacts): PolicyLookups {
  return {
    companyExists: async (companyId) => facts.companies.includes(companyId),
    companyOfRelationship: async (relationshipId) => facts.relationships[relationshipId] ?? null,
    findCta: async (ctaId) => facts.ctas[ctaId] ?? null,
    findSuccessPlan: async (id) => facts.successPlans[id] ?? null,
    findTimelineActivity: async (id) => facts.timelineActivities[id] ?? null,
    userExists: async (userId) => facts.users.includes(userId),
    canSeeCompany: async (caller: PolicyCaller, companyId) => (facts.visibleCompanies[caller.userId] ?? []).includes(companyId),
  };
}
