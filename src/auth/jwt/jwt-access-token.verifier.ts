import { createHash } from 'node:crypto';
import { errors, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyOptions, type JWTVerifyResult, type KeyObject } from 'jose';
import type { EventStore } from '@csmcp/event-store';
import { findUserByEmail, findUserById, visibleOwnersOf, type UserRecord } from '../../users/user-directory';
import { machineClientPrincipal, SCOPES, type MachineClient, type Principal, type Scope } from '../principal';
import type { KeySet } from './key-sets';
import { AuthorizationServerUnavailableError, JwtRejectedError } from './jwt-rejected.error';

/**
 * Signature algorithms accepted: asymmetric only. Never `none`, and never HS*: a verifier that took
 * an HMAC would accept a token "signed" with the authorization server's public key as the secret.
 */
export const JWT_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'Ed25519'] as const;
/** Clock difference allowed between csmcp and the authorization server, for exp, nbf and iat. */
export const CLOCK_TOLERANCE_SECONDS = 30;
/** As the personal access token verifier: a revocation shows within this, and the cache is bounded. */
export const JWT_VERIFICATION_CACHE_MS = 1_000;
export const JWT_VERIFICATION_CACHE_ENTRIES = 10_000;

/** What the request a token comes with is addressed to. */
export interface TokenRequestContext {
  /** The URL of the protected resource, e.g. https://csmcp.example.com/mcp (the path the request came to). */
  readonly resource: string;
  /**
   * The address the request comes from (the socket's peer, or behind TRUSTED_PROXIES the client's:
   * clientAddress of src/net), for the IP allow-list of the integration a token was issued to;
   * undefined or null = unknown, which no allow-list admits.
   */
  readonly sourceIp?: string | null;
}

/** The users a token can stand for. */
export interface UserLookup {
  byEmail(email: string): Promise<UserRecord | null>;
  byId(userId: string): Promise<UserRecord | null>;
  /** The members of the user's team, the user included (just the user without a team). */
  teamMemberIds(user: UserRecord): Promise<readonly string[]>;
}

/** csmcp's users, by point reads of their streams (a user added a moment ago by the CLI is found). */
export function storeUsers(store: EventStore): UserLookup {
  return {
    byEmail: (email) => findUserByEmail(store, email),
    byId: (userId) => findUserById(store, userId),
    teamMemberIds: (user) => visibleOwnersOf(store, user),
  };
}

/**
 * Revoked grants and tokens. JWT access tokens are not looked up on each use, so revoking a grant at
 * the authorization server shows only through this list: the built-in authorization server fills it
 * (the `gid` claim names the grant, `jti` the token). An external one has none.
 */
export interface RevocationList {
  isRevoked(token: { readonly issuer: string; readonly grantId: string | null; readonly tokenId: string | null }): Promise<boolean>;
}

/**
 * The machine clients (client credentials grant) whose tokens stand for the client itself. null: no
 * such client (anymore) — an unknown client, or an integration no longer allowed the grant.
 */
export interface MachineClientLookup {
  byClientId(clientId: string): Promise<MachineClient | null>;
}

export interface JwtAccessTokenVerifierOptions {
  /** `iss` must be exactly this. */
  readonly issuer: string;
  readonly keys: KeySet;
  /** A value `aud` must list; null = the resource the request is addressed to (TokenRequestContext.resource). */
  readonly audience: string | null;
  readonly users: UserLookup;
  /** The claim naming the user (default email)… */
  readonly userClaim?: string;
  /** …holding an email address or a csmcp user id (default email). */
  readonly userMatch?: 'email' | 'user_id';
  /** What the tokens may see (default personal: the companies of the user and their team). */
  readonly accessContext?: 'personal' | 'shared';
  /**
   * true: the header must say typ at+jwt (RFC 9068), as the built-in authorization server's tokens do.
   * false (default): at+jwt, or the generic JWT, or none, as most identity providers issue access
   * tokens (Entra ID, Auth0, Keycloak: typ JWT; Okta: none); any other explicit type (an ID token
   * typed id_token+jwt, a DPoP proof, a logout token...) is refused.
   */
  readonly requireAtJwtType?: boolean;
  readonly revocations?: RevocationList;
  /**
   * Machine clients: a token whose `sub` is its own `client_id` (what a client credentials grant
   * issues) stands for that client (machineClientPrincipal), found here. Absent: such a token is
   * looked up as a user like any other (and refused, there being no such user).
   */
  readonly machineClients?: MachineClientLookup;
  readonly clockToleranceSeconds?: number;
}

