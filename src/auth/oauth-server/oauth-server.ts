import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JSONWebKeySet } from 'jose';
import type Provider from 'oidc-provider';
import type { EventStore } from '@csmcp/event-store';
import type { AppConfig } from '../../config/config';
import { CimdFetcher } from '../clients/cimd-fetcher';
import type { IdentityProviderSignIn } from '../identity-provider/identity-provider-sign-in';
import type { IntegrationService } from '../integrations/integration.service';
import type { PasswordService } from '../passwords/password.service';
import { publicBaseUrl, type RequestLike } from '../http/public-base-url';
import { addressGroup } from '../integrations/ip-allow-list';
import { clientAddress, rememberClientAddress } from '../../net/client-address';
import { handleInteraction } from './interactions';
import type { OAuthStateStore } from './oauth-state.store';
import { buildProvider, INTERACTION_PATH, OAUTH_ROUTES } from './provider-configuration';
import { SigningKeys } from './signing-keys';

/** The paths Copilot Studio's manual setup asks for, and where they lead. */
export const OAUTH_ALIASES: Readonly<Record<string, string>> = {
  '/v1/authorize': OAUTH_ROUTES.authorization,
  '/v1/users/oauth/access/token': OAUTH_ROUTES.token,
};
const MAX_ISSUERS = 16;
/** DCR: registrations per client address (an IPv6 /64) and hour. */
export const REGISTRATIONS_PER_HOUR = 20;

type Req = IncomingMessage & RequestLike & { originalUrl?: string; baseUrl?: string };

export interface OAuthServerDeps {
  readonly config: AppConfig;
  readonly store: EventStore;
  readonly state: OAuthStateStore;
  readonly integrations: IntegrationService;
  readonly passwords: PasswordService;
  /** Sign-in through the company's identity provider (IDP_*); null = passwords only. */
  readonly identityProvider?: IdentityProviderSignIn | null;
}

/**
 * csmcp's built-in authorization server: one oidc-provider per issuer (csmcp's public base URL; one
 * when PUBLIC_URL is set), built on first use with the shared keys and state. `handle` takes the
 * requests that are the provider's (and its aliases, the metadata and the interaction pages) and
 * says false for anything else.
 *
 * oidc-provider takes its keys when it is constructed: when the key set changes (a rotation or
 * retirement by any instance or the CLI, seen within KEY_SET_MAX_AGE_MS), the issuer's provider is
 * built again with the new keys and serves every request from then on. Nothing is lost: its state is
 * in the shared database and its cookies are sealed with the cookie key, which does not rotate.
 */
export class OAuthServer {
  private readonly providers = new Map<string, { readonly version: number; readonly provider: Promise<Provider> }>();
  private readonly keys: SigningKeys;
  private readonly registrations = new Map<string, number[]>();
  /** One cache of client ID metadata documents for every issuer. */
  private readonly clientIdDocuments: CimdFetcher;

  constructor(private readonly deps: OAuthServerDeps) {
    this.keys = new SigningKeys(deps.store, deps.state, { retireAfterMs: deps.config.signingKeyRetireAfterMs });
    this.clientIdDocuments = new CimdFetcher({ allowedHosts: deps.config.cimdAllowedHosts ?? [] });
  }

  /**
   * The public half of the signing keys (the resource server's key set); read again first when it
   * lacks `kid`, the key a token names (at most every UNKNOWN_KID_REFRESH_MS).
   */
  publicJwks(kid?: string): Promise<JSONWebKeySet> {
    return this.keys.publicJwks(kid);
  }

