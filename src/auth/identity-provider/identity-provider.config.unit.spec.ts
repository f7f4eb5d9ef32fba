import { ConfigError, loadConfig } from '../../config/config';
import { readIdentityProviderConfig } from './identity-provider.config';

const MINIMAL = { IDP_ISSUER: 'https://login.corp.example/realms/corp', IDP_CLIENT_ID: 'csmcp', IDP_CLIENT_SECRET: 's3cret-value' };
const read = (env: NodeJS.ProcessEnv, externalIssuer = false) => readIdentityProviderConfig(env, { externalIssuer });

describe('IDP_* configuration', () => {
  it('is off when no IDP_* variable is set (empty ones count as unset)', () => {
    expect(read({})).toEqual({ config: null, problems: [] });
    expect(read({ IDP_NAME: '', IDP_CLIENT_ID: '' })).toEqual({ config: null, problems: [] });
    expect(loadConfig({}).identityProvider).toBeNull();
  });

  it('takes an issuer, a client id and secret, and fills in the defaults', () => {
    expect(loadConfig(MINIMAL).identityProvider).toEqual({
      name: 'your company account',
      issuer: 'https://login.corp.example/realms/corp',
      authorizationUrl: null,
      tokenUrl: null,
      userinfoUrl: null,
      clientId: 'csmcp',
      clientSecret: 's3cret-value',
      scopes: ['openid', 'email', 'profile'],
      emailClaim: 'email',
      allowedDomains: null,
      createUsers: null,
    });
  });

  it('takes the three endpoints instead of an issuer, and every option', () => {
    const { config, problems } = read({
      IDP_NAME: ' Acme SSO ',
      IDP_AUTHORIZATION_URL: 'https://sso.acme.example/oauth2/authorize',
      IDP_TOKEN_URL: 'https://sso.acme.example/oauth2/token',
      IDP_USERINFO_URL: 'http://127.0.0.1:8080/userinfo',
      IDP_CLIENT_ID: 'csmcp',
      IDP_CLIENT_SECRET: 'x',
      IDP_SCOPES: 'openid  upn',
      IDP_EMAIL_CLAIM: 'upn',
      IDP_ALLOWED_DOMAINS: 'Acme.example, acme.co.uk',
      IDP_CREATE_USERS: 'csm',
    });
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      name: 'Acme SSO',
      issuer: null,
      userinfoUrl: 'http://127.0.0.1:8080/userinfo',
      scopes: ['openid', 'upn'],
      emailClaim: 'upn',
      allowedDomains: ['acme.example', 'acme.co.uk'],
      createUsers: 'csm',
    });
  });

  it.each([
    [{ IDP_NAME: 'Acme' }, 'IDP_AUTHORIZATION_URL, IDP_TOKEN_URL, IDP_USERINFO_URL are needed: set IDP_ISSUER (an OpenID Connect provider, its endpoints are discovered) or all of IDP_AUTHORIZATION_URL, IDP_TOKEN_URL and IDP_USERINFO_URL'],
    [{ IDP_NAME: 'Acme' }, 'IDP_CLIENT_ID is needed: the client id csmcp is registered with at the identity provider'],
    [{ IDP_NAME: 'Acme' }, 'IDP_CLIENT_SECRET is needed: the client secret csmcp is registered with at the identity provider'],
    [{ ...MINIMAL, IDP_ISSUER: 'http://login.corp.example' }, 'IDP_ISSUER must be the issuer URL of the identity provider (OpenID Connect discovery), e.g. https://login.example.com/realms/corp: https (http only on localhost, 127.0.0.1 or [::1]), no credentials or fragment or query (got "http://login.corp.example")'],
    [{ ...MINIMAL, IDP_ISSUER: 'https://login.corp.example?tenant=1' }, 'IDP_ISSUER must be the issuer URL'],
    [{ ...MINIMAL, IDP_TOKEN_URL: 'https://user:pw@login.corp.example/token' }, 'IDP_TOKEN_URL must be the token endpoint of the identity provider'],
    [{ ...MINIMAL, IDP_CREATE_USERS: 'admin' }, 'IDP_CREATE_USERS must be one of viewer, csm (the role of a user created at their first sign-in; admins are registered with csmcp users add), or unset to refuse emails csmcp does not know (got "admin")'],
    [{ ...MINIMAL, IDP_ALLOWED_DOMAINS: 'corp.example,@other.example' }, 'IDP_ALLOWED_DOMAINS must be a comma-separated list of email domains, e.g. example.com,example.co.uk (got "corp.example,@other.example")'],
    [{ ...MINIMAL, IDP_SCOPES: 'openid "email"' }, 'IDP_SCOPES must be space-separated OAuth scopes'],
    [{ ...MINIMAL, IDP_EMAIL_CLAIM: 'e mail' }, 'IDP_EMAIL_CLAIM must be the name of the claim holding the user'],
    [{ ...MINIMAL, IDP_NAME: 'x'.repeat(61) }, 'IDP_NAME must be the name on the sign-in button, 1 to 60 characters'],
  ])('refuses %j naming the variable and what is allowed', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never echoes the client secret, even a wrong one', () => {
    const { problems } = read({ ...MINIMAL, IDP_CLIENT_SECRET: 'tab\there' });
    expect(problems).toEqual(['IDP_CLIENT_SECRET must be printable ASCII, at most 1000 characters']);
  });

  it('is refused beside OAUTH_ISSUER, where there is no built-in sign-in page', () => {
    expect(() => loadConfig({ ...MINIMAL, OAUTH_ISSUER: 'https://as.example.com' })).toThrow(
      "IDP_ISSUER, IDP_CLIENT_ID, IDP_CLIENT_SECRET configure sign-in on csmcp's built-in authorization server, which is off while OAUTH_ISSUER is set",
    );
  });
});