type Outcome = { readonly principal: Principal } | { readonly error: JwtRejectedError };

/**
 * Verifies JWT access tokens with jose and turns them into a Principal: signature against the
 * authorization server's key set (asymmetric algorithms only), iss, aud (this MCP endpoint), exp/nbf
 * with CLOCK_TOLERANCE_SECONDS, typ, then the revocation list, then the user in csmcp's users. Each
 * refusal is a JwtRejectedError (401 invalid_token) with a reason safe to send back; keys that cannot
 * be fetched are AuthorizationServerUnavailableError (503). Answers are kept ≤ 1 s, never past exp.
 */
export class JwtAccessTokenVerifier {
  private readonly cache = new Map<string, { readonly outcome: Outcome; readonly until: number }>();
  private readonly inflight = new Map<string, Promise<Outcome>>();
  private readonly userClaim: string;
  private readonly userMatch: 'email' | 'user_id';
  /** The clock, replaceable in tests. */
  now: () => number = Date.now;

  constructor(private readonly options: JwtAccessTokenVerifierOptions) {
    this.userClaim = options.userClaim ?? 'email';
    this.userMatch = options.userMatch ?? 'email';
  }

  /** The audience a token presented for `context` must list. */
  audienceFor(context: TokenRequestContext | undefined): string {
    const audience = this.options.audience ?? context?.resource;
    if (!audience) throw new Error('JwtAccessTokenVerifier.verify needs the resource the request is addressed to (or a configured audience)');
    return audience;
  }

  async verify(bearer: string, context?: TokenRequestContext): Promise<Principal> {
    const audience = this.audienceFor(context);
    const key = `${createHash('sha256').update(bearer, 'utf8').digest('hex')} ${audience}`;
    const cached = this.cache.get(key);
    const outcome = cached && cached.until > this.now() ? cached.outcome : await this.checkOnce(key, bearer, audience);
    if ('error' in outcome) throw outcome.error;
    return outcome.principal;
  }

  private checkOnce(key: string, bearer: string, audience: string): Promise<Outcome> {
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.check(key, bearer, audience).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async check(key: string, bearer: string, audience: string): Promise<Outcome> {
    const now = this.now();
    let outcome: Outcome;
    let until = now + JWT_VERIFICATION_CACHE_MS;
    try {
      const { payload, protectedHeader } = await this.verifySignatureAndClaims(bearer, audience, now);
      this.checkType(protectedHeader.typ);
      until = Math.min(until, (payload.exp as number) * 1000);
      outcome = { principal: await this.principalOf(payload, bearer) };
    } catch (error) {
      if (!(error instanceof JwtRejectedError)) throw error;
      outcome = { error };
    }
    this.remember(key, outcome, until);
    return outcome;
  }

  private async verifySignatureAndClaims(bearer: string, audience: string, now: number): Promise<JWTVerifyResult> {
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(bearer)) throw new JwtRejectedError('malformed');
    const options: JWTVerifyOptions = {
      issuer: this.options.issuer,
      audience,
      algorithms: [...JWT_ALGORITHMS],
      clockTolerance: this.options.clockToleranceSeconds ?? CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(now),
      requiredClaims: ['exp'],
    };
    try {
      return await jwtVerify(bearer, this.options.keys, options);
    } catch (error) {
      // A key set with several keys that fit a header without kid: jose hands them over, one may verify.
      if (error instanceof errors.JWKSMultipleMatchingKeys) return this.verifyWithCandidates(bearer, error, options, audience);
      throw rejectionOf(error, audience);
    }
  }

  private async verifyWithCandidates(bearer: string, candidates: errors.JWKSMultipleMatchingKeys, options: JWTVerifyOptions, audience: string): Promise<JWTVerifyResult> {
    let last: unknown = new errors.JWSSignatureVerificationFailed();
    for await (const key of candidates as unknown as AsyncIterable<KeyObject | CryptoKey>) {
      try {
        return await jwtVerify(bearer, key, options);
      } catch (error) {
        last = error;
        if (!(error instanceof errors.JWSSignatureVerificationFailed)) break;
      }
    }
    throw rejectionOf(last, audience);
  }