  /** The issuer's provider, built for the current key set. */
  async provider(issuer: string): Promise<Provider> {
    const keys = await this.keys.current();
    const built = this.providers.get(issuer);
    if (built?.version === keys.version) return built.provider;
    this.providers.delete(issuer);
    if (this.providers.size >= MAX_ISSUERS) this.providers.delete(this.providers.keys().next().value as string);
    const { config, store, state, integrations } = this.deps;
    const provider = buildProvider(issuer, {
      store,
      state,
      integrations,
      keys,
      clientIdDocuments: config.clientIdMetadataDocuments === false ? null : this.clientIdDocuments,
      dynamicRegistration: config.dynamicClientRegistration !== false,
    });
    const entry = { version: keys.version, provider };
    provider.catch(() => {
      if (this.providers.get(issuer) === entry) this.providers.delete(issuer);
    });
    this.providers.set(issuer, entry);
    return provider;
  }

  /** Whether the request is the authorization server's; then it is answered. */
  async handle(req: Req, res: ServerResponse): Promise<boolean> {
    const url = req.originalUrl ?? req.url ?? '/';
    const at = url.indexOf('?');
    const path = at < 0 ? url : url.slice(0, at);
    const query = at < 0 ? '' : url.slice(at);
    const target = OAUTH_ALIASES[path] ?? path;
    const interaction = target === INTERACTION_PATH || target.startsWith(`${INTERACTION_PATH}/`);
    const ours =
      interaction || target.startsWith('/oauth/') || target === '/.well-known/oauth-authorization-server' || target === '/.well-known/openid-configuration';
    if (!ours) return false;

    // Behind trusted proxies the client is in X-Forwarded-For: resolved once, for the sign-in limit,
    // the DCR limit and the token endpoint's IP allow-list check (provider-configuration).
    const address = clientAddress(req, this.deps.config.trustedProxies ?? []);
    rememberClientAddress(req, address);
    const base = publicBaseUrl(this.deps.config, req);
    const provider = await this.provider(base);
    if (interaction) {
      const { passwords, state, identityProvider = null } = this.deps;
      await handleInteraction(provider, { passwords, state, csrfKey: (await this.keys.current()).cookieKeys[0], identityProvider, baseUrl: base }, req, res, target);
      return true;
    }
    if (this.deps.config.dynamicClientRegistration === false && (target === OAUTH_ROUTES.registration || target.startsWith(`${OAUTH_ROUTES.registration}/`))) {
      // Not advertised in the metadata either (provider-configuration); clients registered before keep working.
      answerJson(res, 403, {
        error: 'access_denied',
        error_description: 'Dynamic client registration is turned off on this server (OAUTH_DYNAMIC_REGISTRATION=off); ask an admin to register the client as an integration',
      });
      return true;
    }
    if (target === OAUTH_ROUTES.registration && req.method === 'POST' && !this.registrationAllowed(addressGroup(address) ?? '')) {
      res.setHeader('Retry-After', '3600');
      answerJson(res, 429, { error: 'invalid_request', error_description: `Too many client registrations from this address; at most ${REGISTRATIONS_PER_HOUR} an hour` });
      return true;
    }
    // The provider builds its URLs from these (proxy mode): they are set from csmcp's own idea of its
    // public URL, never taken from the client (decision record, pitfall 3).
    const publicUrl = new URL(base);
    req.headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
    req.headers['x-forwarded-host'] = publicUrl.host;
    // Nor is the client's address taken from the client: the provider (ctx.ip) gets the one resolved above.
    if (address) req.headers['x-forwarded-for'] = address;
    else delete req.headers['x-forwarded-for'];
    delete req.headers['x-forwarded-port'];
    req.url = target + query;
    req.originalUrl = target + query;
    req.baseUrl = '';
    await provider.callback()(req, res);
    return true;
  }

  private registrationAllowed(address: string): boolean {
    const now = Date.now();
    const recent = (this.registrations.get(address) ?? []).filter((t) => t > now - 3_600_000);
    if (recent.length >= REGISTRATIONS_PER_HOUR) return false;
    recent.push(now);
    this.registrations.set(address, recent);
    if (this.registrations.size > 10_000) this.registrations.delete(this.registrations.keys().next().value as string);
    return true;
  }
}

function answerJson(res: ServerResponse, status: number, body: Record<string, string>): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}
