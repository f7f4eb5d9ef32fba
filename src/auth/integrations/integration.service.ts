import { Inject, Injectable } from '@nestjs/common';
import { ConcurrencyError, type EventStore } from '@csmcp/event-store';
import { adminMetadata, type AdminContext } from '../../customer-success/companies/commands/admin-context';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { clientSecretMatches, generateClientSecret, hashClientSecret, isWellFormedClientId, isWellFormedClientSecret, newClientId } from './client-credentials';
import type { Integration } from './integration';
import {
  integrationDecider,
  type IntegrationCommand,
  type IntegrationState,
  type RegisterIntegration,
  type UpdateIntegration,
} from './integration.decider';
import { IntegrationError } from './integration-error';
import {
  INTEGRATION_INDEX_STREAM,
  integrationStream,
  type IntegrationActor,
  type IntegrationEvent,
  type IntegrationFieldChange,
  type IntegrationIndexed,
} from './integration.events';

/**
 * How long a rotated-out secret keeps working: a day, so the admin can paste the new secret into
 * ChatGPT, Claude or Copilot Studio without a window where sign-ins fail. `--now` skips it (a leak).
 */
export const SECRET_ROTATION_GRACE_MS = 24 * 3_600_000;
/** How long a process trusts what it read of an integration: a change made elsewhere shows within this. */
export const INTEGRATION_CACHE_MS = 1_000;
/** Bounds the cache, so a flood of distinct client ids cannot grow memory. */
export const INTEGRATION_CACHE_ENTRIES = 10_000;
const LIST_READ_CONCURRENCY = 16;
const APPEND_ATTEMPTS = 3;

export interface RegisterIntegrationRequest {
  readonly name: string;
  /** chatgpt, claude, copilot_studio or custom: fills in the connector's known callback URLs. */
  readonly preset: string;
  /** Added to the preset's callback URLs. */
  readonly redirectUris?: readonly string[];
  /** "cs:read cs:write" (spaces or commas) or a list. Default cs:read cs:write. */
  readonly scopes?: string | readonly string[];
  /** personal (default) or shared; fixed once created. */
  readonly accessContext?: string;
  /** Default authorization_code refresh_token. */
  readonly grantTypes?: string | readonly string[];
  /** A public client: no secret, token endpoint auth method none (PKCE alone protects the code). */
  readonly public?: boolean;
  /** client_secret_basic (default) or client_secret_post; none = public. */
  readonly tokenEndpointAuthMethod?: string;
  readonly ipAllowList?: readonly string[];
}

export interface UpdateIntegrationRequest {
  readonly name?: string;
  /** Replaces every redirect URI. */
  readonly redirectUris?: readonly string[];
  readonly addRedirectUris?: readonly string[];
  readonly removeRedirectUris?: readonly string[];
  readonly scopes?: string | readonly string[];
  /** Refused unless unchanged: the access context is fixed once created. */
  readonly accessContext?: string;
  readonly grantTypes?: string | readonly string[];
  readonly tokenEndpointAuthMethod?: string;
  /** Replaces the whole list; [] allows every address again. */
  readonly ipAllowList?: readonly string[];
}

export interface RegisteredIntegration {
  readonly integration: Integration;
  /** Shown once, never stored; null for a public client. */
  readonly clientSecret: string | null;
}

export interface RotatedSecret {
  readonly integration: Integration;
  /** Shown once, never stored. */
  readonly clientSecret: string;
  /** The secrets valid before keep working until then (the rotation's time with `immediately`). */
  readonly previousSecretsValidUntil: string;
}

export type ClientSecretCheck =
  | { readonly ok: true; readonly integration: Integration }
  | { readonly ok: false; readonly reason: 'unknown_client' | 'disabled' | 'public_client' | 'wrong_secret' };

type Existing = Extract<IntegrationState, { exists: true }>;
interface CacheEntry {
  readonly state: IntegrationState;
  readonly until: number;
}

/**
 * The integrations registry: the OAuth clients admins register (the CLI now, the admin API later),
 * and what the authorization server asks of them (get, verifyClientSecret). Every read goes to the
 * integration's own stream (kept ≤ 1 s per process), so the CLI and the server agree at once.
 */
