import type { DomainEvent } from '../../customer-success/shared/decider';
import type { Scope } from '../principal';

/**
 * A token's life lives in a stream named by the SHA-256 of the token, so verifying a bearer token is
 * one point read that every process sees at once (the CLI issues and revokes while the server runs).
 */
export const accessTokenStream = (tokenHash: string) => `access-token-${tokenHash}`;

/**
 * Every token ever issued, by id: what `tokens list` and `tokens revoke TOKEN_ID` read. Written before
 * the token's own stream, so a token that exists can always be found by its id (a crash in between
 * leaves an index entry without a token, which listing skips).
 */
export const ACCESS_TOKEN_INDEX_STREAM = 'access-token-index';

export type AccessTokenKind = 'personal_access_token';

export type AccessTokenIssued = DomainEvent<
  'AccessTokenIssued',
  {
    tokenId: string;
    tokenHash: string;
    kind: AccessTokenKind;
    userId: string;
    scopes: Scope[];
    name: string | null;
    issuedAt: string;
    expiresAt: string;
  }
>;

export type AccessTokenRevoked = DomainEvent<'AccessTokenRevoked', { tokenId: string; tokenHash: string; userId: string; revokedAt: string }>;

export type AccessTokenEvent = AccessTokenIssued | AccessTokenRevoked;

/** An index entry: only the id, the owner and where the token's stream is. */
export type AccessTokenIndexed = DomainEvent<'AccessTokenIndexed', { tokenId: string; tokenHash: string; userId: string }>;
