import { Inject, Injectable } from '@nestjs/common';
import { ConcurrencyError, type EventStore } from '@csmcp/event-store';
import { adminMetadata, type AdminContext } from '../../customer-success/companies/commands/admin-context';
import { TEXT_LIMITS } from '../../customer-success/shared/values';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { findUserByEmail, findUserById, type UserRecord } from '../../users/user-directory';
import type { Scope } from '../principal';
import {
  ACCESS_TOKEN_INDEX_STREAM,
  accessTokenStream,
  type AccessTokenIndexed,
  type AccessTokenIssued,
  type AccessTokenRevoked,
} from './access-token.events';
import { foldAccessToken, type AccessTokenState } from './access-token.state';
import { AccessTokenVerifier } from './access-token.verifier';
import { TokenRequestError, generatePersonalAccessToken, hashAccessToken, newTokenId, parseScopes, parseTtl } from './personal-access-token';

export interface IssueTokenRequest {
  /** The user the token acts as. */
  readonly email: string;
  /** Space- or comma-separated: "cs:read cs:write". */
  readonly scopes: string;
  /** `30m`, `1h`, `7d`, ... at most 365d. */
  readonly ttl: string;
  /** A label for the owner's benefit ("laptop", "CI"). */
  readonly name?: string | null;
}

export interface IssuedToken {
  /** The secret: shown once, never stored. */
  readonly token: string;
  readonly tokenId: string;
  readonly user: UserRecord;
  readonly scopes: Scope[];
  readonly name: string | null;
  readonly issuedAt: string;
  readonly expiresAt: string;
}

export type TokenStatus = 'active' | 'expired' | 'revoked';

/** A token as listed: never the token itself, nor its hash. */
export interface TokenSummary {
  readonly tokenId: string;
  readonly userId: string;
  readonly email: string | null;
  readonly name: string | null;
  readonly scopes: Scope[];
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly status: TokenStatus;
  readonly revokedAt: string | null;
}

const LIST_READ_CONCURRENCY = 16;

