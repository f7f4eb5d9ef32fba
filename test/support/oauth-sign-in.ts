/**
 * A connector's OAuth sign-in against a running `csmcp serve`, walked as ChatGPT or Claude walk it:
 * discovery from the MCP endpoint's protected resource metadata, an authorization request with PKCE
 * (S256) and `resource`, csmcp's sign-in and consent pages posted as a browser would, and the code
 * redeemed at the token endpoint with the integration's secret (oauth4webapi, strict checks; only
 * plain http to the loopback server is allowed). The redirect URI is never fetched: the code is read
 * from the Location header, so a connector's real https callback URL can be registered and used.
 */
import * as oauth from 'oauth4webapi';
import { cookieJarFetch, formOf } from './oauth-forms';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

export interface AuthorizationServerOf {
  readonly as: oauth.AuthorizationServer;
  /** The protected resource (the MCP URL) tokens are asked for. */
  readonly resource: string;
}

/** 401-free discovery: protected resource metadata of `<base>/mcp`, then the authorization server's. */
export async function discoverAuthorizationServer(baseUrl: string): Promise<AuthorizationServerOf> {
  const mcpUrl = new URL(`${baseUrl}/mcp`);
  const prm = await oauth.processResourceDiscoveryResponse(mcpUrl, await oauth.resourceDiscoveryRequest(mcpUrl, insecure));
  const issuer = new URL(prm.authorization_servers![0]);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  return { as, resource: prm.resource };
}

export interface Connector {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  /** How it authenticates at the token endpoint (Claude's custom connector posts the secret). */
  readonly auth: 'client_secret_basic' | 'client_secret_post';
}

export interface SignedIn {
  readonly tokens: oauth.TokenEndpointResponse;
  /** The consent page's HTML, for what it names (the integration, the host it returns to, the scopes). */
  readonly consentPage: string;
}

/** Authorization code + PKCE through csmcp's pages as this user, then the code redeemed: the tokens. */
export async function signInThrough(
  server: AuthorizationServerOf,
  connector: Connector,
  user: { readonly email: string; readonly password: string },
  scope = 'cs:read cs:write',
): Promise<SignedIn> {
  const { as, resource } = server;
  const client: oauth.Client = { client_id: connector.clientId };
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: connector.clientId,
    response_type: 'code',
    redirect_uri: connector.redirectUri,
    scope,
    state,
    resource,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  const go = cookieJarFetch();
  let res = await go(url.href);
  let consentPage = '';
  for (let step = 0; step < 10; step++) {
    if (res.status === 302 || res.status === 303) {
      const location = new URL(res.headers.get('location')!, as.issuer);
      if (location.href.startsWith(connector.redirectUri)) {
        const params = oauth.validateAuthResponse(as, client, location, state);
        const auth = connector.auth === 'client_secret_post' ? oauth.ClientSecretPost(connector.clientSecret) : oauth.ClientSecretBasic(connector.clientSecret);
        const tokens = await oauth.processAuthorizationCodeResponse(
          as,
          client,
          await oauth.authorizationCodeGrantRequest(as, client, auth, params, connector.redirectUri, verifier, { additionalParameters: { resource }, ...insecure }),
        );
        return { tokens, consentPage };
      }
      res = await go(location.href);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`the sign-in stopped at ${res.url || url.href} with ${res.status}:\n${html}`);
    const password = html.includes('type="password"');
    if (!password) consentPage = html;
    const form = formOf(html, password ? /\/login$/ : /\/confirm$/);
    res = await go(new URL(form.action, as.issuer).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(password ? { csrf: form.csrf, email: user.email, password: user.password } : { csrf: form.csrf }).toString(),
    });
  }
  throw new Error(`the sign-in did not end at ${connector.redirectUri}: ${res.status}`);
}
