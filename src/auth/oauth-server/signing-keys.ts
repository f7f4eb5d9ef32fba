import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JSONWebKeySet, type JWK } from 'jose';
import { ConcurrencyError, type EventStore, type RecordedEvent } from '@csmcp/event-store';
import { adminMetadata, type AdminContext } from '../../customer-success/companies/commands/admin-context';
import { CLOCK_TOLERANCE_SECONDS } from '../jwt/jwt-access-token.verifier';
import type { OAuthStateStore } from './oauth-state.store';
import { REFRESH_REUSE_GRACE_MS, TTL } from './provider-configuration';
import {
  outOfUseFor,
  publishedKeys,
  signingKeyDecider,
  statusOf,
  type SigningKeyCommand,
  type SigningKeyCommandMetadata,
  type SigningKeyRecord,
  type SigningKeyState,
  type SigningKeyStatus,
} from './signing-key.decider';
import { SIGNING_KEYS_STREAM, signingKeyName, type SigningKeyActor, type SigningKeyEvent } from './signing-key.events';

/** What the provider signs with and seals its cookies with, at one version of the key set. */
export interface AuthorizationServerKeys {
  /** Changes whenever the published keys change (the revision of the lifecycle stream). */
  readonly version: number;
  /** The key new tokens are signed with. */
  readonly signingKid: string;
  /**
   * Private JWKS (ES256) for oidc-provider's `jwks`: the active key first (oidc-provider signs with
   * the first key that fits), then the previous ones, so they stay in its jwks_uri.
   */
  readonly privateJwks: { keys: JWK[] };
  /** The public half, for the resource server (and the jwks_uri, which the provider derives itself). */
  readonly publicJwks: JSONWebKeySet;
  /** The cookie key does not rotate here. */
  readonly cookieKeys: string[];
}

/** One key as `csmcp oauth keys list` shows it: never private material. */
export interface SigningKeyView {
  readonly kid: string;
  readonly alg: 'ES256';
  readonly status: SigningKeyStatus;
  readonly origin: SigningKeyRecord['origin'];
  readonly createdAt: string;
  readonly createdBy: SigningKeyActor;
  readonly rotatedOutAt: string | null;
  /** A previous key: when `retire-old` may retire it (its tokens have expired by then). */
  readonly retirableAt: string | null;
  /** A previous key: when it is retired automatically (OAUTH_SIGNING_KEY_RETIRE_AFTER); null when off. */
  readonly retiresAt: string | null;
  readonly retiredAt: string | null;
  readonly retiredBy: SigningKeyActor | null;
  readonly retireReason: SigningKeyRecord['retireReason'];
}

/** How stale a process's key set may be: a rotation or retirement made elsewhere shows within this. */
export const KEY_SET_MAX_AGE_MS = 5_000;
/** A token naming an unknown kid re-reads the key set at most this often (forged kids cannot hammer the database). */
export const UNKNOWN_KID_REFRESH_MS = 1_000;
/**
 * How long a rotated-out key stays published at least: a token signed with it just before the
 * rotation (or by an instance that has not seen the rotation yet) lives the access token lifetime,
 * plus the verifier's clock tolerance, plus the refresh grace window.
 */
export const MIN_PREVIOUS_KEY_MS = TTL.accessToken * 1000 + CLOCK_TOLERANCE_SECONDS * 1000 + KEY_SET_MAX_AGE_MS + REFRESH_REUSE_GRACE_MS;

/** What writes a first key, a replacement for a missing key, or an automatic retirement. */
export const KEY_LIFECYCLE_ACTOR = { type: 'system', id: 'csmcp-oauth-keys', name: 'csmcp signing key lifecycle' } as const;
/** The key csmcp signed with before its keys could rotate (OAuthStateStore.keyValue 'signing-jwks'). */
const LEGACY_JWKS = 'signing-jwks';
const COOKIE_KEY = 'cookie-key';
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'] as const;
const APPEND_ATTEMPTS = 5;

