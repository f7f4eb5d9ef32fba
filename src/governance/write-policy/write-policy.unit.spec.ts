import { inMemoryPolicyLookups } from './in-memory-policy-lookups';
import { admin, context, facts, personalCsm, request, viewer, withConfig } from './policy-spec.helpers';
import { WRITE_POLICY_RULES, evaluate } from './write-policy';
import type { PolicyLookups, WriteRequest } from './write-request';

describe('write policy', () => {
  it.each<[string, Partial<WriteRequest>]>([
    ['create_cta', { companyId: 'acme', relationshipId: 'acme-emea', ownerIds: ['u-anna'] }],
    ['create_cta (an objective of a plan)', { successPlanId: 'plan-acme' }],
    ['update_cta', { operation: 'update', entityId: 'cta-open', ownerIds: ['u-ben'], requestedCtaStatus: 'ClosedSuccess' }],
    ['create_cta_task', { entity: 'cta_task', ctaId: 'cta-open', companyId: undefined }],
    ['create_success_plan', { entity: 'success_plan', relationshipId: 'acme-emea' }],
    ['update_success_plan', { entity: 'success_plan', operation: 'update', entityId: 'plan-acme' }],
    ['create_timeline_activity', { entity: 'timeline_activity', contextKind: 'cta', contextId: 'cta-closed', ownerIds: [] }],
    ['update_timeline_activity', { entity: 'timeline_activity', operation: 'update', entityId: 'act-acme' }],
  ])('allows a csm to %s', async (_tool, overrides) => {
    await expect(evaluate(request(overrides), context())).resolves.toEqual({ allowed: true });
  });

  it('allows a personal-access caller to write to its own companies', async () => {
    await expect(evaluate(request({ caller: personalCsm }), context())).resolves.toEqual({ allowed: true });
  });

  it('reports the first refusal with the rule that made it', async () => {
    await expect(evaluate(request({ caller: viewer }), context())).resolves.toEqual({
      allowed: false,
      rule: 'role-can-write',
      refusal: {
        code: 'ROLE_CANNOT_WRITE',
        message:
          'Your role (viewer) cannot write through MCP: it has read access only. ' +
          'Ask an admin for a role that may write (csm), or to switch write tools on for your role',
      },
    });
  });

  it('what MCP may never do is refused whatever the role: a viewer deleting hears NO_DELETES', async () => {
    const decision = await evaluate(request({ caller: viewer, operation: 'delete', entityId: 'cta-open' }), context());
    expect(decision).toMatchObject({ allowed: false, rule: 'no-deletes', refusal: { code: 'NO_DELETES' } });
  });

  it('an admin cannot change company data either', async () => {
    const decision = await evaluate(request({ caller: admin, operation: 'update', entity: 'company', entityId: 'acme' }), context());
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'NO_COMPANY_UPDATES' } });
  });

  it('checks visibility before naming relationships, plans or CTAs of another book of business', async () => {
    const decision = await evaluate(
      request({ caller: personalCsm, companyId: 'globex', relationshipId: 'acme-emea', ownerIds: ['nobody'] }),
      context(),
    );
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'COMPANY_NOT_VISIBLE' } });
  });

  it('a switched-off tool is refused before any record is looked up', async () => {
    const lookups = spyingLookups();
    const config = withConfig(() => ({ integrations: { claude: { update_cta: false } } }));
    const decision = await evaluate(request({ operation: 'update', entityId: 'cta-x' }), context(config, lookups));
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'TOOL_DISABLED' } });
    expect(lookups.calls).toEqual([]);
  });

  it('reopening a closed CTA: refused by default, allowed when the admin allows it', async () => {
    const reopen = request({ operation: 'update', entityId: 'cta-closed', requestedCtaStatus: 'WorkInProgress' });
    await expect(evaluate(reopen, context())).resolves.toMatchObject({ allowed: false, refusal: { code: 'CTA_REOPEN_NOT_ALLOWED' } });
    await expect(evaluate(reopen, context(withConfig(() => ({ allowCtaReopen: true }))))).resolves.toEqual({ allowed: true });
  });

  it('a task on a closed CTA is refused', async () => {
    await expect(evaluate(request({ entity: 'cta_task', ctaId: 'cta-closed' }), context())).resolves.toMatchObject({
      allowed: false,
      refusal: { code: 'TASK_ON_CLOSED_CTA' },
    });
  });

  it('asks each distinct lookup once per evaluation', async () => {
    const lookups = spyingLookups();
    await evaluate(request({ caller: personalCsm, operation: 'update', entityId: 'cta-closed', requestedCtaStatus: 'New' }), context(undefined, lookups));
    expect(lookups.calls).toEqual(['findCta:cta-closed', 'companyExists:acme', 'canSeeCompany:acme', 'userExists:u-anna']);
  });

  it('runs its rules in the documented order', () => {
    expect(WRITE_POLICY_RULES.map(([name]) => name)).toEqual([
      'no-deletes',
      'no-admin-configuration',
      'no-company-updates',
      'no-scorecard-writes',
      'no-timeline-on-scorecard',
      'supported-operation',
      'role-can-write',
      'tool-enabled',
      'record-exists',
      'company-exists',
      'company-visible',
      'relationship-of-company',
      'success-plan-of-company',
      'cta-context-of-company',
      'owner-named-for-client',
      'owner-is-user',
      'cta-reopen',
      'task-on-open-cta',
    ]);
  });
});

function spyingLookups(): PolicyLookups & { calls: string[] } {
  const inner = inMemoryPolicyLookups(facts);
  const calls: string[] = [];
  const spy =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      calls.push(`${name}:${args.map((a) => (typeof a === 'string' ? a : '')).filter(Boolean).join(',')}`);
      return fn(...args);
    };
  return {
    calls,
    companyExists: spy('companyExists', inner.companyExists),
    companyOfRelationship: spy('companyOfRelationship', inner.companyOfRelationship),
    findCta: spy('findCta', inner.findCta),
    findSuccessPlan: spy('findSuccessPlan', inner.findSuccessPlan),
    findTimelineActivity: spy('findTimelineActivity', inner.findTimelineActivity),
    userExists: spy('userExists', inner.userExists),
    canSeeCompany: spy('canSeeCompany', inner.canSeeCompany),
  };
}
