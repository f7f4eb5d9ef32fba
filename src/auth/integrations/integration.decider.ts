import type { Decider } from '../../customer-success/shared/decider';
import { commandNow } from '../../customer-success/shared/validation';
import { SCOPES, type Scope } from '../principal';
import { checkIpAllowList } from './ip-allow-list';
import {
  ACCESS_CONTEXTS,
  GRANT_TYPES,
  INTEGRATION_PRESETS,
  TOKEN_ENDPOINT_AUTH_METHODS,
  type AccessContext,
  type GrantType,
  type IntegrationPreset,
  type IntegrationSettings,
  type TokenEndpointAuthMethod,
} from './integration';
import { IntegrationError } from './integration-error';
import {
  UPDATABLE_FIELDS,
  type IntegrationActor,
  type IntegrationDisabled,
  type IntegrationEnabled,
  type IntegrationEvent,
  type IntegrationFieldChange,
  type IntegrationRegistered,
  type IntegrationSecretRotated,
  type IntegrationUpdated,
} from './integration.events';
import { PRESETS } from './presets';
import { checkRedirectUris } from './redirect-uri';

/**
 * The integration aggregate (stream integration-<clientId>): pure, no I/O, no clock (the time and the
 * admin come in as command metadata). Input comes as the admin typed it (unknown) and is checked here,
 * so the CLI, the admin API and tests get the same refusals.
 */

export const NAME_MAX_LENGTH = 100;
export const DEFAULT_SCOPES: readonly Scope[] = ['cs:read', 'cs:write'];
export const DEFAULT_GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token'];
export const DEFAULT_AUTH_METHOD: TokenEndpointAuthMethod = 'client_secret_basic';

export interface IntegrationCommandMetadata {
  /** ISO 8601 date-time. */
  readonly now: string;
  readonly by: IntegrationActor;
}

type Command<Type extends string, Data> = Readonly<{ type: Type; data: Data; metadata: IntegrationCommandMetadata }>;

export type RegisterIntegration = Command<
  'RegisterIntegration',
  {
    clientId: string;
    preset: unknown;
    name: unknown;
    /** Added to the preset's callback URLs. */
    redirectUris?: readonly unknown[];
    scopes?: readonly unknown[];
    accessContext?: unknown;
    grantTypes?: readonly unknown[];
    tokenEndpointAuthMethod?: unknown;
    ipAllowList?: readonly unknown[];
    /** SHA-256 of the new secret; null exactly when the client is public (auth method none). */
    secretHash: string | null;
  }
>;

export type UpdateIntegration = Command<
  'UpdateIntegration',
  {
    clientId: string;
    name?: unknown;
    /** Replaces every redirect URI. */
    redirectUris?: readonly unknown[];
    addRedirectUris?: readonly unknown[];
    removeRedirectUris?: readonly unknown[];
    scopes?: readonly unknown[];
    accessContext?: unknown;
    grantTypes?: readonly unknown[];
    tokenEndpointAuthMethod?: unknown;
    /** Replaces the whole list; [] allows every address. */
    ipAllowList?: readonly unknown[];
  }
>;

export type RotateIntegrationSecret = Command<
  'RotateIntegrationSecret',
  {
    clientId: string;
    secretHash: string;
    /** How long the secrets valid until now keep working: 0 = stop at once. */
    graceMs: number;
  }
>;

export type DisableIntegration = Command<'DisableIntegration', { clientId: string }>;
export type EnableIntegration = Command<'EnableIntegration', { clientId: string }>;

export type IntegrationCommand = RegisterIntegration | UpdateIntegration | RotateIntegrationSecret | DisableIntegration | EnableIntegration;

export interface StoredSecret {
  readonly hash: string;
  readonly issuedAt: string;
  /** null: until the next rotation. */
  readonly validUntil: string | null;
}

export type IntegrationState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly clientId: string;
      readonly preset: IntegrationPreset;
      readonly settings: IntegrationSettings;
      readonly secrets: readonly StoredSecret[];
      readonly enabled: boolean;
      readonly registeredAt: string;
      readonly updatedAt: string;
    };

export const initialIntegrationState = (): IntegrationState => ({ exists: false });

