/** Shared by the write-policy specs: one small book of business and request builders. No test-runner imports. */
import { DEFAULT_POLICY, type PolicyConfig } from './policy-config';
import { inMemoryPolicyLookups, type PolicyFacts } from './in-memory-policy-lookups';
import type { PolicyCaller, PolicyContext, PolicyLookups, PolicyRefusal, WritePolicyRule, WriteRequest } from './write-request';

export const facts: PolicyFacts = {
  companies: ['acme', 'globex'],
  relationships: { 'acme-emea': 'acme', 'globex-us': 'globex' },
  ctas: {
    'cta-open': { companyId: 'acme', status: 'WorkInProgress' },
    'cta-closed': { companyId: 'acme', status: 'ClosedLost' },
    'cta-globex': { companyId: 'globex', status: 'New' },
  },
  successPlans: { 'plan-acme': { companyId: 'acme' }, 'plan-globex': { companyId: 'globex' } },
  timelineActivities: { 'act-acme': { companyId: 'acme' }, 'act-globex': { companyId: 'globex' } },
  users: ['u-anna', 'u-ben', 'u-vera'],
  visibleCompanies: { 'u-anna': ['acme'] },
};

export const csm: PolicyCaller = { userId: 'u-anna', role: 'csm', accessContext: 'shared', integrationId: 'claude' };
export const personalCsm: PolicyCaller = { ...csm, accessContext: 'personal', integrationId: null };
export const viewer: PolicyCaller = { userId: 'u-vera', role: 'viewer', accessContext: 'shared', integrationId: 'claude' };
export const admin: PolicyCaller = { userId: 'u-ben', role: 'admin', accessContext: 'shared', integrationId: 'copilot' };
/** A machine client (client credentials): its client id for a user id, the csm role, shared access. */
export const machineClient: PolicyCaller = { actor: 'client', userId: 'csmcp_int_sync', role: 'csm', accessContext: 'shared', integrationId: 'csmcp_int_sync' };

/** A create_cta on acme by a csm unless told otherwise. */
export function request(overrides: Partial<WriteRequest> = {}): WriteRequest {
  return {
    toolName: 'create_cta',
    operation: 'create',
    entity: 'cta',
    caller: csm,
    companyId: 'acme',
    ownerIds: ['u-anna'],
    ...overrides,
  };
}

export function context(config: PolicyConfig = DEFAULT_POLICY, lookups: PolicyLookups = inMemoryPolicyLookups(facts)): PolicyContext {
  return { config, lookups };
}

export function withConfig(change: (config: PolicyConfig) => Partial<PolicyConfig>): PolicyConfig {
  return { ...DEFAULT_POLICY, ...change(DEFAULT_POLICY) };
}

/** Runs one rule; sync and async rules alike come back as a promise. */
export async function check(rule: WritePolicyRule, req: WriteRequest, ctx: PolicyContext = context()): Promise<PolicyRefusal | null> {
  return rule(req, ctx);
}