export interface SigningKeysOptions {
  /** OAUTH_SIGNING_KEY_RETIRE_AFTER (ms); null = only `retire-old` retires. Default 24 hours. */
  readonly retireAfterMs?: number | null;
  readonly now?: () => number;
}

/**
 * The signing keys of the built-in authorization server, shared by every instance and the CLI: their
 * lifecycle is the event stream oauth-signing-keys (SigningKeyCreated/Rotated/Retired, each naming
 * who and when; one stream, appended at the revision read, so concurrent changes cannot interleave),
 * their private halves are in the OAuth state database (never in the event log). A process keeps the
 * key set at most KEY_SET_MAX_AGE_MS and re-reads it sooner when a token names a kid it does not know.
 *
 * Whoever reads the keys first also does what is due: creates the first key (taking over the key
 * csmcp used before rotation existed, so its tokens stay valid), replaces an active key whose private
 * half is gone, and retires previous keys whose OAUTH_SIGNING_KEY_RETIRE_AFTER has passed.
 */
export class SigningKeys {
  private snapshot: { readonly keys: AuthorizationServerKeys; readonly readAt: number } | null = null;
  private loading: Promise<AuthorizationServerKeys> | null = null;
  private cookieKey: string | null = null;
  private readonly retireAfterMs: number | null;
  private readonly now: () => number;

  constructor(
    private readonly store: EventStore,
    private readonly state: OAuthStateStore,
    options: SigningKeysOptions = {},
  ) {
    this.retireAfterMs = options.retireAfterMs === undefined ? 24 * 3_600_000 : options.retireAfterMs;
    this.now = options.now ?? Date.now;
  }

  /** The key set as of at most KEY_SET_MAX_AGE_MS ago. */
  async current(): Promise<AuthorizationServerKeys> {
    if (this.snapshot && this.now() - this.snapshot.readAt < KEY_SET_MAX_AGE_MS) return this.snapshot.keys;
    return this.reload();
  }

  /** The public keys; when `kid` is not among them, read again first (at most every UNKNOWN_KID_REFRESH_MS). */
  async publicJwks(kid?: string): Promise<JSONWebKeySet> {
    const keys = await this.current();
    const known = kid === undefined || keys.publicJwks.keys.some((k) => k.kid === kid);
    if (known || !this.snapshot || this.now() - this.snapshot.readAt < UNKNOWN_KID_REFRESH_MS) return keys.publicJwks;
    return (await this.reload()).publicJwks;
  }

  /** Every key ever used, oldest first, with its status. */
  async list(): Promise<SigningKeyView[]> {
    const { state } = await this.settle();
    return state.keys.map((key) => this.view(key, state));
  }

  /** A new key signs from now on; the active one stays published until it is retired. */
  async rotate(context: AdminContext): Promise<{ active: SigningKeyView; previous: SigningKeyView | null }> {
    const kid = await this.generateKey();
    let rotation: { state: SigningKeyState; events: SigningKeyEvent[] };
    try {
      rotation = await this.decide(context, (metadata) => ({ type: 'RotateSigningKey', data: { kid, reason: 'rotation' }, metadata }));
    } catch (error) {
      await this.dropUnlessKnown(kid).catch(() => undefined);
      throw error;
    }
    this.snapshot = null;
    const { state } = rotation;
    const rotated = rotation.events.find((e) => e.type === 'SigningKeyRotated')!;
    const previous = state.keys.find((k) => k.kid === rotated.data.previousKid) ?? null;
    return { active: this.view(state.keys.find((k) => k.kid === kid)!, state), previous: previous && this.view(previous, state) };
  }

  /**
   * Retires the previous keys whose tokens have expired (rotated out at least MIN_PREVIOUS_KEY_MS ago),
   * or with `immediately` every previous key (a leaked key: its tokens are refused from now on).
   * Returns what was retired and the previous keys that must wait, with when they may go.
   */
  async retireOld(context: AdminContext, options: { immediately?: boolean } = {}): Promise<{ retired: SigningKeyView[]; waiting: SigningKeyView[] }> {
    const mode = options.immediately ? 'immediate' : 'retire_old';
    const { state, events } = await this.decide(context, (metadata) => ({ type: 'RetireSigningKeys', data: { mode, minPreviousKeyMs: MIN_PREVIOUS_KEY_MS }, metadata }));
    this.snapshot = null;
    const retiredKids = new Set(events.map((e) => e.data.kid));
    await this.state.deleteKeyValues([...retiredKids].map(signingKeyName));
    return {
      retired: state.keys.filter((k) => retiredKids.has(k.kid)).map((k) => this.view(k, state)),
      waiting: state.keys.filter((k) => statusOf(k, state) === 'previous').map((k) => this.view(k, state)),
    };
  }