@Injectable()
export class IntegrationService {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<IntegrationState>>();
  /** The clock for secret validity and the cache, replaceable in tests. Writes take AdminContext.now. */
  now: () => number = Date.now;

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** Throws IntegrationError saying what was wrong and what is allowed. */
  async register(request: RegisterIntegrationRequest, context: AdminContext): Promise<RegisteredIntegration> {
    const authMethod = publicOrMethod(request);
    const clientSecret = authMethod === 'none' ? null : generateClientSecret();
    const clientId = newClientId();
    const command: RegisterIntegration = {
      type: 'RegisterIntegration',
      data: {
        clientId,
        preset: request.preset,
        name: request.name,
        redirectUris: request.redirectUris,
        scopes: words(request.scopes),
        accessContext: request.accessContext,
        grantTypes: words(request.grantTypes),
        tokenEndpointAuthMethod: authMethod,
        ipAllowList: request.ipAllowList,
        secretHash: clientSecret === null ? null : hashClientSecret(clientSecret),
      },
      metadata: this.commandMetadata(context),
    };
    // Decided before anything is written, so a refused registration leaves no index entry.
    const events = integrationDecider.decide(command, integrationDecider.initialState());
    const metadata = adminMetadata(context);
    const indexed: IntegrationIndexed = { type: 'IntegrationIndexed', data: { clientId } };
    await this.store.appendToStream(INTEGRATION_INDEX_STREAM, [indexed], { expectedRevision: 'any', metadata });
    await this.store.appendToStream(integrationStream(clientId), events, { expectedRevision: 'no_stream', metadata });
    const state = events.reduce(integrationDecider.evolve, integrationDecider.initialState()) as Existing;
    this.cache.delete(clientId);
    return { integration: this.view(state), clientSecret };
  }

  async update(clientId: string, request: UpdateIntegrationRequest, context: AdminContext): Promise<{ integration: Integration; changes: IntegrationFieldChange[] }> {
    const { state, events } = await this.execute(clientId, context, (metadata): UpdateIntegration => ({
      type: 'UpdateIntegration',
      data: {
        clientId,
        name: request.name,
        redirectUris: request.redirectUris,
        addRedirectUris: request.addRedirectUris,
        removeRedirectUris: request.removeRedirectUris,
        scopes: words(request.scopes),
        accessContext: request.accessContext,
        grantTypes: words(request.grantTypes),
        tokenEndpointAuthMethod: request.tokenEndpointAuthMethod,
        ipAllowList: request.ipAllowList,
      },
      metadata,
    }));
    const changes = events.flatMap((e) => (e.type === 'IntegrationUpdated' ? e.data.changes : []));
    return { integration: this.view(state), changes };
  }

  /** A new secret, shown once; the old ones keep working for SECRET_ROTATION_GRACE_MS, or stop at once with `immediately`. */
  async rotateSecret(clientId: string, options: { immediately?: boolean }, context: AdminContext): Promise<RotatedSecret> {
    const clientSecret = generateClientSecret();
    const { state, events } = await this.execute(clientId, context, (metadata) => ({
      type: 'RotateIntegrationSecret',
      data: { clientId, secretHash: hashClientSecret(clientSecret), graceMs: options.immediately ? 0 : SECRET_ROTATION_GRACE_MS },
      metadata,
    }));
    const rotated = events.find((e) => e.type === 'IntegrationSecretRotated')!;
    return { integration: this.view(state), clientSecret, previousSecretsValidUntil: rotated.data.previousSecretsValidUntil };
  }

  /** A disabled integration's secret no longer verifies and nobody can sign in through it; disabling twice changes nothing. */
  async disable(clientId: string, context: AdminContext): Promise<{ integration: Integration; changed: boolean }> {
    const { state, events } = await this.execute(clientId, context, (metadata) => ({ type: 'DisableIntegration', data: { clientId }, metadata }));
    return { integration: this.view(state), changed: events.length > 0 };
  }

  async enable(clientId: string, context: AdminContext): Promise<{ integration: Integration; changed: boolean }> {
    const { state, events } = await this.execute(clientId, context, (metadata) => ({ type: 'EnableIntegration', data: { clientId }, metadata }));
    return { integration: this.view(state), changed: events.length > 0 };
  }

  /** The integration with this client id (enabled or not), or null. */
  async get(clientId: string): Promise<Integration | null> {
    const state = await this.cachedState(clientId);
    return state.exists ? this.view(state) : null;
  }

  /** Every integration, oldest first. Never a secret or a secret's hash. */
  async list(): Promise<Integration[]> {
    const index = (await this.store.readStream(INTEGRATION_INDEX_STREAM)) as unknown as IntegrationIndexed[];
    const clientIds = [...new Set(index.filter((e) => e.type === 'IntegrationIndexed').map((e) => e.data.clientId))];
    const integrations: Integration[] = [];
    for (let i = 0; i < clientIds.length; i += LIST_READ_CONCURRENCY) {
      const states = await Promise.all(clientIds.slice(i, i + LIST_READ_CONCURRENCY).map((id) => this.readState(id)));
      // An entry without an integration: the registration stopped in between and never worked.
      for (const state of states) if (state.exists) integrations.push(this.view(state));
    }
    return integrations.sort((a, b) => a.registeredAt.localeCompare(b.registeredAt) || a.clientId.localeCompare(b.clientId));
  }

  /** The integration, when `secret` is one of its valid secrets and it is enabled; else null. */
  async verifyClientSecret(clientId: string, secret: string): Promise<Integration | null> {
    const check = await this.checkClientSecret(clientId, secret);
    return check.ok ? check.integration : null;
  }

