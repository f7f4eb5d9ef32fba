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

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      await store.upsert(this.model, id, payload as Record<string, unknown>, expiresIn);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client' && lookupClient) {
        const integration = await lookupClient(id);
        if (integration) return integration;
      }
      const found = await store.find(this.model, id);
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
      if (!(await store.consume(this.model, id, this.graceMs))) throw onAlreadyConsumed();
    }

    async destroy(id: string): Promise<void> {
      await store.destroy(this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.revokeGrant(grantId);
    }
  };
}