  private reload(): Promise<AuthorizationServerKeys> {
    this.loading ??= this.load().finally(() => (this.loading = null));
    return this.loading;
  }

  private async load(): Promise<AuthorizationServerKeys> {
    const readAt = this.now();
    const { state, revision, materials } = await this.settle();
    if (this.snapshot?.keys.version === revision) {
      this.snapshot = { keys: this.snapshot.keys, readAt };
      return this.snapshot.keys;
    }
    const privateKeys = publishedKeys(state)
      .map((k) => materials.get(k.kid))
      .filter((jwk): jwk is JWK => jwk !== undefined);
    this.cookieKey ??= await this.state.keyValue(COOKIE_KEY, async () => randomBytes(32).toString('base64url'));
    const keys: AuthorizationServerKeys = {
      version: revision,
      signingKid: state.activeKid!,
      privateJwks: { keys: privateKeys },
      publicJwks: { keys: privateKeys.map(publicHalf) },
      cookieKeys: [this.cookieKey],
    };
    this.snapshot = { keys, readAt };
    return keys;
  }

  /**
   * The lifecycle after whatever is due (first key, a missing active key replaced, automatic
   * retirements), with the private halves of the published keys.
   */
  private async settle(): Promise<{ state: SigningKeyState; revision: number; materials: Map<string, JWK> }> {
    for (let attempt = 1; ; attempt++) {
      const recorded = await this.store.readStream(SIGNING_KEYS_STREAM);
      const state = fold(recorded);
      const revision = recorded.length === 0 ? -1 : recorded[recorded.length - 1].revision;
      const materials = await this.materials(publishedKeys(state).map((k) => k.kid));
      const system: AdminContext = { actor: KEY_LIFECYCLE_ACTOR, toolName: 'oauth keys (automatic)' };
      let due: { command: SigningKeyCommand; newKid?: string } | null = null;
      if (state.activeKid === null) {
        const legacy = await this.legacyKey();
        const kid = legacy?.kid ?? (await this.generateKey());
        due = { command: { type: 'AddFirstSigningKey', data: { kid, origin: legacy ? 'imported' : 'generated' }, metadata: this.metadata(system) }, newKid: kid };
      } else if (!materials.has(state.activeKid)) {
        const kid = await this.generateKey();
        due = { command: { type: 'RotateSigningKey', data: { kid, reason: 'active_key_missing' }, metadata: this.metadata(system) }, newKid: kid };
      } else if (this.retireAfterMs !== null) {
        const command: SigningKeyCommand = { type: 'RetireSigningKeys', data: { mode: 'automatic', retireAfterMs: this.retireAfterMs }, metadata: this.metadata(system) };
        if (signingKeyDecider.decide(command, state).length > 0) due = { command };
      }
      if (!due) return { state, revision, materials };
      const events = signingKeyDecider.decide(due.command, state);
      try {
        await this.append(events, revision, system);
      } catch (error) {
        // Another instance (or the CLI) did it first: read again; a key generated for nothing is dropped.
        if (!(error instanceof ConcurrencyError) || attempt >= APPEND_ATTEMPTS) throw error;
        if (due.newKid) await this.dropUnlessKnown(due.newKid);
        continue;
      }
      const retired = events.filter((e) => e.type === 'SigningKeyRetired').map((e) => signingKeyName(e.data.kid));
      await this.state.deleteKeyValues(retired);
      if (due.command.type === 'AddFirstSigningKey' && due.command.data.origin === 'imported') await this.state.deleteKeyValues([LEGACY_JWKS]);
    }
  }

