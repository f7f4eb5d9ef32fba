/**
 * What an admin configures about MCP writes: which write tools are on, per role and per integration,
 * and whether closed CTAs may be reopened. DEFAULT_POLICY is the table of PRODUCT.md.
 */

/** The MCP write tools (names are part of the contract). */
export const WRITE_TOOLS = [
  'create_cta',
  'update_cta',
  'create_cta_task',
  'create_success_plan',
  'update_success_plan',
  'create_timeline_activity',
  'update_timeline_activity',
] as const;
export type WriteTool = (typeof WRITE_TOOLS)[number];

export const CALLER_ROLES = ['admin', 'csm', 'viewer'] as const;
export type CallerRole = (typeof CALLER_ROLES)[number];

export type ToolSwitches = Readonly<Record<WriteTool, boolean>>;

export interface PolicyConfig {
  /** The write tools each role may use. */
  readonly roles: Readonly<Record<CallerRole, ToolSwitches>>;
  /**
   * Per integration (OAuth client id): tools switched off for everyone connecting through it.
   * A tool is usable only when the caller's role allows it and the integration does not switch it
   * off; an integration cannot switch on what a role may not do. Absent = no restriction.
   */
  readonly integrations: Readonly<Record<string, Partial<ToolSwitches>>>;
  /** Whether MCP callers may move a closed CTA back to New or WorkInProgress. */
  readonly allowCtaReopen: boolean;
  /**
   * Write tools whose changes the user must confirm before they are written: through elicitation
   * when the client supports it, else with a preview and a single-use confirmation token.
   */
  readonly confirmWrites: Readonly<Partial<Record<WriteTool, boolean>>>;
}

const allTools = (on: boolean): ToolSwitches =>
  Object.fromEntries(WRITE_TOOLS.map((tool) => [tool, on])) as Record<WriteTool, boolean>;

/** PRODUCT.md: every listed MCP write on for admin and csm, off for viewer; no reopening. */
export const DEFAULT_POLICY: PolicyConfig = Object.freeze({
  roles: Object.freeze({ admin: Object.freeze(allTools(true)), csm: Object.freeze(allTools(true)), viewer: Object.freeze(allTools(false)) }),
  integrations: Object.freeze({}),
  allowCtaReopen: false,
  // LLM clients already ask before calling a write tool; an admin can add csmcp's own confirmation.
  confirmWrites: Object.freeze({}),
});

export type ToolAvailability = { enabled: true } | { enabled: false; switchedOffBy: 'role' | 'integration' };

export function toolAvailability(
  config: PolicyConfig,
  tool: WriteTool,
  caller: { role: CallerRole; integrationId: string | null },
): ToolAvailability {
  if (config.roles[caller.role]?.[tool] !== true) return { enabled: false, switchedOffBy: 'role' };
  if (caller.integrationId !== null && config.integrations[caller.integrationId]?.[tool] === false)
    return { enabled: false, switchedOffBy: 'integration' };
  return { enabled: true };
}

/** The write tools a caller may use: what an MCP server lists as write tools for this caller. */
export function enabledWriteTools(config: PolicyConfig, caller: { role: CallerRole; integrationId: string | null }): WriteTool[] {
  return WRITE_TOOLS.filter((tool) => toolAvailability(config, tool, caller).enabled);
}

/** Whether the user must confirm this tool's changes before they are written. */
export function needsConfirmation(config: PolicyConfig, tool: string): boolean {
  return (WRITE_TOOLS as readonly string[]).includes(tool) && config.confirmWrites[tool as WriteTool] === true;
}

/** The answer the CTA decider needs as `allowReopen`. */
export function mayReopenCta(config: PolicyConfig): boolean {
  return config.allowCtaReopen;
}

/**
 * Checks a configuration an admin submits (JSON) and returns it complete: roles left out get the
 * default switches, tools left out of a role keep the role's default. Throws PolicyConfigError
 * naming the field, what was wrong and what is allowed.
 */
export function parsePolicyConfig(value: unknown): PolicyConfig {
  const input = object('policy', value);
  for (const key of Object.keys(input))
    if (!['roles', 'integrations', 'allowCtaReopen', 'confirmWrites'].includes(key))
      throw new PolicyConfigError(key, 'is not a policy setting; the settings are roles, integrations, allowCtaReopen, confirmWrites');

  const rolesInput = input.roles === undefined ? {} : object('roles', input.roles);
  const roles = {} as Record<CallerRole, ToolSwitches>;
  for (const key of Object.keys(rolesInput))
    if (!(CALLER_ROLES as readonly string[]).includes(key))
      throw new PolicyConfigError(`roles.${key}`, `is not a role; the roles are ${CALLER_ROLES.join(', ')}`);
  for (const role of CALLER_ROLES)
    roles[role] = { ...DEFAULT_POLICY.roles[role], ...switches(`roles.${role}`, rolesInput[role] ?? {}) };

  const integrationsInput = input.integrations === undefined ? {} : object('integrations', input.integrations);
  const integrations: Record<string, Partial<ToolSwitches>> = {};
  for (const [id, entry] of Object.entries(integrationsInput)) integrations[id] = switches(`integrations.${id}`, entry);

  if (input.allowCtaReopen !== undefined && typeof input.allowCtaReopen !== 'boolean')
    throw new PolicyConfigError('allowCtaReopen', 'must be true or false');
  const confirmWrites = input.confirmWrites === undefined ? {} : switches('confirmWrites', input.confirmWrites);
  return { roles, integrations, allowCtaReopen: input.allowCtaReopen ?? DEFAULT_POLICY.allowCtaReopen, confirmWrites };
}

export class PolicyConfigError extends Error {
  readonly code = 'INVALID_POLICY_CONFIG' as const;
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field} ${problem}`);
    this.name = 'PolicyConfigError';
  }
}

function object(field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new PolicyConfigError(field, 'must be an object');
  return value as Record<string, unknown>;
}

function switches(field: string, value: unknown): Partial<Record<WriteTool, boolean>> {
  const result: Partial<Record<WriteTool, boolean>> = {};
  for (const [tool, on] of Object.entries(object(field, value))) {
    if (!(WRITE_TOOLS as readonly string[]).includes(tool))
      throw new PolicyConfigError(`${field}.${tool}`, `is not a write tool; the write tools are ${WRITE_TOOLS.join(', ')}`);
    if (typeof on !== 'boolean') throw new PolicyConfigError(`${field}.${tool}`, 'must be true or false');
    result[tool as WriteTool] = on;
  }
  return result;
}
