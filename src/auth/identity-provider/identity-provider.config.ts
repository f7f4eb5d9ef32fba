/**
 * IDP_*: users sign in to csmcp's built-in authorization server through the company's identity
 * provider (any OAuth 2.0 / OpenID Connect server), besides csmcp's own passwords. Pure: reads an
 * environment, says what is wrong with it. README.md, section Sign-in, documents the variables.
 */

export const IDP_VARIABLES = [
  'IDP_NAME',
  'IDP_ISSUER',
  'IDP_AUTHORIZATION_URL',
  'IDP_TOKEN_URL',
  'IDP_USERINFO_URL',
  'IDP_CLIENT_ID',
  'IDP_CLIENT_SECRET',
  'IDP_SCOPES',
  'IDP_EMAIL_CLAIM',
  'IDP_ALLOWED_DOMAINS',
  'IDP_CREATE_USERS',
] as const;

/** The roles a first sign-in may create a user with; admins are registered by an admin, never by a sign-in. */
export const CREATABLE_ROLES = ['viewer', 'csm'] as const;
export type CreatableRole = (typeof CREATABLE_ROLES)[number];

export const IDP_DEFAULTS = { name: 'your company account', scopes: 'openid email profile', emailClaim: 'email' } as const;

export interface IdentityProviderConfig {
  /** The sign-in button says "Sign in with <name>" (IDP_NAME). */
  readonly name: string;
  /** An OpenID Connect issuer whose discovery document gives the endpoints not set below (IDP_ISSUER); null = none. */
  readonly issuer: string | null;
  readonly authorizationUrl: string | null;
  readonly tokenUrl: string | null;
  /** Where the claims come from: the UserInfo endpoint, called with the access token. */
  readonly userinfoUrl: string | null;
  readonly clientId: string;
  /** Sent in the token request body (client_secret_post). Never logged. */
  readonly clientSecret: string;
  readonly scopes: readonly string[];
  /** The claim holding the user's email address (IDP_EMAIL_CLAIM, default email). */
  readonly emailClaim: string;
  /** Lower-case email domains allowed to sign in (IDP_ALLOWED_DOMAINS); null = any. */
  readonly allowedDomains: readonly string[] | null;
  /** Register an unknown email as a user with this role (IDP_CREATE_USERS); null = refuse it. */
  readonly createUsers: CreatableRole | null;
}

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;
/** RFC 6749 §3.3 scope-token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

const URL_VARIABLES = {
  IDP_ISSUER: 'the issuer URL of the identity provider (OpenID Connect discovery), e.g. https://login.example.com/realms/corp',
  IDP_AUTHORIZATION_URL: 'the authorization endpoint of the identity provider, e.g. https://login.example.com/oauth2/authorize',
  IDP_TOKEN_URL: 'the token endpoint of the identity provider, e.g. https://login.example.com/oauth2/token',
  IDP_USERINFO_URL: 'the UserInfo endpoint of the identity provider, e.g. https://login.example.com/oauth2/userinfo',
} as const;

/**
 * The IDP_* variables as configuration, and every problem with them (empty = fine). None set: no
 * identity provider. `externalIssuer`: OAUTH_ISSUER is set, so there is no built-in sign-in page to add
 * a button to.
 */
