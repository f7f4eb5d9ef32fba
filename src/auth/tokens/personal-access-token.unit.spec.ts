import { createHash } from 'node:crypto';
import {
  PAT_PREFIX,
  TokenRequestError,
  generatePersonalAccessToken,
  hashAccessToken,
  isWellFormedPersonalAccessToken,
  newTokenId,
  parseScopes,
  parseTtl,
} from './personal-access-token';

describe('personal access token format', () => {
  it('is the prefix and 32 random bytes in base64url', () => {
    const token = generatePersonalAccessToken();
    expect(token.startsWith(PAT_PREFIX)).toBe(true);
    expect(Buffer.from(token.slice(PAT_PREFIX.length), 'base64url')).toHaveLength(32);
    expect(token).toMatch(/^csmcp_pat_[A-Za-z0-9_-]{43}$/);
    expect(isWellFormedPersonalAccessToken(token)).toBe(true);
    expect(generatePersonalAccessToken()).not.toBe(token);
  });

  it('refuses anything else as malformed', () => {
    const token = generatePersonalAccessToken();
    for (const bad of ['', 'csmcp_pat_', token.slice(0, -1), `${token}x`, token.replace('csmcp_pat_', 'csmcp_oat_'), `${token.slice(0, -1)}=`, ` ${token}`])
      expect(isWellFormedPersonalAccessToken(bad)).toBe(false);
  });

  it('is stored as the hex SHA-256 of the whole token', () => {
    const token = generatePersonalAccessToken();
    expect(hashAccessToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashAccessToken(token)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('has a public id that says nothing of the secret', () => {
    expect(newTokenId()).toMatch(/^pat_[0-9a-f]{20}$/);
    expect(newTokenId()).not.toBe(newTokenId());
  });
});

describe('parseTtl', () => {
  it('reads minutes, hours and days', () => {
    expect(parseTtl('30m')).toBe(30 * 60_000);
    expect(parseTtl('1h')).toBe(3_600_000);
    expect(parseTtl('7d')).toBe(7 * 86_400_000);
    expect(parseTtl('90d')).toBe(90 * 86_400_000);
    expect(parseTtl('365d')).toBe(365 * 86_400_000);
    expect(parseTtl('8760h')).toBe(365 * 86_400_000);
  });

  it('refuses other shapes, zero and more than 365 days, saying what is allowed', () => {
    const allowed = 'a whole number followed by m (minutes), h (hours) or d (days), e.g. 30m, 1h, 7d, 90d; at most 365d';
    expect(() => parseTtl('1y')).toThrow(new TokenRequestError(`--ttl "1y" is not a lifetime: use ${allowed}`));
    for (const bad of ['', '1', 'h', '1.5h', '-1h', '10s', '1 week']) expect(() => parseTtl(bad)).toThrow(TokenRequestError);
    expect(() => parseTtl('0m')).toThrow(`--ttl 0m is zero: a token must live at least 1m; use ${allowed}`);
    expect(() => parseTtl('366d')).toThrow(`--ttl 366d is longer than 365d; use ${allowed}`);
    expect(() => parseTtl('8761h')).toThrow('is longer than 365d');
  });
});

describe('parseScopes', () => {
  it('takes spaces or commas, drops repeats and orders as SCOPES', () => {
    expect(parseScopes('cs:write cs:read', 'csm')).toEqual(['cs:read', 'cs:write']);
    expect(parseScopes(' cs:read,cs:read ', 'viewer')).toEqual(['cs:read']);
    expect(parseScopes('admin cs:read', 'admin')).toEqual(['cs:read', 'admin']);
  });

  it('refuses unknown scopes naming the allowed ones, and admin for non-admins', () => {
    expect(() => parseScopes('cs:read cs:delete', 'admin')).toThrow(new TokenRequestError('unknown scope "cs:delete": the scopes are cs:read, cs:write, admin'));
    expect(() => parseScopes('  ', 'admin')).toThrow('--scopes is empty: name one or more of cs:read, cs:write, admin, separated by spaces');
    expect(() => parseScopes('cs:read admin', 'csm')).toThrow(
      new TokenRequestError('the admin scope is only for users whose role is admin; this user is a csm: ask for cs:read and/or cs:write'),
    );
  });
});