  /** Decides on fresh state (after what is due) and appends at the revision read; a concurrent change is retried. */
  private async decide(
    context: AdminContext,
    command: (metadata: SigningKeyCommandMetadata) => SigningKeyCommand,
  ): Promise<{ state: SigningKeyState; events: SigningKeyEvent[] }> {
    for (let attempt = 1; ; attempt++) {
      const { state, revision } = await this.settle();
      const events = signingKeyDecider.decide(command(this.metadata(context)), state);
      if (events.length === 0) return { state, events };
      try {
        await this.append(events, revision, context);
      } catch (error) {
        if (error instanceof ConcurrencyError && attempt < APPEND_ATTEMPTS) continue;
        throw error;
      }
      return { state: events.reduce(signingKeyDecider.evolve, state), events };
    }
  }

  private async append(events: SigningKeyEvent[], revision: number, context: AdminContext): Promise<void> {
    await this.store.appendToStream(SIGNING_KEYS_STREAM, events, { expectedRevision: revision < 0 ? 'no_stream' : revision, metadata: adminMetadata(context) });
  }

  /** A new ES256 key, its private half stored under its kid; returns the kid. */
  private async generateKey(): Promise<string> {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = `es256-${randomBytes(8).toString('hex')}`;
    const jwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
    await this.state.keyValue(signingKeyName(kid), async () => JSON.stringify(jwk));
    return kid;
  }

  /** The key csmcp signed with before rotation existed, stored again under its kid; null when there is none. */
  private async legacyKey(): Promise<JWK | null> {
    const stored = (await this.state.keyValues([LEGACY_JWKS])).get(LEGACY_JWKS);
    const jwk = stored === undefined ? undefined : (JSON.parse(stored) as { keys: JWK[] }).keys[0];
    if (!jwk?.kid) return null;
    await this.state.keyValue(signingKeyName(jwk.kid), async () => JSON.stringify(jwk));
    return jwk;
  }

  private async dropUnlessKnown(kid: string): Promise<void> {
    const state = fold(await this.store.readStream(SIGNING_KEYS_STREAM));
    if (!state.keys.some((k) => k.kid === kid)) await this.state.deleteKeyValues([signingKeyName(kid)]);
  }

  private async materials(kids: readonly string[]): Promise<Map<string, JWK>> {
    const stored = await this.state.keyValues(kids.map(signingKeyName));
    const found = new Map<string, JWK>();
    for (const kid of kids) {
      const value = stored.get(signingKeyName(kid));
      if (value !== undefined) found.set(kid, JSON.parse(value) as JWK);
    }
    return found;
  }

  private metadata(context: AdminContext): SigningKeyCommandMetadata {
    const { actor } = context;
    const by: SigningKeyActor = actor.type === 'user' ? { type: 'user', id: actor.id, email: actor.email } : { type: 'system', id: actor.id, email: null };
    return { now: new Date(this.now()).toISOString(), by };
  }

  private view(key: SigningKeyRecord, state: SigningKeyState): SigningKeyView {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      kid: key.kid,
      alg: key.alg,
      status: statusOf(key, state),
      origin: key.origin,
      createdAt: key.createdAt,
      createdBy: key.createdBy,
      rotatedOutAt: key.rotatedOutAt,
      retirableAt: iso(outOfUseFor(key, MIN_PREVIOUS_KEY_MS)),
      retiresAt: this.retireAfterMs === null ? null : iso(outOfUseFor(key, this.retireAfterMs)),
      retiredAt: key.retiredAt,
      retiredBy: key.retiredBy,
      retireReason: key.retireReason,
    };
  }
}

function fold(recorded: readonly RecordedEvent[]): SigningKeyState {
  return recorded.reduce((s, e) => signingKeyDecider.evolve(s, e as unknown as SigningKeyEvent), signingKeyDecider.initialState());
}

function publicHalf(jwk: JWK): JWK {
  return Object.fromEntries(PUBLIC_MEMBERS.filter((m) => jwk[m] !== undefined).map((m) => [m, jwk[m]])) as JWK;
}