export function evolveIntegration(state: IntegrationState, event: IntegrationEvent): IntegrationState {
  if (event.type === 'IntegrationRegistered') {
    const { clientId, preset, secretHash, registeredAt, registeredBy: _by, ...settings } = event.data;
    return {
      exists: true,
      clientId,
      preset,
      settings,
      secrets: secretHash === null ? [] : [{ hash: secretHash, issuedAt: registeredAt, validUntil: null }],
      enabled: true,
      registeredAt,
      updatedAt: registeredAt,
    };
  }
  if (!state.exists) return state;
  switch (event.type) {
    case 'IntegrationSecretRotated': {
      const until = Date.parse(event.data.previousSecretsValidUntil);
      const rotatedAt = Date.parse(event.data.rotatedAt);
      const previous = state.secrets
        .map((s) => (s.validUntil === null || Date.parse(s.validUntil) > until ? { ...s, validUntil: event.data.previousSecretsValidUntil } : s))
        // Secrets already dead at the rotation are of no more use: the state stays small.
        .filter((s) => Date.parse(s.validUntil!) > rotatedAt);
      return { ...state, secrets: [...previous, { hash: event.data.secretHash, issuedAt: event.data.rotatedAt, validUntil: null }], updatedAt: event.data.rotatedAt };
    }
    case 'IntegrationUpdated': {
      const settings: Record<string, unknown> = { ...state.settings };
      for (const change of event.data.changes) settings[change.field] = change.to;
      return { ...state, settings: settings as unknown as IntegrationSettings, updatedAt: event.data.updatedAt };
    }
    case 'IntegrationDisabled':
      return { ...state, enabled: false, updatedAt: event.data.disabledAt };
    case 'IntegrationEnabled':
      return { ...state, enabled: true, updatedAt: event.data.enabledAt };
    default:
      return state;
  }
}

export function decideIntegration(command: IntegrationCommand, state: IntegrationState): IntegrationEvent[] {
  const now = commandNow(command.metadata).iso;
  const by = command.metadata.by;
  if (command.type === 'RegisterIntegration') return [register(command, state, now, by)];
  if (!state.exists)
    throw new IntegrationError('INTEGRATION_NOT_FOUND', `no integration has client id ${command.data.clientId}; csmcp integrations list shows them`, 'client_id');
  switch (command.type) {
    case 'UpdateIntegration':
      return update(command, state, now, by);
    case 'RotateIntegrationSecret': {
      if (state.settings.tokenEndpointAuthMethod === 'none')
        throw new IntegrationError(
          'PUBLIC_CLIENT_HAS_NO_SECRET',
          `integration ${state.clientId} is a public client (token endpoint auth method none): it has no secret to rotate; register a confidential integration if the connector can keep a secret`,
        );
      const grace = command.data.graceMs;
      if (!Number.isInteger(grace) || grace < 0) throw new IntegrationError('VALIDATION', `graceMs must be a whole number of milliseconds, 0 or more; got ${grace}`, 'grace');
      const rotated: IntegrationSecretRotated = {
        type: 'IntegrationSecretRotated',
        data: {
          clientId: state.clientId,
          secretHash: command.data.secretHash,
          rotatedAt: now,
          previousSecretsValidUntil: new Date(Date.parse(now) + grace).toISOString(),
          rotatedBy: by,
        },
      };
      return [rotated];
    }
    case 'DisableIntegration': {
      if (!state.enabled) return [];
      const disabled: IntegrationDisabled = { type: 'IntegrationDisabled', data: { clientId: state.clientId, disabledAt: now, disabledBy: by } };
      return [disabled];
    }
    case 'EnableIntegration': {
      if (state.enabled) return [];
      const enabled: IntegrationEnabled = { type: 'IntegrationEnabled', data: { clientId: state.clientId, enabledAt: now, enabledBy: by } };
      return [enabled];
    }
  }
}

export const integrationDecider: Decider<IntegrationState, IntegrationCommand, IntegrationEvent> = {
  decide: decideIntegration,
  evolve: evolveIntegration,
  initialState: initialIntegrationState,
};

