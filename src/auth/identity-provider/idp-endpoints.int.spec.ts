import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IDP_DEFAULTS, type IdentityProviderConfig } from './identity-provider.config';
import { resolveIdpEndpoints } from './idp-endpoints';
import { IdpSignInRefused } from './idp-refusal';

/** Discovery against a real HTTP server on loopback that answers what each test sets. */
describe('resolveIdpEndpoints', () => {
  let server: Server;
  let issuer: string;
  let answer: { status: number; body: string } = { status: 200, body: '{}' };
  let requests: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url!);
      res.statusCode = answer.status;
      res.setHeader('Content-Type', 'application/json');
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/corp`;
  });
  beforeEach(() => (requests = []));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const config = (overrides: Partial<IdentityProviderConfig> = {}): IdentityProviderConfig => ({
    name: 'Corp SSO',
    issuer,
    authorizationUrl: null,
    tokenUrl: null,
    userinfoUrl: null,
    clientId: 'csmcp',
    clientSecret: 'secret',
    scopes: IDP_DEFAULTS.scopes.split(' '),
    emailClaim: 'email',
    allowedDomains: null,
    createUsers: null,
    ...overrides,
  });
  const metadata = (overrides: Record<string, unknown> = {}) =>
    JSON.stringify({
      issuer,
      authorization_endpoint: 'https://login.corp.example/auth',
      token_endpoint: 'https://login.corp.example/token',
      userinfo_endpoint: 'https://login.corp.example/me',
      ...overrides,
    });
  async function refusal(promise: Promise<unknown>): Promise<string> {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IdpSignInRefused);
    expect((error as IdpSignInRefused).code).toBe('IDP_UNAVAILABLE');
    return (error as IdpSignInRefused).message;
  }

  it('reads the issuer discovery document, with explicit endpoints taking precedence', async () => {
    answer = { status: 200, body: metadata() };
    expect(await resolveIdpEndpoints(config({ userinfoUrl: 'https://graph.corp.example/oidc/userinfo' }))).toEqual({
      authorizationUrl: 'https://login.corp.example/auth',
      tokenUrl: 'https://login.corp.example/token',
      userinfoUrl: 'https://graph.corp.example/oidc/userinfo',
    });
    expect(requests).toEqual(['/realms/corp/.well-known/openid-configuration']);
  });

  it('does not ask when all three endpoints are set', async () => {
    const explicit = { authorizationUrl: 'https://a.example/auth', tokenUrl: 'https://a.example/token', userinfoUrl: 'https://a.example/me' };
    expect(await resolveIdpEndpoints(config({ issuer: null, ...explicit }))).toEqual(explicit);
    expect(requests).toEqual([]);
  });

  it('refuses a document of another issuer (OpenID Connect Discovery §4.3)', async () => {
    answer = { status: 200, body: metadata({ issuer: 'https://evil.example' }) };
    expect(await refusal(resolveIdpEndpoints(config()))).toBe(
      `csmcp could not read the configuration of Corp SSO (${issuer}/.well-known/openid-configuration): its issuer is "https://evil.example", not IDP_ISSUER "${issuer}". Try again later, or sign in with your csmcp password.`,
    );
  });

  it('refuses endpoints that are not https, missing ones, an error status and a body that is not JSON', async () => {
    answer = { status: 200, body: metadata({ token_endpoint: 'http://login.corp.example/token' }) };
    expect(await refusal(resolveIdpEndpoints(config()))).toContain('its token_endpoint is not an https URL ("http://login.corp.example/token")');
    answer = { status: 200, body: metadata({ userinfo_endpoint: undefined }) };
    expect(await refusal(resolveIdpEndpoints(config()))).toContain('its userinfo_endpoint is missing');
    answer = { status: 503, body: 'down' };
    expect(await refusal(resolveIdpEndpoints(config()))).toContain('it answered HTTP 503');
    answer = { status: 200, body: '<html>' };
    expect(await refusal(resolveIdpEndpoints(config()))).toContain('the document is not JSON');
  });
});
