import { IntegrationError } from './integration-error';
import { checkRedirectUri, checkRedirectUris, redirectUriAllowed } from './redirect-uri';

describe('redirect URIs at registration', () => {
  it.each([
    'https://claude.ai/api/mcp/auth_callback',
    'https://chatgpt.com/connector_platform_oauth_redirect',
    'https://global.consent.azure-apim.net/redirect/cr123-5fcsmcp-5f0123456789abcdef',
    'https://app.example.com:8443/oauth/callback?tenant=acme',
    'http://127.0.0.1/callback',
    'http://127.0.0.1:33418/callback',
    'http://[::1]:8080/cb',
    'http://localhost:6274/oauth/callback',
  ])('accepts %s as given', (uri) => {
    expect(checkRedirectUri(`  ${uri} `)).toBe(uri);
  });

  it.each([
    ['javascript:alert(1)', 'has the scheme javascript: which is not allowed; use an https URL, or http on 127.0.0.1, [::1] or localhost'],
    ['data:text/html,<script>alert(1)</script>', 'has the scheme data: which is not allowed'],
    ['file:///etc/passwd', 'has the scheme file: which is not allowed'],
    ['com.example.app:/oauth2redirect', 'has the scheme com.example.app: which is not allowed'],
    ['ftp://example.com/cb', 'has the scheme ftp: which is not allowed'],
    ['http://example.com/callback', 'uses http on example.com; http is allowed only on 127.0.0.1, [::1] or localhost: use https'],
    ['http://127.0.0.1.nip.io/cb', 'uses http on 127.0.0.1.nip.io'],
    ['http://10.0.0.5/cb', 'uses http on 10.0.0.5'],
    ['https://example.com/cb#frag', 'has a fragment (#...), which a redirect URI must not have'],
    ['https://example.com/cb#', 'has a fragment'],
    ['https://user:pass@example.com/cb', 'contains a user name or password; remove them'],
    ['https://*.example.com/cb', 'contains a wildcard; register each redirect URI exactly as the connector sends it'],
    ['https://chatgpt.com/connector/oauth/*', 'contains a wildcard'],
    ['/relative/callback', 'is not an absolute URL'],
    ['https://exa mple.com/cb', 'contains spaces or control characters'],
    ['https://example.com/cb\nhttps://other.example', 'contains spaces or control characters'],
    [`https://example.com/${'a'.repeat(2000)}`, 'characters; at most 2000 are allowed'],
  ])('refuses %s', (uri, problem) => {
    expect(() => checkRedirectUri(uri)).toThrow(IntegrationError);
    expect(() => checkRedirectUri(uri)).toThrow(problem);
    try {
      checkRedirectUri(uri);
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_REDIRECT_URI', field: 'redirect_uris' });
    }
  });

  it('refuses an empty value and more than 20 URIs, and drops duplicates', () => {
    expect(() => checkRedirectUri('  ')).toThrow('a redirect URI must be a non-empty URL; use an https URL, or http on 127.0.0.1, [::1] or localhost');
    expect(checkRedirectUris(['https://a.example/cb', ' https://a.example/cb', 'https://b.example/cb'])).toEqual(['https://a.example/cb', 'https://b.example/cb']);
    expect(() => checkRedirectUris(Array.from({ length: 21 }, (_, i) => `https://a.example/${i}`))).toThrow('21 redirect URIs given; an integration may have at most 20');
  });
});

describe('redirect URIs at authorization', () => {
  const registered = ['https://claude.ai/api/mcp/auth_callback', 'http://127.0.0.1/callback', 'http://localhost:3000/oauth/cb?x=1', 'http://[::1]/cb'];

  it('matches registered URIs exactly', () => {
    expect(redirectUriAllowed(registered, 'https://claude.ai/api/mcp/auth_callback')).toBe(true);
    expect(redirectUriAllowed(registered, 'https://claude.ai/api/mcp/auth_callback/')).toBe(false);
    expect(redirectUriAllowed(registered, 'https://CLAUDE.ai/api/mcp/auth_callback')).toBe(false);
    expect(redirectUriAllowed(registered, 'https://claude.ai/api/mcp/auth_callback?next=evil')).toBe(false);
    expect(redirectUriAllowed(registered, 'https://claude.ai:443/api/mcp/auth_callback')).toBe(false);
    expect(redirectUriAllowed(registered, '')).toBe(false);
    expect(redirectUriAllowed([], 'https://claude.ai/api/mcp/auth_callback')).toBe(false);
  });

  it('lets a loopback http redirect use any port, and nothing else vary', () => {
    expect(redirectUriAllowed(registered, 'http://127.0.0.1:51234/callback')).toBe(true);
    expect(redirectUriAllowed(registered, 'http://localhost:6274/oauth/cb?x=1')).toBe(true);
    expect(redirectUriAllowed(registered, 'http://[::1]:9000/cb')).toBe(true);
    expect(redirectUriAllowed(registered, 'http://127.0.0.1:51234/other')).toBe(false);
    expect(redirectUriAllowed(registered, 'http://localhost:6274/oauth/cb?x=2')).toBe(false);
    // Another loopback name is another URI: 127.0.0.1 was registered, localhost was not.
    expect(redirectUriAllowed(registered, 'http://localhost:51234/callback')).toBe(false);
    expect(redirectUriAllowed(registered, 'https://127.0.0.1:51234/callback')).toBe(false);
    expect(redirectUriAllowed(registered, 'http://127.0.0.1:51234/callback#x')).toBe(false);
    expect(redirectUriAllowed(registered, 'http://evil@127.0.0.1:51234/callback')).toBe(false);
    // A non-loopback registered URI never gets the port leeway.
    expect(redirectUriAllowed(['https://app.example.com/cb'], 'https://app.example.com:8443/cb')).toBe(false);
  });
});