function register(command: RegisterIntegration, state: IntegrationState, now: string, by: IntegrationActor): IntegrationRegistered {
  const { data } = command;
  if (state.exists) throw new IntegrationError('ALREADY_EXISTS', `an integration with client id ${data.clientId} already exists (${state.settings.name}); register with a new client id`);
  const preset = oneOf('preset', data.preset, INTEGRATION_PRESETS);
  const settings = checkSettings(
    {
      name: data.name,
      redirectUris: [...PRESETS[preset].redirectUris, ...(data.redirectUris ?? [])],
      scopes: data.scopes ?? DEFAULT_SCOPES,
      accessContext: data.accessContext ?? 'personal',
      grantTypes: data.grantTypes ?? DEFAULT_GRANT_TYPES,
      tokenEndpointAuthMethod: data.tokenEndpointAuthMethod ?? DEFAULT_AUTH_METHOD,
      ipAllowList: data.ipAllowList ?? [],
    },
    preset,
  );
  if ((settings.tokenEndpointAuthMethod === 'none') !== (data.secretHash === null))
    throw new IntegrationError('VALIDATION', 'a confidential client needs a secret hash and a public client (auth method none) must have none', 'secret');
  return { type: 'IntegrationRegistered', data: { clientId: data.clientId, preset, ...settings, secretHash: data.secretHash, registeredAt: now, registeredBy: by } };
}

function update(command: UpdateIntegration, state: Extract<IntegrationState, { exists: true }>, now: string, by: IntegrationActor): IntegrationUpdated[] {
  const { data } = command;
  const current = state.settings;
  if (data.redirectUris !== undefined && (data.addRedirectUris !== undefined || data.removeRedirectUris !== undefined))
    throw new IntegrationError('VALIDATION', 'give either the whole list of redirect URIs or URIs to add and remove, not both', 'redirect_uris');
  let redirectUris: readonly unknown[] = data.redirectUris ?? current.redirectUris;
  if (data.removeRedirectUris !== undefined) {
    const remove = checkRedirectUris(data.removeRedirectUris);
    const unknown = remove.filter((uri) => !current.redirectUris.includes(uri));
    if (unknown.length > 0)
      throw new IntegrationError(
        'INVALID_REDIRECT_URI',
        `${unknown.map((u) => JSON.stringify(u)).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not registered, so cannot be removed; registered: ${list(current.redirectUris)}`,
        'redirect_uris',
      );
    redirectUris = redirectUris.filter((uri) => !remove.includes(uri as string));
  }
  if (data.addRedirectUris !== undefined) redirectUris = [...redirectUris, ...data.addRedirectUris];
  const next = checkSettings(
    {
      name: data.name ?? current.name,
      redirectUris,
      scopes: data.scopes ?? current.scopes,
      accessContext: data.accessContext ?? current.accessContext,
      grantTypes: data.grantTypes ?? current.grantTypes,
      tokenEndpointAuthMethod: data.tokenEndpointAuthMethod ?? current.tokenEndpointAuthMethod,
      ipAllowList: data.ipAllowList ?? current.ipAllowList,
    },
    state.preset,
  );
  // Fixed once created (as the seeds' platforms do): users signed in to a personal integration never
  // agreed to the LLM seeing the whole organisation, and shared connectors would silently lose data.
  if (next.accessContext !== current.accessContext)
    throw new IntegrationError(
      'ACCESS_CONTEXT_FIXED',
      `the access context of integration ${state.clientId} is ${current.accessContext} and cannot be changed once created; register a new integration with --access ${next.accessContext} and disable this one`,
      'access_context',
    );
  // A public client has no secret to switch to; a confidential one would lose its secret's protection.
  if ((next.tokenEndpointAuthMethod === 'none') !== (current.tokenEndpointAuthMethod === 'none'))
    throw new IntegrationError(
      'CONFIDENTIALITY_FIXED',
      `integration ${state.clientId} is ${current.tokenEndpointAuthMethod === 'none' ? 'public' : 'confidential'} and stays so: its token endpoint auth method may change between client_secret_basic and client_secret_post only; register a new integration instead`,
      'token_endpoint_auth_method',
    );
  const changes: IntegrationFieldChange[] = [];
  for (const field of UPDATABLE_FIELDS) {
    const from = current[field];
    const to = next[field];
    if (JSON.stringify(from) !== JSON.stringify(to)) changes.push({ field, from, to });
  }
  if (changes.length === 0) return [];
  return [{ type: 'IntegrationUpdated', data: { clientId: state.clientId, changes, updatedAt: now, updatedBy: by } }];
}