/** Issues, lists and revokes personal access tokens (the CLI now, the admin API later). */
@Injectable()
export class AccessTokenService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly verifier: AccessTokenVerifier,
  ) {}

  /** Throws TokenRequestError saying what was wrong and what is allowed. */
  async issue(request: IssueTokenRequest, context: AdminContext): Promise<IssuedToken> {
    const ttlMs = parseTtl(request.ttl);
    const name = request.name?.trim() || null;
    if (name !== null && name.length > TEXT_LIMITS.label)
      throw new TokenRequestError(`--name has ${name.length} characters; a token's name may have at most ${TEXT_LIMITS.label}`);
    const user = await findUserByEmail(this.store, request.email);
    if (!user) throw new TokenRequestError(`--user ${request.email}: no user has this email; register one first (csmcp users add)`);
    const scopes = parseScopes(request.scopes, user.role);

    const token = generatePersonalAccessToken();
    const tokenHash = hashAccessToken(token);
    const tokenId = newTokenId();
    const now = context.now ?? new Date();
    const issuedAt = now.toISOString();
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
    const metadata = adminMetadata(context);
    const indexed: AccessTokenIndexed = { type: 'AccessTokenIndexed', data: { tokenId, tokenHash, userId: user.userId } };
    const issued: AccessTokenIssued = {
      type: 'AccessTokenIssued',
      data: { tokenId, tokenHash, kind: 'personal_access_token', userId: user.userId, scopes, name, issuedAt, expiresAt },
    };
    // Index first: a token that exists can then always be found by its id and revoked.
    await this.store.appendToStream(ACCESS_TOKEN_INDEX_STREAM, [indexed], { expectedRevision: 'any', metadata });
    await this.store.appendToStream(accessTokenStream(tokenHash), [issued], { expectedRevision: 'no_stream', metadata });
    return { token, tokenId, user, scopes, name, issuedAt, expiresAt };
  }

  /** Every token issued (or those of one user), newest first. */
  async list(filter: { email?: string } = {}, now: Date = new Date()): Promise<TokenSummary[]> {
    let entries = await this.index();
    if (filter.email !== undefined) {
      const user = await findUserByEmail(this.store, filter.email);
      if (!user) throw new TokenRequestError(`--user ${filter.email}: no user has this email`);
      entries = entries.filter((e) => e.userId === user.userId);
    }
    const users = new Map<string, Promise<UserRecord | null>>();
    const summaries: TokenSummary[] = [];
    for (let i = 0; i < entries.length; i += LIST_READ_CONCURRENCY) {
      const page = await Promise.all(
        entries.slice(i, i + LIST_READ_CONCURRENCY).map(async (entry) => {
          const state = foldAccessToken(await this.store.readStream(accessTokenStream(entry.tokenHash)));
          if (!state) return null; // indexed, but the issue stopped before the token was written: it never worked
          if (!users.has(state.issued.userId)) users.set(state.issued.userId, findUserById(this.store, state.issued.userId));
          return summarize(state, (await users.get(state.issued.userId))?.email ?? null, now);
        }),
      );
      for (const summary of page) if (summary) summaries.push(summary);
    }
    return summaries.sort((a, b) => b.issuedAt.localeCompare(a.issuedAt) || a.tokenId.localeCompare(b.tokenId));
  }

  /** Revokes a token by its id; revoking it again changes nothing. Verification refuses it within 1 s everywhere. */
  async revoke(tokenId: string, context: AdminContext): Promise<{ token: TokenSummary; alreadyRevoked: boolean }> {
    const entry = (await this.index()).find((e) => e.tokenId === tokenId.trim());
    if (!entry) throw new TokenRequestError(`no token has id ${tokenId}; csmcp tokens list shows the ids`);
    for (let attempt = 1; ; attempt++) {
      const state = foldAccessToken(await this.store.readStream(accessTokenStream(entry.tokenHash)));
      if (!state) throw new TokenRequestError(`token ${tokenId} was never completely issued, so it cannot be used; nothing to revoke`);
      const email = (await findUserById(this.store, state.issued.userId))?.email ?? null;
      if (state.revokedAt !== null) return { token: summarize(state, email, context.now ?? new Date()), alreadyRevoked: true };
      const now = context.now ?? new Date();
      const revoked: AccessTokenRevoked = {
        type: 'AccessTokenRevoked',
        data: { tokenId: state.issued.tokenId, tokenHash: entry.tokenHash, userId: state.issued.userId, revokedAt: now.toISOString() },
      };
      try {
        await this.store.appendToStream(accessTokenStream(entry.tokenHash), [revoked], { expectedRevision: state.revision, metadata: adminMetadata(context) });
      } catch (error) {
        // Someone revoked it at the same moment: read again and report that.
        if (error instanceof ConcurrencyError && attempt < 3) continue;
        throw error;
      }
      this.verifier.forget(entry.tokenHash);
      return { token: summarize({ ...state, revokedAt: revoked.data.revokedAt }, email, now), alreadyRevoked: false };
    }
  }

  private async index(): Promise<AccessTokenIndexed['data'][]> {
    const events = (await this.store.readStream(ACCESS_TOKEN_INDEX_STREAM)) as unknown as AccessTokenIndexed[];
    return events.filter((e) => e.type === 'AccessTokenIndexed').map((e) => e.data);
  }
}

function summarize(state: AccessTokenState, email: string | null, now: Date): TokenSummary {
  const { issued, revokedAt } = state;
  const status: TokenStatus = revokedAt !== null ? 'revoked' : Date.parse(issued.expiresAt) <= now.getTime() ? 'expired' : 'active';
  return {
    tokenId: issued.tokenId,
    userId: issued.userId,
    email,
    name: issued.name,
    scopes: issued.scopes,
    issuedAt: issued.issuedAt,
    expiresAt: issued.expiresAt,
    status,
    revokedAt,
  };
}
