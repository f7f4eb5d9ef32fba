import type { Principal } from '../principal';
import { PrincipalRateLimiter } from './principal-rate-limiter';

const user = (userId: string, integrationId: string | null): Principal => ({
  userId,
  email: `${userId}@example.com`,
  name: userId,
  role: 'csm',
  scopes: ['cs:read'],
  accessContext: 'personal',
  tokenId: `t-${userId}`,
  tokenKind: integrationId ? 'oauth_access_token' : 'personal_access_token',
  integrationId,
  integrationName: integrationId ? `Integration ${integrationId}` : null,
  expiresAt: null,
});
const machine = (clientId: string): Principal => ({ ...user(clientId, clientId), actor: 'client', email: null, name: 'Nightly sync', integrationName: 'Nightly sync' });

describe('PrincipalRateLimiter', () => {
  const perMinute = (count: number) => ({ count, periodMs: 60_000 });

  it('is not made when no limit is set', () => {
    expect(PrincipalRateLimiter.from(undefined)).toBeNull();
    expect(PrincipalRateLimiter.from({ perUser: null, perIntegration: null })).toBeNull();
    expect(PrincipalRateLimiter.from({ perUser: perMinute(1), perIntegration: null })).toBeInstanceOf(PrincipalRateLimiter);
  });

  it('counts a user over personal access tokens and every integration', () => {
    const limiter = new PrincipalRateLimiter({ perUser: perMinute(2), perIntegration: null }, () => 0);
    expect(limiter.check(user('anna', null))).toBeNull();
    expect(limiter.check(user('anna', 'claude'))).toBeNull();
    expect(limiter.check(user('anna', 'chatgpt'))).toEqual({
      retryAfterSeconds: 30,
      message: 'Too many requests for anna@example.com: the limit is 2 per minute per user (RATE_LIMIT_PER_USER); retry in 30 s',
    });
    expect(limiter.check(user('ben', 'claude'))).toBeNull();
  });

  it('counts an integration over all its users, and a machine client only as its integration', () => {
    const limiter = new PrincipalRateLimiter({ perUser: perMinute(1), perIntegration: perMinute(3) }, () => 0);
    expect(limiter.check(machine('sync'))).toBeNull();
    expect(limiter.check(machine('sync'))).toBeNull(); // no user budget of 1 for a machine client
    expect(limiter.check(machine('sync'))).toBeNull();
    expect(limiter.check(machine('sync'))?.message).toBe(
      'Too many requests for the integration Nightly sync: the limit is 3 per minute per integration (RATE_LIMIT_PER_INTEGRATION); retry in 20 s',
    );
    expect(limiter.check(user('anna', 'claude'))).toBeNull();
    expect(limiter.check(user('ben', 'claude'))).toBeNull();
    expect(limiter.check(user('anna', null))?.message).toContain('per user');
  });
});
