import { Inject, Injectable } from '@nestjs/common';
import type { EventStore } from '@csmcp/event-store';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { findUserById, visibleOwnersOf } from '../../users/user-directory';
import type { Principal } from '../principal';
import { accessTokenStream } from './access-token.events';
import { foldAccessToken } from './access-token.state';
import { InvalidTokenError } from './invalid-token.error';
import { hashAccessToken, isWellFormedPersonalAccessToken } from './personal-access-token';

/** How long a process trusts a verification: a revocation or role change made elsewhere shows within this. */
export const VERIFICATION_CACHE_MS = 1_000;
/** Bounds the cache, so a flood of distinct tokens cannot grow memory. */
export const VERIFICATION_CACHE_ENTRIES = 10_000;

type Outcome = { readonly principal: Principal } | { readonly error: InvalidTokenError };
interface CacheEntry {
  readonly outcome: Outcome;
  /** Epoch ms after which the entry is not used. */
  readonly until: number;
}

/**
 * Turns a bearer token into a Principal, on every MCP request. A miss costs two point reads (the
 * token's stream, then its user's stream, for the current role, email, name and team), and a third
 * for a user in a team (the team's members); the answer is then kept ≤ 1 s and never past the token's expiry. Concurrent misses for one token share one lookup.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<Outcome>>();
  /** The clock, replaceable in tests. */
  now: () => number = Date.now;

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** The caller the token stands for; InvalidTokenError (with its reason) when it may not be used. */
  async verify(bearer: string): Promise<Principal> {
    if (!isWellFormedPersonalAccessToken(bearer)) throw new InvalidTokenError('malformed');
    const tokenHash = hashAccessToken(bearer);
    const cached = this.cache.get(tokenHash);
    const outcome = cached && cached.until > this.now() ? cached.outcome : await this.lookUpOnce(tokenHash);
    if ('error' in outcome) throw outcome.error;
    return outcome.principal;
  }

  /** Drops what this process knows of a token, so its revocation here applies at once. */
  forget(tokenHash: string): void {
    this.cache.delete(tokenHash);
  }

  private lookUpOnce(tokenHash: string): Promise<Outcome> {
    let pending = this.inflight.get(tokenHash);
    if (!pending) {
      pending = this.lookUp(tokenHash).finally(() => this.inflight.delete(tokenHash));
      this.inflight.set(tokenHash, pending);
    }
    return pending;
  }

  private async lookUp(tokenHash: string): Promise<Outcome> {
    const now = this.now();
    const token = foldAccessToken(await this.store.readStream(accessTokenStream(tokenHash)));
    const expiresAtMs = token ? Date.parse(token.issued.expiresAt) : Number.POSITIVE_INFINITY;
    let outcome: Outcome;
    if (!token) outcome = { error: new InvalidTokenError('unknown') };
    else if (token.revokedAt !== null) outcome = { error: new InvalidTokenError('revoked') };
    else if (expiresAtMs <= now) outcome = { error: new InvalidTokenError('expired') };
    else {
      const user = await findUserById(this.store, token.issued.userId);
      if (!user) outcome = { error: new InvalidTokenError('user_gone') };
      else
        outcome = {
          principal: {
            userId: user.userId,
            email: user.email,
            name: user.name,
            role: user.role,
            // The admin scope follows the role: a demoted admin's tokens lose it.
            scopes: token.issued.scopes.filter((s) => s !== 'admin' || user.role === 'admin'),
            accessContext: 'personal',
            teamMemberIds: await visibleOwnersOf(this.store, user),
            tokenId: token.issued.tokenId,
            tokenKind: 'personal_access_token',
            integrationId: null,
            integrationName: null,
            expiresAt: Math.floor(expiresAtMs / 1000),
          },
        };
    }
    this.remember(tokenHash, outcome, Math.min(now + VERIFICATION_CACHE_MS, expiresAtMs));
    return outcome;
  }

  private remember(tokenHash: string, outcome: Outcome, until: number): void {
    this.cache.delete(tokenHash);
    // Entries are kept in insertion order and all live about as long: the oldest goes first.
    if (this.cache.size >= VERIFICATION_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(tokenHash, { outcome, until });
  }
}
