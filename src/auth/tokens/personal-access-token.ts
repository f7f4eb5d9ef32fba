import { createHash, randomBytes } from 'node:crypto';
import { SCOPES, type Scope } from '../principal';
import type { UserRole } from '../../users/user.events';

/** The prefix makes a leaked token recognisable (secret scanners, logs) and tells its kind at a glance. */
export const PAT_PREFIX = 'csmcp_pat_';
const PAT_SHAPE = /^csmcp_pat_[A-Za-z0-9_-]{43}$/;

/** A new personal access token: the prefix and 32 random bytes in base64url (256 bits of secret). */
export function generatePersonalAccessToken(): string {
  return PAT_PREFIX + randomBytes(32).toString('base64url');
}

export function isWellFormedPersonalAccessToken(token: string): boolean {
  return PAT_SHAPE.test(token);
}

/**
 * What is stored instead of the token. A 256-bit random secret cannot be guessed, so a fast hash is
 * enough (a KDF protects low-entropy passwords, not this) and verification stays cheap.
 */
export function hashAccessToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A short public handle for a token: listed, revoked and written in audit records instead of the token. */
export function newTokenId(): string {
  return `pat_${randomBytes(10).toString('hex')}`;
}

export const MAX_TTL_DAYS = 365;
const TTL_UNITS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export class TokenRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenRequestError';
  }
}

/** `30m`, `1h`, `7d`, `90d`: a lifetime in milliseconds, from 1 minute to 365 days. */
export function parseTtl(ttl: string): number {
  const allowed = `a whole number followed by m (minutes), h (hours) or d (days), e.g. 30m, 1h, 7d, 90d; at most ${MAX_TTL_DAYS}d`;
  const match = /^\s*(\d{1,7})\s*([mhd])\s*$/.exec(ttl);
  if (!match) throw new TokenRequestError(`--ttl ${JSON.stringify(ttl)} is not a lifetime: use ${allowed}`);
  const ms = Number(match[1]) * TTL_UNITS[match[2] as keyof typeof TTL_UNITS];
  if (ms <= 0) throw new TokenRequestError(`--ttl ${ttl} is zero: a token must live at least 1m; use ${allowed}`);
  if (ms > MAX_TTL_DAYS * TTL_UNITS.d) throw new TokenRequestError(`--ttl ${ttl} is longer than ${MAX_TTL_DAYS}d; use ${allowed}`);
  return ms;
}

/** "cs:read cs:write" (spaces or commas) into known scopes, in SCOPES order; refuses unknown ones and admin for non-admins. */
export function parseScopes(scopes: string, role: UserRole): Scope[] {
  const asked = [...new Set(scopes.split(/[\s,]+/).filter((s) => s !== ''))];
  if (asked.length === 0) throw new TokenRequestError(`--scopes is empty: name one or more of ${SCOPES.join(', ')}, separated by spaces`);
  const unknown = asked.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0)
    throw new TokenRequestError(`unknown scope${unknown.length === 1 ? '' : 's'} ${unknown.map((s) => `"${s}"`).join(', ')}: the scopes are ${SCOPES.join(', ')}`);
  if (asked.includes('admin') && role !== 'admin')
    throw new TokenRequestError(`the admin scope is only for users whose role is admin; this user is a ${role}: ask for cs:read and/or cs:write`);
  return SCOPES.filter((s) => asked.includes(s));
}
