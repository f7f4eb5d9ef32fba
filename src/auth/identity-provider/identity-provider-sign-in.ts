import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CommandBus } from '@nestjs/cqrs';
import { Passport } from 'passport';
import type OAuth2Strategy from 'passport-oauth2';
import type { EventStore } from '@csmcp/event-store';
import { DomainError } from '../../customer-success/shared/domain-error';
import { InputValidationError } from '../../customer-success/write/write-errors';
import { RegisterUserCommand } from '../../users/commands/register-user/register-user.command';
import { findUserByEmail } from '../../users/user-directory';
import { identityFromClaims } from './claim-mapping';
import type { IdentityProviderConfig } from './identity-provider.config';
import { CompanyIdentityProviderStrategy, STRATEGY_NAME, type Flow, type FlowRequest } from './identity-provider.strategy';
import { IDP_COOKIE_PATH, idpCookieFrom, idpCookieHeader, idpCookieKey, openIdpCookie, PENDING_TTL_MS, sealIdpCookie, SIGNED_IN_TTL_MS } from './idp-cookie';
import { resolveIdpEndpoints } from './idp-endpoints';
import { IdpSignInRefused } from './idp-refusal';

/** Where the identity provider sends the browser back: register `<PUBLIC_URL>` + this at the identity provider. */
export const IDP_CALLBACK_PATH = `${IDP_COOKIE_PATH}/idp/callback`;

/** Who creates a user at their first sign-in (IDP_CREATE_USERS): recorded on the UserRegistered event. */
export const IDP_ACTOR_ID = 'identity-provider';

export interface IdpLogger {
  log(message: Record<string, unknown>): void;
  warn(message: Record<string, unknown>): void;
  error(message: Record<string, unknown>): void;
}

export interface IdentityProviderSignInDeps {
  readonly config: IdentityProviderConfig;
  readonly store: EventStore;
  /** Runs RegisterUserCommand for IDP_CREATE_USERS. */
  readonly commands: Pick<CommandBus, 'execute'>;
  readonly logger: IdpLogger;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

/** Per request: csmcp's public base URL (the callback URL is built from it) and its cookie key. */
export interface IdpRequestContext {
  readonly baseUrl: string;
  readonly cookieKey: string;
}

export type IdpCallbackOutcome =
  | { readonly kind: 'signed-in'; readonly uid: string }
  | { readonly kind: 'refused'; readonly uid: string | null; readonly refusal: IdpSignInRefused };

interface PassportOutcome {
  readonly error?: unknown;
  readonly user?: { userId: string } | false;
  readonly info?: unknown;
  readonly redirect?: string;
}

/**
 * Sign-in through the company's identity provider (IDP_*), for the built-in authorization server's
 * sign-in page: `start` sends the browser to the identity provider, `callback` takes it back (code
 * exchange, claims, the csmcp user: passport-oauth2 does the protocol), `finish` hands the signed-in
 * user to the interaction it belongs to, which then goes on to consent exactly as after a password.
 * Refusals are IdpSignInRefused, logged with their code and never with a token.
 */
export class IdentityProviderSignIn {
  private passport: Promise<InstanceType<typeof Passport>> | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: IdentityProviderSignInDeps) {
    this.now = deps.now ?? Date.now;
  }

  get name(): string {
    return this.deps.config.name;
  }

  /**
   * Sends the browser to the identity provider (303) with PKCE and a fresh state, remembered in the
   * signed cookie; or says why not (the identity provider's configuration could not be read).
   */
  async start(req: IncomingMessage, res: ServerResponse, uid: string, context: IdpRequestContext): Promise<IdpSignInRefused | null> {
    try {
      const flow: Flow = { uid, pending: null, issued: null };
      const outcome = await this.authenticate({ query: {}, body: undefined, headers: req.headers, flow }, context);
      if (!outcome.redirect || !flow.issued) throw outcome.error instanceof Error ? outcome.error : new Error('passport-oauth2 did not redirect to the identity provider');
      const cookie = sealIdpCookie(idpCookieKey(context.cookieKey), { kind: 'pending', uid, ...flow.issued, exp: this.now() + PENDING_TTL_MS });
      res.statusCode = 303;
      res.setHeader('Location', outcome.redirect);
      res.setHeader('Set-Cookie', idpCookieHeader(cookie, { secure: context.baseUrl.startsWith('https:'), maxAgeMs: PENDING_TTL_MS }));
      res.setHeader('Cache-Control', 'no-store');
      res.end();
      return null;
    } catch (error) {
      return this.refused(error);
    }
  }

