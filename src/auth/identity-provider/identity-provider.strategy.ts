import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import OAuth2Strategy from 'passport-oauth2';
import type { IdentityProviderConfig } from './identity-provider.config';
import type { IdpEndpoints } from './idp-endpoints';
import { IdpSignInRefused } from './idp-refusal';

/** The name the strategy is registered under in csmcp's own Passport instance. */
export const STRATEGY_NAME = 'company-identity-provider';
const MAX_USERINFO_BYTES = 64 * 1024;

/**
 * What passport sees of a request: the callback's query, the headers, and this sign-in's flow (the
 * state store reads and writes it). Built per request, so no Express and no session are needed.
 */
export interface FlowRequest {
  readonly query: Readonly<Record<string, string>>;
  readonly body: undefined;
  readonly headers: IncomingHttpHeaders;
  readonly flow: Flow;
}

export interface Flow {
  /** The interaction a new sign-in belongs to (start only). */
  readonly uid: string | null;
  /** The pending sign-in this browser's cookie holds (callback only). */
  readonly pending: { readonly uid: string; readonly state: string; readonly verifier: string } | null;
  /** Set by the state store at start: what the cookie must remember. */
  issued: { readonly state: string; readonly verifier: string } | null;
}

/**
 * passport-oauth2's state store, with the browser's signed cookie (see idp-cookie.ts) as the session:
 * `store` gets the PKCE verifier passport-oauth2 made and returns a fresh random state; `verify`
 * compares the callback's state with the pending one and hands back the verifier for the token
 * request. A mismatch or a missing sign-in is a refusal, never an exception.
 */
export class CookieStateStore {
  store(req: FlowRequest, verifier: string, _state: unknown, _meta: unknown, callback: (err: Error | null, state?: string) => void): void {
    if (!req.flow.uid) return callback(new Error('a sign-in through the identity provider starts from an interaction'));
    const state = randomBytes(32).toString('base64url');
    req.flow.issued = { state, verifier };
    callback(null, state);
  }

  verify(req: FlowRequest, provided: string | undefined, callback: (err: Error | null, ok: string | false, info?: unknown) => void): void {
    const pending = req.flow.pending;
    if (!pending)
      return callback(
        null,
        false,
        new IdpSignInRefused(
          'SIGN_IN_EXPIRED',
          'No sign-in through your identity provider is under way in this browser: it took longer than 10 minutes, or it was started in another browser. Go back to the application and connect again.',
        ),
      );
    const a = Buffer.from(String(provided ?? ''));
    const b = Buffer.from(pending.state);
    if (a.length !== b.length || !timingSafeEqual(a, b))
      return callback(
        null,
        false,
        new IdpSignInRefused('STATE_MISMATCH', 'This answer from your identity provider does not belong to the sign-in this browser started (its state does not match), so it was not used. Go back to the sign-in page and try again.'),
      );
    callback(null, pending.verifier, { uid: pending.uid });
  }
}

/** What csmcp reads of node-oauth's client (passport-oauth2's `_oauth2`). */
interface OAuth2Client {
  useAuthorizationHeaderforGET(use: boolean): void;
  get(url: string, accessToken: string, callback: (err: { statusCode?: number } | null, body?: string | Buffer) => void): void;
}

/**
 * passport-oauth2 against the company's identity provider: authorization code with PKCE S256 and
 * `state` (the cookie store above), the code redeemed at the token endpoint with client_secret_post
 * (node-oauth sends the client's id and secret in the body), and the user's claims from the UserInfo
 * endpoint, called with the access token in the Authorization header (never in the query string).
 */
export class CompanyIdentityProviderStrategy extends OAuth2Strategy {
  constructor(
    private readonly config: IdentityProviderConfig,
    private readonly endpoints: IdpEndpoints,
    verify: (claims: Record<string, unknown>) => Promise<{ userId: string }>,
  ) {
    super(
      {
        authorizationURL: endpoints.authorizationUrl,
        tokenURL: endpoints.tokenUrl,
        clientID: config.clientId,
        clientSecret: config.clientSecret,
        scope: [...config.scopes],
        // true is S256 in passport-oauth2; it needs a state store, which also makes it send `state`.
        pkce: true,
        store: new CookieStateStore() as unknown as OAuth2Strategy.StateStore,
      },
      // Arity 4 (accessToken, refreshToken, profile, done): the tokens are used for nothing else and kept nowhere.
      (_accessToken: string, _refreshToken: string, claims: Record<string, unknown>, done: OAuth2Strategy.VerifyCallback) => {
        verify(claims).then(
          (user) => done(null, user),
          (error: unknown) => (error instanceof IdpSignInRefused ? done(null, false, error as never) : done(error as Error)),
        );
      },
    );
    this.name = STRATEGY_NAME;
    this.client.useAuthorizationHeaderforGET(true);
  }

  private get client(): OAuth2Client {
    return this._oauth2 as unknown as OAuth2Client;
  }

  override userProfile(accessToken: string, done: (err?: unknown, profile?: Record<string, unknown>) => void): void {
    const unavailable = (why: string) =>
      new IdpSignInRefused('IDP_UNAVAILABLE', `csmcp could not read who you are from ${this.config.name} (its UserInfo endpoint ${why}). Try again later, or sign in with your csmcp password.`);
    this.client.get(this.endpoints.userinfoUrl, accessToken, (err, body) => {
      if (err) return done(unavailable(err.statusCode ? `answered HTTP ${err.statusCode}` : 'could not be reached'));
      const text = String(body ?? '');
      if (text.length > MAX_USERINFO_BYTES) return done(unavailable(`answered more than ${MAX_USERINFO_BYTES} bytes`));
      let claims: unknown;
      try {
        claims = JSON.parse(text);
      } catch {
        // A signed (JWT) UserInfo response is not supported: csmcp asks for JSON.
        return done(unavailable('did not answer JSON'));
      }
      if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return done(unavailable('did not answer a JSON object'));
      done(null, claims as Record<string, unknown>);
    });
  }
}
