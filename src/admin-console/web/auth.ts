import * as oauth from 'oauth4webapi';
import type { Settings } from './settings';

/**
 * Signing in to the console. With csmcp's built-in authorization server: authorization code + PKCE
 * (S256) as its first-party public client, through oauth4webapi (state, `iss` and the token response
 * checked there). Otherwise (or by choice): a personal access token with the admin scope, pasted.
 *
 * Where things are kept: the tokens in sessionStorage (this tab only, gone when it closes; never a
 * cookie, never a URL), the PKCE verifier and state there while the browser is away signing in. Only
 * "signed out on purpose" is kept in localStorage (no secret), so the next sign-in asks for the
 * password again instead of reusing the authorization server's session.
 */
export type Session =
  | { readonly kind: 'oauth'; readonly accessToken: string; readonly refreshToken: string | null; readonly expiresAt: number }
  | { readonly kind: 'token'; readonly accessToken: string };

const SESSION_KEY = 'csmcp.console.session';
const PENDING_KEY = 'csmcp.console.pending';
const SIGNED_OUT_KEY = 'csmcp.console.signed-out';
/** Refresh a little before the access token expires, not after a request failed. */
const EARLY_MS = 30_000;

/** A sign-in that could not finish: says why and what to do. */
export class SignInError extends Error {}

export class Auth {
  private metadata: Promise<oauth.AuthorizationServer> | null = null;
  private refreshing: Promise<Session | null> | null = null;
  private readonly client: oauth.Client;
  private readonly options: { [oauth.allowInsecureRequests]?: boolean };

  constructor(private readonly settings: Settings) {
    this.client = { client_id: settings.clientId };
    // http only where csmcp itself is served over http (a local or test server): the page is then too.
    this.options = new URL(settings.base).protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
  }

  session(): Session | null {
    try {
      const raw = sessionStorage.getItem(SESSION_KEY);
      return raw ? (JSON.parse(raw) as Session) : null;
    } catch {
      return null;
    }
  }

  /** Redirects to csmcp's sign-in; comes back to `returnTo` (a console path) through /admin/callback. */
  async signIn(returnTo: string): Promise<never> {
    const as = await this.authorizationServer();
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    sessionStorage.setItem(PENDING_KEY, JSON.stringify({ state, verifier, returnTo }));
    const url = new URL(as.authorization_endpoint!);
    url.searchParams.set('client_id', this.settings.clientId);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('redirect_uri', this.settings.redirectUri);
    url.searchParams.set('scope', this.settings.scope);
    url.searchParams.set('resource', this.settings.resource);
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('state', state);
    if (localStorage.getItem(SIGNED_OUT_KEY)) url.searchParams.set('prompt', 'login');
    location.assign(url.href);
    return new Promise<never>(() => {});
  }

  /** At /admin/callback: the code redeemed, the session kept; answers the path to go back to. */
  async finishSignIn(callback: URL): Promise<string> {
    const raw = sessionStorage.getItem(PENDING_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    if (!raw) throw new SignInError('This sign-in was not started from this tab, or it was finished already. Sign in again.');
    const pending = JSON.parse(raw) as { state: string; verifier: string; returnTo: string };
    const as = await this.authorizationServer();
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(as, this.client, callback, pending.state);
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError)
        throw new SignInError(`Sign-in did not finish: ${error.error_description || error.error}`);
      throw new SignInError(`Sign-in did not finish: ${(error as Error).message}`);
    }
    const response = await oauth.authorizationCodeGrantRequest(as, this.client, oauth.None(), params, this.settings.redirectUri, pending.verifier, this.options);
    const tokens = await this.tokens(() => oauth.processAuthorizationCodeResponse(as, this.client, response));
    this.keep(tokens);
    localStorage.removeItem(SIGNED_OUT_KEY);
    return pending.returnTo.startsWith('/') ? pending.returnTo : '/';
  }

  /** A personal access token pasted by the admin (it is checked by the first API call). */
  useToken(token: string): void {
    sessionStorage.setItem(SESSION_KEY, JSON.stringify({ kind: 'token', accessToken: token } satisfies Session));
  }

  /** The access token to send now: refreshed first when it is about to expire; null = sign in. */
  async accessToken(): Promise<string | null> {
    const session = this.session();
    if (!session) return null;
    if (session.kind === 'oauth' && session.expiresAt - EARLY_MS < Date.now()) return (await this.refresh())?.accessToken ?? null;
    return session.accessToken;
  }

  /** A new access token after the old one was refused; null when there is no way but signing in. */
  async refresh(): Promise<Session | null> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /**
   * Signing out revokes: the refresh token is revoked at csmcp's revocation endpoint, which revokes its
   * grant, and the admin API refuses the grant's access tokens within a second. A pasted personal
   * access token is only forgotten here (it may be in use elsewhere: `csmcp tokens revoke` ends it).
   */
  async signOut(): Promise<void> {
    const session = this.session();
    sessionStorage.removeItem(SESSION_KEY);
    if (session?.kind !== 'oauth') return;
    localStorage.setItem(SIGNED_OUT_KEY, '1');
    if (!session.refreshToken) return;
    const as = await this.authorizationServer();
    const response = await oauth.revocationRequest(as, this.client, oauth.None(), session.refreshToken, { ...this.options, additionalParameters: { token_type_hint: 'refresh_token' } });
    await oauth.processRevocationResponse(response);
  }

  forget(): void {
    sessionStorage.removeItem(SESSION_KEY);
  }

  private async doRefresh(): Promise<Session | null> {
    const session = this.session();
    if (session?.kind !== 'oauth' || !session.refreshToken) {
      this.forget();
      return null;
    }
    try {
      const as = await this.authorizationServer();
      const response = await oauth.refreshTokenGrantRequest(as, this.client, oauth.None(), session.refreshToken, this.options);
      return this.keep(await oauth.processRefreshTokenResponse(as, this.client, response));
    } catch {
      // Expired (a console session lasts a working day), revoked, or replayed: sign in again.
      this.forget();
      return null;
    }
  }

  private keep(tokens: oauth.TokenEndpointResponse): Session {
    const session: Session = {
      kind: 'oauth',
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? null,
      expiresAt: Date.now() + (tokens.expires_in ?? 300) * 1000,
    };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    return session;
  }

  private async tokens(work: () => Promise<oauth.TokenEndpointResponse>): Promise<oauth.TokenEndpointResponse> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError) throw new SignInError(`Sign-in did not finish: ${error.error_description || error.error}`);
      throw error;
    }
  }

  /** The authorization server's metadata (RFC 8414), fetched once and checked by oauth4webapi. */
  private authorizationServer(): Promise<oauth.AuthorizationServer> {
    if (!this.metadata) {
      const issuer = new URL(this.settings.base);
      this.metadata = oauth
        .discoveryRequest(issuer, { algorithm: 'oauth2', ...this.options })
        .then((response) => oauth.processDiscoveryResponse(issuer, response));
      this.metadata.catch(() => (this.metadata = null));
    }
    return this.metadata;
  }
}
