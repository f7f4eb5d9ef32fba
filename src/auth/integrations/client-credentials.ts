import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Client ids and client secrets of integrations. The prefixes make a leaked value recognisable
 * (secret scanners, logs) and tell an id from a secret at a glance.
 */

export const CLIENT_ID_PREFIX = 'csmcp_int_';
export const CLIENT_SECRET_PREFIX = 'csmcp_sec_';
const CLIENT_ID_SHAPE = /^csmcp_int_[A-Za-z0-9_-]{22}$/;
const CLIENT_SECRET_SHAPE = /^csmcp_sec_[A-Za-z0-9_-]{43}$/;

/** A new client id: 16 random bytes (128 bits, base64url): unguessable, so ids need no reservation. */
export function newClientId(): string {
  return CLIENT_ID_PREFIX + randomBytes(16).toString('base64url');
}

export function isWellFormedClientId(clientId: unknown): clientId is string {
  return typeof clientId === 'string' && CLIENT_ID_SHAPE.test(clientId);
}

/** A new client secret: 32 random bytes (256 bits) in base64url. Shown once, never stored. */
export function generateClientSecret(): string {
  return CLIENT_SECRET_PREFIX + randomBytes(32).toString('base64url');
}

export function isWellFormedClientSecret(secret: unknown): secret is string {
  return typeof secret === 'string' && CLIENT_SECRET_SHAPE.test(secret);
}

/**
 * What is stored instead of the secret. A 256-bit random secret cannot be guessed or brute-forced
 * from its hash, so a fast hash is enough (a KDF protects low-entropy passwords, not this).
 */
export function hashClientSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether `secret` hashes to `storedHash`, compared in constant time (no early exit on the first wrong byte). */
export function clientSecretMatches(secret: string, storedHash: string): boolean {
  const presented = createHash('sha256').update(secret, 'utf8').digest();
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}
