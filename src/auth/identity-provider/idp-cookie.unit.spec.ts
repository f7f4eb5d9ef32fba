import { idpCookieFrom, idpCookieHeader, idpCookieKey, openIdpCookie, sealIdpCookie, type IdpCookie } from './idp-cookie';

const key = idpCookieKey('the provider cookie key');
const pending: IdpCookie = { kind: 'pending', uid: 'uid-1', state: 'state-1', verifier: 'verifier-1', exp: 2_000 };

describe('the identity provider sign-in cookie', () => {
  it('opens what it sealed until it expires', () => {
    const sealed = sealIdpCookie(key, pending);
    expect(openIdpCookie(key, sealed, 1_999)).toEqual(pending);
    expect(openIdpCookie(key, sealed, 2_000)).toBeNull();
  });

  it('refuses a cookie sealed with another key, or changed in any way', () => {
    const sealed = sealIdpCookie(key, pending);
    expect(openIdpCookie(idpCookieKey('another key'), sealed, 0)).toBeNull();
    const [body, mac] = sealed.split('.');
    const forged = Buffer.from(JSON.stringify({ ...pending, kind: 'signed-in', userId: 'u-admin' })).toString('base64url');
    expect(openIdpCookie(key, `${forged}.${mac}`, 0)).toBeNull();
    expect(openIdpCookie(key, `${body}.${mac.slice(0, -2)}`, 0)).toBeNull();
    expect(openIdpCookie(key, body, 0)).toBeNull();
    expect(openIdpCookie(key, undefined, 0)).toBeNull();
  });

  it('has a key of its own, not the key it is derived from', () => {
    expect(key.equals(Buffer.from('the provider cookie key'))).toBe(false);
    expect(idpCookieKey('the provider cookie key').equals(key)).toBe(true);
  });

  it('is HttpOnly, SameSite=Lax, scoped to the interaction pages, Secure on https, and cleared with Max-Age=0', () => {
    expect(idpCookieHeader('v', { secure: false, maxAgeMs: 600_000 })).toBe('csmcp_idp=v; Path=/oauth/interaction; Max-Age=600; HttpOnly; SameSite=Lax');
    expect(idpCookieHeader('v', { secure: true, maxAgeMs: 60_000 })).toBe('csmcp_idp=v; Path=/oauth/interaction; Max-Age=60; HttpOnly; SameSite=Lax; Secure');
    expect(idpCookieHeader('v', { secure: true, maxAgeMs: 0 })).toBe('csmcp_idp=; Path=/oauth/interaction; Max-Age=0; HttpOnly; SameSite=Lax; Secure');
  });

  it('is read from the Cookie header only when it is there once', () => {
    expect(idpCookieFrom('_session=a; csmcp_idp=abc.def; x=y')).toBe('abc.def');
    expect(idpCookieFrom('csmcp_idp=one; csmcp_idp=two')).toBeUndefined();
    expect(idpCookieFrom(undefined)).toBeUndefined();
  });
});
