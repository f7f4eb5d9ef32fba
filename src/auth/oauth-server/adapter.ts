import { createHash } from 'node:crypto';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { OAuthStateStore } from './oauth-state.store';

export interface AdapterOptions {
  /**
   * Refresh grace window (ms): a refresh token used again this soon after its first use is accepted
   * once more (each use rotates to a new, equally valid refresh token), so two concurrent refreshes of
   * one client both succeed. A use after the window is a replay: the provider revokes the grant.
   */
  readonly refreshGraceMs?: number;
}

/**
 * oidc-provider's storage, one instance per model name, on OAuthStateStore. `consume` is atomic:
 * when another request consumed the code or refresh token first, this one fails with the provider's
 * invalid_grant (thrown by the caller given in `onAlreadyConsumed`), so of two parallel redemptions one wins
 * (refresh tokens: both, within `refreshGraceMs`).
 * `Client` rows are clients registered through DCR; admin-registered integrations (IntegrationService)
 * and Client ID Metadata Documents (CimdFetcher) come from `lookupClient`, asked first (see provider-configuration).
 */
/**
 * Models whose id is itself a credential: oidc-provider's opaque tokens and codes are their jti (a
 * refresh token's value is its id). They are stored under a
 * SHA-256 of the id, with no jti in the payload, so the state database (and its backups) holds nothing
 * a client could present (issue 9). Rows written before this are still found under the plain id until
 * they expire. (Sessions are not hashed: the provider finds them by uid too and needs their id back.)
 */
const CREDENTIAL_MODELS = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'ClientCredentials', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode', 'RegistrationAccessToken', 'InitialAccessToken']);

/** The id a row is stored under: `sha256:<base64url>` for credential models, else the id itself. */
export function storedModelId(model: string, id: string): string {
  return CREDENTIAL_MODELS.has(model) ? `sha256:${createHash('sha256').update(id).digest('base64url')}` : id;
}

export function adapterFor(
  store: OAuthStateStore,
  onAlreadyConsumed: () => Error,
  lookupClient?: (id: string) => Promise<AdapterPayload | undefined>,
  options: AdapterOptions = {},
) {
  const refreshGraceMs = options.refreshGraceMs ?? 0;
  return class OAuthAdapter implements Adapter {
    constructor(private readonly model: string) {}

    /** How long after its first use a consumed entry of this model still counts as unused. */
    private get graceMs(): number {
      return this.model === 'RefreshToken' ? refreshGraceMs : 0;
    }

    private get hashed(): boolean {
      return CREDENTIAL_MODELS.has(this.model);
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      // The jti is the credential itself: kept as null, find() puts it back from the id it is asked for.
      const kept = this.hashed && 'jti' in payload ? { ...payload, jti: null } : payload;
      await store.upsert(this.model, storedModelId(this.model, id), kept as Record<string, unknown>, expiresIn);
    }

    /** The stored row: under the hashed id, or a row from before hashing under the plain one. */
    private async stored(id: string) {
      const found = await store.find(this.model, storedModelId(this.model, id));
      if (found || !this.hashed) return found && this.hashed && 'jti' in found.payload ? { ...found, payload: { ...found.payload, jti: id } } : found;
      return store.find(this.model, id);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client' && lookupClient) {
        const integration = await lookupClient(id);
        if (integration) return integration;
      }
      const found = await this.stored(id);
      if (!found) return undefined;
      // Within the grace window a used refresh token reads as unused: the provider rotates it again
      // instead of taking the second use for a replay (and revoking the grant).
      const inGrace = this.graceMs > 0 && found.consumedAt !== null && store.now() - found.consumedAt < this.graceMs;
      return found.consumed && !inGrace ? { ...found.payload, consumed: true } : (found.payload as AdapterPayload);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const found = await store.findByUid(this.model, uid);
      return found ? (found.payload as AdapterPayload) : undefined;
    }

    async findByUserCode(): Promise<AdapterPayload | undefined> {
      return undefined;
    }

    async consume(id: string): Promise<void> {
      const consumed =
        (await store.consume(this.model, storedModelId(this.model, id), this.graceMs)) || (this.hashed && (await store.consume(this.model, id, this.graceMs)));
      if (!consumed) throw onAlreadyConsumed();
    }

    async destroy(id: string): Promise<void> {
      await store.destroy(this.model, storedModelId(this.model, id));
      if (this.hashed) await store.destroy(this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.revokeGrant(grantId);
    }
  };
}