  /**
   * The identity provider's redirect back. Signed in: the cookie now names the user for `finish`, and
   * the caller sends the browser to the interaction. Refused: why, and the interaction to go back to.
   */
  async callback(req: IncomingMessage, res: ServerResponse, context: IdpRequestContext): Promise<IdpCallbackOutcome> {
    const key = idpCookieKey(context.cookieKey);
    const cookie = openIdpCookie(key, idpCookieFrom(req.headers.cookie), this.now());
    const pending = cookie?.kind === 'pending' ? cookie : null;
    const uid = pending?.uid ?? null;
    const refused = (error: unknown): IdpCallbackOutcome => ({ kind: 'refused', uid, refusal: this.refused(error) });
    try {
      const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
      const query = singleValued(new URL(url, 'http://csmcp.invalid').searchParams);
      if (!query || (!query.code && !query.error))
        return refused(new IdpSignInRefused('NOT_A_CALLBACK', `This page is where ${this.name} sends you back after signing in, with one code or error. Go back to the application and connect again.`));
      // RFC 9207: an identity provider that names itself must be the configured one (mix-up defence).
      if (this.deps.config.issuer && query.iss !== undefined && query.iss !== this.deps.config.issuer)
        return refused(new IdpSignInRefused('ISSUER_MISMATCH', `This answer comes from another server than ${this.name}, so it was not used. Go back to the sign-in page and try again.`));

      const flow: Flow = { uid: null, pending: pending ? { uid: pending.uid, state: pending.state, verifier: pending.verifier } : null, issued: null };
      const outcome = await this.authenticate({ query, body: undefined, headers: req.headers, flow }, context);
      const refusal = this.refusalOf(outcome, query);
      // A refusal leaves the pending cookie to expire: a forged callback must not end the real sign-in, and
      // the code it was for is single-use at the identity provider. Signing in again replaces it.
      if (refusal) return refused(refusal);
      const userId = (outcome.user as { userId: string }).userId;
      const signedIn = sealIdpCookie(key, { kind: 'signed-in', uid: pending!.uid, userId, exp: this.now() + SIGNED_IN_TTL_MS });
      res.setHeader('Set-Cookie', idpCookieHeader(signedIn, { secure: context.baseUrl.startsWith('https:'), maxAgeMs: SIGNED_IN_TTL_MS }));
      return { kind: 'signed-in', uid: pending!.uid };
    } catch (error) {
      return refused(error);
    }
  }

  /** The user the callback signed in for this interaction, once (the cookie is cleared); else null. */
  finish(req: IncomingMessage, res: ServerResponse, uid: string, context: IdpRequestContext): string | null {
    const cookie = openIdpCookie(idpCookieKey(context.cookieKey), idpCookieFrom(req.headers.cookie), this.now());
    if (cookie?.kind !== 'signed-in' || cookie.uid !== uid) return null;
    res.setHeader('Set-Cookie', idpCookieHeader('', { secure: context.baseUrl.startsWith('https:'), maxAgeMs: 0 }));
    return cookie.userId;
  }

  /** The csmcp user the identity provider's claims name: found by email, or created when IDP_CREATE_USERS says so. */
  async userFor(claims: Readonly<Record<string, unknown>>): Promise<{ userId: string }> {
    const { config } = this.deps;
    const identity = identityFromClaims(claims, config);
    const known = await findUserByEmail(this.deps.store, identity.email);
    if (known) return { userId: known.userId };
    if (!config.createUsers)
      throw new IdpSignInRefused(
        'UNKNOWN_USER',
        `You signed in to ${config.name} as ${identity.email}, but csmcp has no user with that email address. Ask a csmcp administrator to add you (csmcp users add), then sign in again.`,
        identity.email,
      );
    return this.createUser(identity.email, identity.name ?? identity.email.slice(0, identity.email.indexOf('@')), config.createUsers);
  }

  private async createUser(email: string, name: string, role: 'viewer' | 'csm'): Promise<{ userId: string }> {
    try {
      const created = await this.deps.commands.execute(
        new RegisterUserCommand(
          { email, name, role },
          { actor: { type: 'system', id: IDP_ACTOR_ID, name: `sign-in through ${this.name}` }, toolName: 'identity provider sign-in' },
        ),
      );
      this.deps.logger.log({ msg: 'User created at their first sign-in through the identity provider', email, role, userId: created.userId });
      return { userId: created.userId };
    } catch (error) {
      // Two first sign-ins at once: the other one registered the user.
      if (error instanceof DomainError && error.code === 'ALREADY_EXISTS') {
        const user = await findUserByEmail(this.deps.store, email);
        if (user) return { userId: user.userId };
      }
      if (error instanceof InputValidationError)
        throw new IdpSignInRefused('NO_EMAIL', `csmcp could not create a user for ${email}: ${error.message}. Ask a csmcp administrator to add you (csmcp users add).`, email);
      throw error;
    }
  }