/** Every setting checked together: some rules tie fields to each other. */
export function checkSettings(
  input: { name: unknown; redirectUris: readonly unknown[]; scopes: readonly unknown[]; accessContext: unknown; grantTypes: readonly unknown[]; tokenEndpointAuthMethod: unknown; ipAllowList: readonly unknown[] },
  preset: IntegrationPreset,
): IntegrationSettings {
  const name = checkName(input.name);
  const scopes = subsetOf('scopes', input.scopes, SCOPES, 'INVALID_SCOPE');
  const accessContext: AccessContext = oneOf('access_context', input.accessContext, ACCESS_CONTEXTS);
  const tokenEndpointAuthMethod: TokenEndpointAuthMethod = oneOf('token_endpoint_auth_method', input.tokenEndpointAuthMethod, TOKEN_ENDPOINT_AUTH_METHODS);
  const grantTypes = subsetOf('grant_types', input.grantTypes, GRANT_TYPES, 'INVALID_GRANT_TYPES');
  const redirectUris = checkRedirectUris(input.redirectUris);
  const ipAllowList = checkIpAllowList(input.ipAllowList);

  const grants = (g: GrantType) => grantTypes.includes(g);
  if (grants('refresh_token') && !grants('authorization_code'))
    throw new IntegrationError('INVALID_GRANT_TYPES', 'refresh_token needs authorization_code: refresh tokens are issued only to users who signed in', 'grant_types');
  if (grants('client_credentials') && accessContext !== 'shared')
    throw new IntegrationError(
      'INVALID_GRANT_TYPES',
      'client_credentials is only for shared-context machine clients (no user signs in, so there is no personal view); use --access shared or leave client_credentials out',
      'grant_types',
    );
  if (grants('client_credentials') && tokenEndpointAuthMethod === 'none')
    throw new IntegrationError('INVALID_GRANT_TYPES', 'client_credentials needs a confidential client: a public client has no secret to authenticate with', 'grant_types');
  if (grants('authorization_code') && redirectUris.length === 0 && !PRESETS[preset].redirectUriLater)
    throw new IntegrationError(
      'REDIRECT_URI_REQUIRED',
      `a ${PRESETS[preset].label} integration needs at least one redirect URI for authorization_code (${PRESETS[preset].redirectUriHint}); give it with --redirect-uri`,
      'redirect_uris',
    );
  if (!grants('authorization_code') && redirectUris.length > 0)
    throw new IntegrationError(
      'INVALID_GRANT_TYPES',
      'redirect URIs are used only by the authorization_code grant; add authorization_code or register no redirect URIs (a client_credentials-only client has none)',
      'grant_types',
    );
  return { name, redirectUris, scopes: scopes as Scope[], accessContext, grantTypes: grantTypes as GrantType[], tokenEndpointAuthMethod, ipAllowList };
}

// Control characters other than tab break logs, consent pages and CSV exports.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function checkName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new IntegrationError('VALIDATION', 'name is required: what users see on the consent page, e.g. "ChatGPT (sales team)"', 'name');
  const name = value.trim();
  if (name.length > NAME_MAX_LENGTH) throw new IntegrationError('VALIDATION', `name has ${name.length} characters; at most ${NAME_MAX_LENGTH} are allowed`, 'name');
  if (CONTROL.test(name)) throw new IntegrationError('VALIDATION', 'name must be one line without control characters', 'name');
  return name;
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new IntegrationError('VALIDATION', `${field} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value) ?? 'nothing'}`, field);
}

/** A non-empty subset, in the order of `allowed`. */
function subsetOf<T extends string>(field: string, values: readonly unknown[], allowed: readonly T[], code: 'INVALID_SCOPE' | 'INVALID_GRANT_TYPES'): T[] {
  if (values.length === 0) throw new IntegrationError(code, `${field} is empty: name one or more of ${allowed.join(', ')}`, field);
  const unknown = values.filter((v) => typeof v !== 'string' || !(allowed as readonly string[]).includes(v));
  if (unknown.length > 0)
    throw new IntegrationError(code, `${field}: unknown ${unknown.map((v) => JSON.stringify(v)).join(', ')}; allowed are ${allowed.join(', ')}`, field);
  return allowed.filter((a) => values.includes(a));
}

function list(values: readonly string[]): string {
  return values.length === 0 ? '(none)' : values.join(', ');
}
