/**
 * A company identity provider for end-to-end tests: a real OpenID Connect server (node-oidc-provider,
 * in this process) with test accounts (email and password), its own sign-in, consent and cancel
 * pages, discovery, a token endpoint that requires PKCE and client_secret_post, and UserInfo with the
 * email, email_verified and name claims. Its issuer is http://localhost:<port> while csmcp runs on
 * 127.0.0.1, so a browser keeps the two servers' cookies apart (both are oidc-provider: same names).
 * It records every authorization code and access token it issues, so a test can look for them in
 * csmcp's logs.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';

export interface TestAccount {
  readonly email: string;
  readonly password: string;
  readonly name: string;
  /** The email_verified claim (default true). */
  readonly emailVerified?: boolean;
}

export interface TestIdentityProvider {
  /** http://localhost:<port>, as its discovery document and iss say. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Registers csmcp's callback URLs (known once csmcp listens); before that every request gets 503. */
  register(redirectUris: readonly string[]): Promise<void>;
  /** Authorization codes and access tokens it issued, as the client saw them. */
  readonly issued: string[];
  close(): Promise<void>;
}

export async function startTestIdentityProvider(accounts: readonly TestAccount[]): Promise<TestIdentityProvider> {
  const byEmail = new Map(accounts.map((a, i) => [a.email, { ...a, id: `acct-${i + 1}` }]));
  const byId = new Map([...byEmail.values()].map((a) => [a.id, a]));
  const issued: string[] = [];
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  const server: Server = createServer((req, res) => {
    if (handler) return handler(req, res);
    res.statusCode = 503;
    res.end('not configured yet');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://localhost:${(server.address() as AddressInfo).port}`;
  const clientId = 'csmcp';
  const clientSecret = 'test-idp-client-secret-0123456789';

  return {
    issuer,
    clientId,
    clientSecret,
    issued,
    async register(redirectUris) {
      const { default: OidcProvider } = await import('oidc-provider');
      const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
      const provider = new OidcProvider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: [...redirectUris],
            grant_types: ['authorization_code'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_post',
            id_token_signed_response_alg: 'ES256',
          },
        ],
        jwks: { keys: [{ ...signingKey, alg: 'ES256', use: 'sig', kid: 'test-idp' }] } as never,
        cookies: { keys: ['test identity provider cookie key'] },
        // csmcp must send a PKCE S256 challenge: the identity provider insists.
        pkce: { required: () => true },
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
        findAccount: async (_ctx, id) => {
          const account = byId.get(id);
          if (!account) return undefined;
          return { accountId: id, claims: async () => ({ sub: id, email: account.email, email_verified: account.emailVerified ?? true, name: account.name }) };
        },
        interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
        features: { devInteractions: { enabled: false } },
        adapter: memoryAdapter(),
        ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
      });
      provider.on('authorization_code.saved', (code: { jti: string }) => issued.push(code.jti));
      provider.on('access_token.saved', (token: { jti: string }) => issued.push(token.jti));
      const callback = provider.callback();
      handler = (req, res) => {
        const match = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|consent|cancel))?$/.exec(req.url ?? '');
        if (!match) return void callback(req, res);
        interaction(provider, byEmail, req, res, match[1], match[2]).catch((error: Error) => {
          res.statusCode = 500;
          res.end(`test identity provider: ${error.message}`);
        });
      };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The identity provider's own pages: sign in with email and password, then "Continue to csmcp" (or Cancel). */
async function interaction(
  provider: Provider,
  accounts: Map<string, TestAccount & { id: string }>,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
  action: string | undefined,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const base = `/interaction/${uid}`;
  if (req.method === 'GET') {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    if (details.prompt.name === 'login')
      return void res.end(`<!doctype html><title>Corp sign-in</title><h1>Corp sign-in</h1>
<form method="post" action="${base}/login"><label>Email <input type="email" name="email"></label><label>Password <input type="password" name="password"></label><button type="submit">Sign in to Corp</button></form>
<form method="post" action="${base}/cancel"><button type="submit">Cancel</button></form>`);
    return void res.end(`<!doctype html><title>Corp consent</title><h1>Share your email with csmcp?</h1>
<form method="post" action="${base}/consent"><button type="submit">Continue to csmcp</button></form>
<form method="post" action="${base}/cancel"><button type="submit">Cancel</button></form>`);
  }
  const form = new URLSearchParams(await bodyOf(req));
  if (action === 'cancel')
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user cancelled at Corp' }, { mergeWithLastSubmission: false });
  if (action === 'login') {
    const account = accounts.get(form.get('email') ?? '');
    if (!account || account.password !== form.get('password')) {
      res.statusCode = 401;
      return void res.end('wrong email or password');
    }
    return provider.interactionFinished(req, res, { login: { accountId: account.id } }, { mergeWithLastSubmission: false });
  }
  const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

/** The provider's state in a Map (what its development adapter does, without its warning). */
function memoryAdapter() {
  const entries = new Map<string, Record<string, unknown>>();
  return class MemoryAdapter {
    constructor(private readonly model: string) {}
    private key = (id: string) => `${this.model}:${id}`;
    async upsert(id: string, payload: Record<string, unknown>) {
      entries.set(this.key(id), payload);
    }
    async find(id: string) {
      return entries.get(this.key(id));
    }
    async findByUid(uid: string) {
      return [...entries.entries()].find(([key, p]) => key.startsWith(`${this.model}:`) && p.uid === uid)?.[1];
    }
    async findByUserCode() {
      return undefined;
    }
    async consume(id: string) {
      const payload = entries.get(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      entries.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string) {
      for (const [key, p] of entries) if (p.grantId === grantId) entries.delete(key);
    }
  };
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