export function readIdentityProviderConfig(
  env: NodeJS.ProcessEnv,
  options: { readonly externalIssuer: boolean },
): { config: IdentityProviderConfig | null; problems: string[] } {
  const raw: Partial<Record<(typeof IDP_VARIABLES)[number], string>> = {};
  // An empty variable means "not set", as for every other variable.
  for (const name of IDP_VARIABLES) if (env[name] !== undefined && env[name] !== '') raw[name] = env[name];
  const set = IDP_VARIABLES.filter((name) => raw[name] !== undefined);
  if (set.length === 0) return { config: null, problems: [] };

  const problems: string[] = [];
  const got = (name: keyof typeof raw) => ` (got ${JSON.stringify(raw[name])})`;
  if (options.externalIssuer)
    problems.push(
      `${set.join(', ')} ${set.length === 1 ? 'configures' : 'configure'} sign-in on csmcp's built-in authorization server, which is off while OAUTH_ISSUER is set: sign-in then happens at that authorization server; unset one or the other`,
    );

  for (const name of Object.keys(URL_VARIABLES) as Array<keyof typeof URL_VARIABLES>) {
    const value = raw[name];
    if (value !== undefined && urlProblem(value, name === 'IDP_ISSUER'))
      problems.push(
        `${name} must be ${URL_VARIABLES[name]}: https (http only on localhost, 127.0.0.1 or [::1]), no credentials or fragment${name === 'IDP_ISSUER' ? ' or query' : ''}${got(name)}`,
      );
  }
  if (!raw.IDP_ISSUER) {
    const missing = (['IDP_AUTHORIZATION_URL', 'IDP_TOKEN_URL', 'IDP_USERINFO_URL'] as const).filter((name) => !raw[name]);
    if (missing.length > 0)
      problems.push(
        `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} needed: set IDP_ISSUER (an OpenID Connect provider, its endpoints are discovered) or all of IDP_AUTHORIZATION_URL, IDP_TOKEN_URL and IDP_USERINFO_URL`,
      );
  }
  if (!raw.IDP_CLIENT_ID) problems.push('IDP_CLIENT_ID is needed: the client id csmcp is registered with at the identity provider');
  else if (!/^[\x20-\x7e]{1,500}$/.test(raw.IDP_CLIENT_ID)) problems.push(`IDP_CLIENT_ID must be printable ASCII, at most 500 characters${got('IDP_CLIENT_ID')}`);
  // The secret is never echoed back, not even in a configuration error.
  if (!raw.IDP_CLIENT_SECRET) problems.push('IDP_CLIENT_SECRET is needed: the client secret csmcp is registered with at the identity provider');
  else if (!/^[\x20-\x7e]{1,1000}$/.test(raw.IDP_CLIENT_SECRET)) problems.push('IDP_CLIENT_SECRET must be printable ASCII, at most 1000 characters');

  if (raw.IDP_NAME !== undefined && !/^[^\x00-\x1f\x7f]{1,60}$/.test(raw.IDP_NAME.trim()))
    problems.push(`IDP_NAME must be the name on the sign-in button, 1 to 60 characters without control characters, e.g. "Acme SSO"${got('IDP_NAME')}`);
  const scopes = (raw.IDP_SCOPES ?? IDP_DEFAULTS.scopes).split(' ').filter(Boolean);
  if (scopes.length === 0 || !scopes.every((s) => SCOPE_TOKEN.test(s)))
    problems.push(`IDP_SCOPES must be space-separated OAuth scopes, e.g. "${IDP_DEFAULTS.scopes}"${got('IDP_SCOPES')}`);
  if (raw.IDP_EMAIL_CLAIM !== undefined && !/^[\x21-\x7e]{1,200}$/.test(raw.IDP_EMAIL_CLAIM))
    problems.push(`IDP_EMAIL_CLAIM must be the name of the claim holding the user's email address (no spaces), e.g. email, upn or preferred_username${got('IDP_EMAIL_CLAIM')}`);
  const domains = raw.IDP_ALLOWED_DOMAINS?.split(',').map((d) => d.trim().toLowerCase());
  if (domains && !(domains.length > 0 && domains.every((d) => DOMAIN.test(d))))
    problems.push(`IDP_ALLOWED_DOMAINS must be a comma-separated list of email domains, e.g. example.com,example.co.uk${got('IDP_ALLOWED_DOMAINS')}`);
  if (raw.IDP_CREATE_USERS !== undefined && !(CREATABLE_ROLES as readonly string[]).includes(raw.IDP_CREATE_USERS))
    problems.push(
      `IDP_CREATE_USERS must be one of ${CREATABLE_ROLES.join(', ')} (the role of a user created at their first sign-in; admins are registered with csmcp users add), or unset to refuse emails csmcp does not know${got('IDP_CREATE_USERS')}`,
    );

  if (problems.length > 0) return { config: null, problems };
  return {
    config: {
      name: (raw.IDP_NAME ?? IDP_DEFAULTS.name).trim(),
      issuer: raw.IDP_ISSUER ?? null,
      authorizationUrl: raw.IDP_AUTHORIZATION_URL ?? null,
      tokenUrl: raw.IDP_TOKEN_URL ?? null,
      userinfoUrl: raw.IDP_USERINFO_URL ?? null,
      clientId: raw.IDP_CLIENT_ID!,
      clientSecret: raw.IDP_CLIENT_SECRET!,
      scopes,
      emailClaim: raw.IDP_EMAIL_CLAIM ?? IDP_DEFAULTS.emailClaim,
      allowedDomains: domains ?? null,
      createUsers: (raw.IDP_CREATE_USERS as CreatableRole | undefined) ?? null,
    },
    problems: [],
  };
}

/**
 * The identity provider's endpoints are where csmcp sends users and its client secret: https, or
 * plain http only on this machine (a local test server). An issuer has no query (RFC 8414 §2).
 */
export function urlProblem(value: string, issuer: boolean): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return true;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname))) return true;
  return Boolean(url.username || url.password || url.hash || value.includes('#') || (issuer && (url.search || value.includes('?'))));
}