  /** As verifyClientSecret, with the reason of a refusal (for logs; never tell the client which one). */
  async checkClientSecret(clientId: string, secret: string): Promise<ClientSecretCheck> {
    const state = await this.cachedState(clientId);
    if (!state.exists) return { ok: false, reason: 'unknown_client' };
    if (state.settings.tokenEndpointAuthMethod === 'none') return { ok: false, reason: 'public_client' };
    if (!state.enabled) return { ok: false, reason: 'disabled' };
    if (!isWellFormedClientSecret(secret)) return { ok: false, reason: 'wrong_secret' };
    const now = this.now();
    const matched = state.secrets.some((s) => (s.validUntil === null || Date.parse(s.validUntil) > now) && clientSecretMatches(secret, s.hash));
    return matched ? { ok: true, integration: this.view(state) } : { ok: false, reason: 'wrong_secret' };
  }

  /** Drops what this process knows of an integration. */
  forget(clientId: string): void {
    this.cache.delete(clientId);
  }

  /** Read, decide, append at the revision read; a concurrent change is retried on fresh state. */
  private async execute(
    clientId: string,
    context: AdminContext,
    command: (metadata: RegisterIntegration['metadata']) => Exclude<IntegrationCommand, RegisterIntegration>,
  ): Promise<{ state: Existing; events: IntegrationEvent[] }> {
    const id = clientId.trim();
    if (!isWellFormedClientId(id)) throw notFound(clientId);
    for (let attempt = 1; ; attempt++) {
      const recorded = await this.store.readStream(integrationStream(id));
      const state = recorded.reduce((s, e) => integrationDecider.evolve(s, e as unknown as IntegrationEvent), integrationDecider.initialState());
      const events = integrationDecider.decide(command(this.commandMetadata(context)), state);
      const after = events.reduce(integrationDecider.evolve, state) as Existing;
      if (events.length === 0) return { state: after, events };
      try {
        await this.store.appendToStream(integrationStream(id), events, { expectedRevision: recorded[recorded.length - 1].revision, metadata: adminMetadata(context) });
      } catch (error) {
        if (error instanceof ConcurrencyError && attempt < APPEND_ATTEMPTS) continue;
        throw error;
      }
      this.cache.delete(id);
      return { state: after, events };
    }
  }

  private commandMetadata(context: AdminContext): RegisterIntegration['metadata'] {
    const { actor } = context;
    const by: IntegrationActor = actor.type === 'user' ? { type: 'user', id: actor.id, email: actor.email } : { type: 'system', id: actor.id, email: null };
    return { now: (context.now ?? new Date(this.now())).toISOString(), by };
  }

  private async cachedState(clientId: string): Promise<IntegrationState> {
    // Not an id this registry hands out: no read, no cache entry (a flood of junk ids costs nothing).
    if (!isWellFormedClientId(clientId)) return integrationDecider.initialState();
    const cached = this.cache.get(clientId);
    if (cached && cached.until > this.now()) return cached.state;
    let pending = this.inflight.get(clientId);
    if (!pending) {
      pending = this.readState(clientId)
        .then((state) => {
          if (this.cache.size >= INTEGRATION_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
          this.cache.set(clientId, { state, until: this.now() + INTEGRATION_CACHE_MS });
          return state;
        })
        .finally(() => this.inflight.delete(clientId));
      this.inflight.set(clientId, pending);
    }
    return pending;
  }

  private async readState(clientId: string): Promise<IntegrationState> {
    const recorded = await this.store.readStream(integrationStream(clientId));
    return recorded.reduce((s, e) => integrationDecider.evolve(s, e as unknown as IntegrationEvent), integrationDecider.initialState());
  }

  private view(state: Existing): Integration {
    const now = this.now();
    return {
      clientId: state.clientId,
      preset: state.preset,
      ...state.settings,
      confidential: state.settings.tokenEndpointAuthMethod !== 'none',
      enabled: state.enabled,
      registeredAt: state.registeredAt,
      updatedAt: state.updatedAt,
      secrets: state.secrets.filter((s) => s.validUntil === null || Date.parse(s.validUntil) > now).map((s) => ({ issuedAt: s.issuedAt, validUntil: s.validUntil })),
    };
  }
}

function notFound(clientId: string): IntegrationError {
  return new IntegrationError('INTEGRATION_NOT_FOUND', `no integration has client id ${clientId}; csmcp integrations list shows them`, 'client_id');
}

/** "cs:read cs:write" or "cs:read,cs:write" into words; a list as is; undefined stays undefined (the default applies). */
function words(value: string | readonly string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value.split(/[\s,]+/).filter((w) => w !== '') : [...value];
}

function publicOrMethod(request: RegisterIntegrationRequest): string | undefined {
  if (!request.public) return request.tokenEndpointAuthMethod;
  if (request.tokenEndpointAuthMethod !== undefined && request.tokenEndpointAuthMethod !== 'none')
    throw new IntegrationError(
      'VALIDATION',
      `a public client authenticates with no secret (auth method none), not ${request.tokenEndpointAuthMethod}; leave out --public or the auth method`,
      'token_endpoint_auth_method',
    );
  return 'none';
}
