import { DEFAULT_POLICY, PolicyConfigError, WRITE_TOOLS, enabledWriteTools, mayReopenCta, needsConfirmation, parsePolicyConfig, toolAvailability } from './policy-config';

describe('policy configuration', () => {
  it('defaults to the table of PRODUCT.md: every MCP write on for admin and csm, off for viewer, no reopening', () => {
    expect(WRITE_TOOLS).toEqual([
      'create_cta',
      'update_cta',
      'create_cta_task',
      'create_success_plan',
      'update_success_plan',
      'create_timeline_activity',
      'update_timeline_activity',
    ]);
    for (const tool of WRITE_TOOLS) {
      expect(DEFAULT_POLICY.roles.admin[tool]).toBe(true);
      expect(DEFAULT_POLICY.roles.csm[tool]).toBe(true);
      expect(DEFAULT_POLICY.roles.viewer[tool]).toBe(false);
    }
    expect(DEFAULT_POLICY.integrations).toEqual({});
    expect(mayReopenCta(DEFAULT_POLICY)).toBe(false);
    expect(Object.isFrozen(DEFAULT_POLICY.roles.csm)).toBe(true);
  });

  it('lists the write tools a caller may use', () => {
    expect(enabledWriteTools(DEFAULT_POLICY, { role: 'csm', integrationId: 'claude' })).toEqual([...WRITE_TOOLS]);
    expect(enabledWriteTools(DEFAULT_POLICY, { role: 'viewer', integrationId: 'claude' })).toEqual([]);
    const config = parsePolicyConfig({ integrations: { copilot: { update_cta: false, update_success_plan: false } } });
    expect(enabledWriteTools(config, { role: 'admin', integrationId: 'copilot' })).toEqual([
      'create_cta',
      'create_cta_task',
      'create_success_plan',
      'create_timeline_activity',
      'update_timeline_activity',
    ]);
    expect(toolAvailability(config, 'update_cta', { role: 'admin', integrationId: 'copilot' })).toEqual({
      enabled: false,
      switchedOffBy: 'integration',
    });
  });

  describe('parsePolicyConfig', () => {
    it('fills in what an admin leaves out from the defaults', () => {
      expect(parsePolicyConfig({})).toEqual(DEFAULT_POLICY);
      const config = parsePolicyConfig({ roles: { viewer: { create_timeline_activity: true } }, allowCtaReopen: true });
      expect(config.roles.viewer).toEqual({ ...DEFAULT_POLICY.roles.viewer, create_timeline_activity: true });
      expect(config.roles.csm).toEqual(DEFAULT_POLICY.roles.csm);
      expect(config.allowCtaReopen).toBe(true);
    });

    it('reads which writes need the user\'s confirmation', () => {
      const config = parsePolicyConfig({ confirmWrites: { update_cta: true, create_cta: false } });
      expect(needsConfirmation(config, 'update_cta')).toBe(true);
      expect(needsConfirmation(config, 'create_cta')).toBe(false);
      expect(needsConfirmation(config, 'list_ctas')).toBe(false);
      expect(needsConfirmation(DEFAULT_POLICY, 'update_cta')).toBe(false);
    });

    it.each([
      [null, 'policy', 'policy must be an object'],
      [{ allowReopen: true }, 'allowReopen', 'allowReopen is not a policy setting; the settings are roles, integrations, allowCtaReopen, confirmWrites'],
      [{ roles: { guest: {} } }, 'roles.guest', 'roles.guest is not a role; the roles are admin, csm, viewer'],
      [
        { roles: { csm: { delete_cta: true } } },
        'roles.csm.delete_cta',
        'roles.csm.delete_cta is not a write tool; the write tools are create_cta, update_cta, create_cta_task, create_success_plan, update_success_plan, create_timeline_activity, update_timeline_activity',
      ],
      [{ roles: { csm: { create_cta: 'yes' } } }, 'roles.csm.create_cta', 'roles.csm.create_cta must be true or false'],
      [{ integrations: { claude: [] } }, 'integrations.claude', 'integrations.claude must be an object'],
      [{ allowCtaReopen: 1 }, 'allowCtaReopen', 'allowCtaReopen must be true or false'],
      [{ confirmWrites: { get_cta: true } }, 'confirmWrites.get_cta', expect.stringContaining('confirmWrites.get_cta is not a write tool')],
    ])('refuses %j, naming the field', (input, field, message) => {
      let error: unknown;
      try {
        parsePolicyConfig(input);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(PolicyConfigError);
      expect(error).toMatchObject({ code: 'INVALID_POLICY_CONFIG', field, message });
    });
  });
});
