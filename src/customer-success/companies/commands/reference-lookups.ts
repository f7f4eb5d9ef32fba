import type { EventStore } from '@csmcp/event-store';
import { userEmailStream } from '../../../users/commands/user.decider';
import { userStream } from '../../../users/user.events';
import { companyStream } from '../company.events';

/**
 * What an import checks against the store: companies and users that rows refer to. Read from the
 * event streams (not read models, which may lag or not be built by the CLI), and cached for the batch.
 */
export class ReferenceLookups {
  private readonly pending: ReadonlySet<string>;
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: EventStore,
    pendingCompanyIds: Iterable<string> = [],
  ) {
    this.pending = new Set(pendingCompanyIds);
  }

  /** True for a company in the store, or in the same import run. */
  companyExists(companyId: string): Promise<boolean> {
    if (this.pending.has(companyId)) return Promise.resolve(true);
    return this.cached(`company|${companyId}`, async () => (await this.store.readStream(companyStream(companyId), { maxCount: 1 })).length > 0);
  }

  userExists(userId: string): Promise<boolean> {
    return this.cached(`user|${userId}`, async () => (await this.store.readStream(userStream(userId), { maxCount: 1 })).length > 0);
  }

  /** The id of the user registered with this email (case-insensitive), or null. */
  userIdByEmail(email: string): Promise<string | null> {
    return this.cached(`email|${email.toLowerCase()}`, async () => {
      const [reserved] = await this.store.readStream(userEmailStream(email), { maxCount: 1 });
      if (!reserved) return null;
      const userId = String(reserved.data.userId);
      // A reservation whose registration never completed names no user yet.
      return (await this.userExists(userId)) ? userId : null;
    });
  }

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    let value = this.cache.get(key) as Promise<T> | undefined;
    if (!value) {
      value = load();
      this.cache.set(key, value);
    }
    return value;
  }
}
