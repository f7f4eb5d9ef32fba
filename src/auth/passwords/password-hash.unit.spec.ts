import { PasswordRuleError, checkPasswordRules, hashPassword, verifyPasswordHash } from './password-hash';

describe('password hashing (scrypt)', () => {
  it('stores the parameters, a 16-byte salt and the hash, and verifies only the same password', async () => {
    const stored = await hashPassword('correct horse battery staple');
    const match = /^scrypt\$N=32768,r=8,p=1\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
    expect(match).not.toBeNull();
    expect(Buffer.from(match![1], 'base64')).toHaveLength(16);
    expect(Buffer.from(match![2], 'base64')).toHaveLength(32);
    expect(stored).not.toContain('correct horse');
    expect(await verifyPasswordHash('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPasswordHash('correct horse battery stapl', stored)).toBe(false);
    expect(await verifyPasswordHash('Correct horse battery staple', stored)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('the same password')).not.toBe(await hashPassword('the same password'));
  });

  it('verifies with the parameters stored, so hashes made with other costs keep working', async () => {
    const cheap = 'scrypt$N=1024,r=8,p=1$' + Buffer.alloc(16, 7).toString('base64') + '$';
    const { scryptSync } = await import('node:crypto');
    const stored = cheap + scryptSync('a long enough password', Buffer.alloc(16, 7), 32, { N: 1024, r: 8, p: 1 }).toString('base64');
    expect(await verifyPasswordHash('a long enough password', stored)).toBe(true);
  });

  it('never matches a malformed or absurd stored value', async () => {
    for (const stored of ['', 'plain', 'scrypt$N=3,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==', 'scrypt$N=1073741824,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA=='])
      expect(await verifyPasswordHash('whatever it is here', stored)).toBe(false);
  });

  it('allows 12 to 1024 characters of anything, counted as characters', () => {
    expect(() => checkPasswordRules('short')).toThrow(new PasswordRuleError('the password has 5 characters; it must have 12 to 1024 (any characters, spaces included)'));
    expect(() => checkPasswordRules('x'.repeat(1025))).toThrow('the password has 1025 characters; it must have 12 to 1024');
    expect(() => checkPasswordRules('😀'.repeat(11))).toThrow('the password has 11 characters');
    expect(() => checkPasswordRules('😀'.repeat(12))).not.toThrow();
    expect(() => checkPasswordRules('twelve chars')).not.toThrow();
    expect(() => checkPasswordRules('x'.repeat(1024))).not.toThrow();
  });
});
