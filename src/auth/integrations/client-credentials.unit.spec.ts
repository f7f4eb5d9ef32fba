import { createHash } from 'node:crypto';
import { clientSecretMatches, generateClientSecret, hashClientSecret, isWellFormedClientId, isWellFormedClientSecret, newClientId } from './client-credentials';

describe('client ids and secrets', () => {
  it('makes URL-safe client ids with a prefix and 128 random bits', () => {
    const ids = new Set(Array.from({ length: 1000 }, newClientId));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^csmcp_int_[A-Za-z0-9_-]{22}$/);
      expect(encodeURIComponent(id)).toBe(id);
      expect(isWellFormedClientId(id)).toBe(true);
    }
    expect(isWellFormedClientId('csmcp_int_short')).toBe(false);
    expect(isWellFormedClientId(42)).toBe(false);
  });

  it('makes secrets of 32 random bytes in base64url with a prefix', () => {
    const secret = generateClientSecret();
    expect(secret).toMatch(/^csmcp_sec_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret.slice('csmcp_sec_'.length), 'base64url')).toHaveLength(32);
    expect(isWellFormedClientSecret(secret)).toBe(true);
    expect(isWellFormedClientSecret(newClientId())).toBe(false);
    expect(new Set(Array.from({ length: 1000 }, generateClientSecret)).size).toBe(1000);
  });

  it('stores the SHA-256 of the secret, and matches only the secret', () => {
    const secret = generateClientSecret();
    const hash = hashClientSecret(secret);
    expect(hash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(hash).not.toContain(secret.slice(10));
    expect(clientSecretMatches(secret, hash)).toBe(true);
    expect(clientSecretMatches(generateClientSecret(), hash)).toBe(false);
    expect(clientSecretMatches(`${secret} `, hash)).toBe(false);
    expect(clientSecretMatches('', hash)).toBe(false);
    // A damaged stored hash never matches (and never throws on the length difference).
    expect(clientSecretMatches(secret, hash.slice(2))).toBe(false);
    expect(clientSecretMatches(secret, '')).toBe(false);
  });
});