  private checkType(typ: string | undefined): void {
    const type = typ?.toLowerCase().replace(/^application\//, '');
    if (type === 'at+jwt') return;
    if (!this.options.requireAtJwtType && (type === undefined || type === 'jwt')) return;
    throw new JwtRejectedError('wrong_type');
  }

  private async principalOf(payload: JWTPayload, bearer: string): Promise<Principal> {
    const grantId = stringClaim(payload, 'gid', 200);
    const jti = stringClaim(payload, 'jti', 200);
    if (this.options.revocations && (await this.options.revocations.isRevoked({ issuer: this.options.issuer, grantId, tokenId: jti })))
      throw new JwtRejectedError('revoked');

    const granted = scopesOf(payload);
    const clientId = stringClaim(payload, 'client_id', 200) ?? stringClaim(payload, 'azp', 200);
    const tokenId = jti ? `jwt:${jti}` : `jwt-sha256:${createHash('sha256').update(bearer, 'utf8').digest('hex').slice(0, 32)}`;
    if (this.options.machineClients && clientId !== null && payload.sub === clientId) {
      const client = await this.options.machineClients.byClientId(clientId);
      if (!client) throw new JwtRejectedError('not_machine_client');
      return machineClientPrincipal(client, { scopes: granted, tokenId, expiresAt: payload.exp as number });
    }

    const user = await this.userOf(payload);
    return {
      userId: user.userId,
      email: user.email,
      name: user.name,
      role: user.role,
      // As for personal access tokens, the admin scope follows the role.
      scopes: SCOPES.filter((s) => granted.has(s) && (s !== 'admin' || user.role === 'admin')),
      accessContext: this.options.accessContext ?? 'personal',
      // Read with the user, so a team change shows as fast as a role change (≤ 1 s).
      teamMemberIds: await this.options.users.teamMemberIds(user),
      tokenId,
      tokenKind: 'oauth_access_token',
      integrationId: clientId,
      integrationName: null,
      expiresAt: payload.exp as number,
    };
  }

  private async userOf(payload: JWTPayload): Promise<UserRecord> {
    const claim = this.userClaim;
    const value = stringClaim(payload, claim, this.userMatch === 'email' ? 320 : 200);
    if (!value) throw new JwtRejectedError('no_user_claim', { claim });
    if (this.userMatch === 'email' && claim === 'email' && payload.email_verified === false) throw new JwtRejectedError('email_unverified');
    const user = this.userMatch === 'email' ? await this.options.users.byEmail(value) : await this.options.users.byId(value);
    if (!user) throw new JwtRejectedError('unknown_user', { claim });
    return user;
  }

  private remember(key: string, outcome: Outcome, until: number): void {
    this.cache.delete(key);
    if (this.cache.size >= JWT_VERIFICATION_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, { outcome, until });
  }
}

/** The csmcp scopes a token grants: `scope` (RFC 9068, space-separated) or `scp` (an array, or a string as Entra ID sends it). */
export function scopesOf(payload: JWTPayload): ReadonlySet<Scope> {
  const raw = typeof payload.scope === 'string' ? payload.scope : Array.isArray(payload.scp) ? payload.scp.filter((s): s is string => typeof s === 'string').join(' ') : typeof payload.scp === 'string' ? payload.scp : '';
  const known = new Set<string>(SCOPES);
  return new Set(raw.split(/\s+/).filter((s): s is Scope => known.has(s)));
}

function stringClaim(payload: JWTPayload, name: string, maxLength: number): string | null {
  const value = payload[name];
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength ? value : null;
}

/** jose's refusal as a safe reason; anything that is not the token's fault passes through. */
function rejectionOf(error: unknown, audience: string): unknown {
  if (error instanceof AuthorizationServerUnavailableError) return error;
  if (error instanceof errors.JWTExpired) return new JwtRejectedError('expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return new JwtRejectedError('wrong_issuer');
    if (error.claim === 'aud') return new JwtRejectedError('wrong_audience', { audience });
    if (error.reason === 'missing') return new JwtRejectedError('missing_claim', { claim: /^[a-z_]{1,20}$/.test(error.claim) ? error.claim : undefined });
    if ((error.claim === 'nbf' || error.claim === 'iat') && error.reason === 'check_failed') return new JwtRejectedError('not_yet_valid');
    return new JwtRejectedError('malformed');
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return new JwtRejectedError('algorithm');
  if (error instanceof errors.JWSSignatureVerificationFailed) return new JwtRejectedError('bad_signature');
  if (error instanceof errors.JWKSNoMatchingKey) return new JwtRejectedError('unknown_key');
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return new JwtRejectedError('malformed');
  return error;
}
