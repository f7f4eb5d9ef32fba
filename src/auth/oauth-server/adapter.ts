import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { OAuthStateStore } from './oauth-state.store';

/**
 * oidc-provider's storage, one instance per model name, on OAuthStateStore. `consume` is atomic:
 * when another request consumed the code or refresh token first, this one fails with the provider's
 * invalid_grant (thrown by the caller given in `onAlreadyConsumed`), so of two parallel redemptions one wins.
 * `Client` rows are clients registered through DCR; admin-registered integrations come from
 * IntegrationService (see provider-configuration).
 */
export function adapterFor(store: OAuthStateStore, onAlreadyConsumed: () => Error, lookupClient?: (id: string) => Promise<AdapterPayload | undefined>) {
  return class OAuthAdapter implements Adapter {
    constructor(private readonly model: string) {}

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
      return found.consumed ? { ...found.payload, consumed: true } : (found.payload as AdapterPayload);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const found = await store.findByUid(this.model, uid);
      return found ? (found.payload as AdapterPayload) : undefined;
    }

    async findByUserCode(): Promise<AdapterPayload | undefined> {
      return undefined;
    }

    async consume(id: string): Promise<void> {
      if (!(await store.consume(this.model, id))) throw onAlreadyConsumed();
    }

    async destroy(id: string): Promise<void> {
      await store.destroy(this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.revokeGrant(grantId);
    }
  };
}