  /** A refusal as it is logged (its code, never a token); anything else is csmcp's own failure. */
  private refused(error: unknown): IdpSignInRefused {
    if (error instanceof IdpSignInRefused) {
      this.deps.logger.warn({ msg: 'Sign-in through the identity provider refused', code: error.code, ...(error.email ? { email: error.email } : {}) });
      return error;
    }
    this.deps.logger.error({ msg: 'Sign-in through the identity provider failed', err: error instanceof Error ? error.message : String(error) });
    return new IdpSignInRefused('INTERNAL_ERROR', `csmcp could not complete the sign-in through ${this.name} because of an error of its own (logged). Try again, or sign in with your csmcp password.`);
  }

  /** Runs the strategy on one request; passport writes nothing to the real response (redirects are captured). */
  private async authenticate(req: FlowRequest, context: IdpRequestContext): Promise<PassportOutcome> {
    const passport = await this.passportInstance();
    return new Promise<PassportOutcome>((resolve) => {
      let location: string | undefined;
      const capture = {
        statusCode: 0,
        setHeader: (name: string, value: string) => {
          if (name.toLowerCase() === 'location') location = value;
        },
        end: () => resolve({ redirect: location }),
      };
      // passport-oauth2 reads callbackURL from the options (as redirect_uri at both steps).
      const options = { session: false, callbackURL: `${context.baseUrl}${IDP_CALLBACK_PATH}` };
      const middleware = passport.authenticate(STRATEGY_NAME, options as { session: boolean }, (error: unknown, user: unknown, info: unknown) =>
        resolve({ error, user: user as PassportOutcome['user'], info }),
      );
      try {
        (middleware as (req: unknown, res: unknown, next: (error?: unknown) => void) => void)(req, capture, (error) =>
          resolve({ error: error ?? new Error('passport passed the request on') }),
        );
      } catch (error) {
        resolve({ error });
      }
    });
  }

  /** Endpoints (discovered once, retried after a failure) and the Passport instance with the strategy. */
  private passportInstance(): Promise<InstanceType<typeof Passport>> {
    this.passport ??= resolveIdpEndpoints(this.deps.config, this.deps.fetch).then((endpoints) => {
      const passport = new Passport();
      passport.use(STRATEGY_NAME, new CompanyIdentityProviderStrategy(this.deps.config, endpoints, (claims) => this.userFor(claims)));
      return passport;
    });
    this.passport.catch(() => (this.passport = null));
    return this.passport;
  }

  /** null when the user is signed in; else why not (errors of the identity provider mapped to refusals). */
  private refusalOf(outcome: PassportOutcome, query: Readonly<Record<string, string>>): IdpSignInRefused | null {
    const { error, user, info } = outcome;
    if (!error && user) return null;
    if (error instanceof IdpSignInRefused) return error;
    if (info instanceof IdpSignInRefused) return info;
    const name = this.name;
    // Only the error code is shown: the description comes from the query string, which anyone can write.
    const code = (c: unknown) => (typeof c === 'string' && /^[\x21-\x7e]{1,64}$/.test(c) ? c : 'unknown');
    if (!error && query.error === 'access_denied')
      return new IdpSignInRefused('IDP_DENIED', `${name} did not sign you in (access_denied): you cancelled, or you may not use csmcp there. Go back to the sign-in page to try again.`);
    const oauthError = error as Partial<OAuth2Strategy.TokenError> & { name?: string };
    if (oauthError?.name === 'AuthorizationError')
      return new IdpSignInRefused('IDP_ERROR', `${name} answered the sign-in with an error (${code(oauthError.code)}). Go back to the sign-in page to try again, or ask your administrator.`);
    if (oauthError?.name === 'TokenError')
      return new IdpSignInRefused(
        'TOKEN_REFUSED',
        `${name} refused to complete the sign-in (${code(oauthError.code)}): the sign-in took too long, was already used, or csmcp's client id or secret there is wrong. Go back to the sign-in page to try again, or ask your administrator.`,
      );
    if (oauthError?.name === 'InternalOAuthError' || (error instanceof Error && error.message === 'Failed to obtain access token'))
      return new IdpSignInRefused('IDP_UNAVAILABLE', `csmcp could not complete the sign-in with ${name} (its token endpoint did not answer as expected). Try again later, or sign in with your csmcp password.`);
    if (error) throw error;
    return new IdpSignInRefused('IDP_DENIED', `${name} did not sign you in. Go back to the sign-in page to try again.`);
  }
}

/** The query as single values; null if a parameter is repeated (an ambiguous callback is not used). */
function singleValued(params: URLSearchParams): Record<string, string> | null {
  const query: Record<string, string> = {};
  for (const [name, value] of params) {
    if (name in query) return null;
    query[name] = value;
  }
  return query;
}
