import { createHash, timingSafeEqual } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { AdapterPayload, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { EventStore } from '@csmcp/event-store';
import { findUserById } from '../../users/user-directory';
import { ClientIdDocumentError, type CimdFetcher } from '../clients/cimd-fetcher';
import { cimdClient, namesMetadataDocument } from '../clients/cimd-client';
import { ClientMetadataError, validateClientMetadata } from '../clients/client-metadata';
import { isWellFormedClientId } from '../integrations/client-credentials';
import type { Integration } from '../integrations/integration';
import type { IntegrationService } from '../integrations/integration.service';
import { ipAllowed } from '../integrations/ip-allow-list';
import { rememberedClientAddress } from '../../net/client-address';
import { MCP_RESOURCE_PATHS } from '../http/protected-resource.controller';
import { SCOPES } from '../principal';
import { adapterFor } from './adapter';
import { ADMIN_CONSOLE_CLIENT_ID, ADMIN_CONSOLE_RESOURCE_PATH, ADMIN_CONSOLE_SCOPE, adminConsoleClient, adminConsoleRefreshTtl } from './admin-console-client';
import type { OAuthStateStore } from './oauth-state.store';
import type { AuthorizationServerKeys } from './signing-keys';

/** Where the provider answers (none of them a suffix of an alias: see the decision record, pitfall 4). */
export const OAUTH_ROUTES = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  jwks: '/oauth/jwks',
  registration: '/oauth/register',
  revocation: '/oauth/revoke',
  end_session: '/oauth/session/end',
  userinfo: '/oauth/me',
  introspection: '/oauth/introspect',
  pushed_authorization_request: '/oauth/par',
  code_verification: '/oauth/device',
  device_authorization: '/oauth/device/auth',
  backchannel_authentication: '/oauth/backchannel',
  challenge: '/oauth/challenge',
} as const;
export const INTERACTION_PATH = '/oauth/interaction';

export const TTL = {
  authorizationCode: 60,
  accessToken: 30 * 60,
  refreshToken: 30 * 24 * 3600,
  grant: 365 * 24 * 3600,
  interaction: 10 * 60,
  session: 24 * 3600,
} as const;

/**
 * Concurrent refreshes (issue 5): a refresh token used again within this long of its first use is
 * rotated again rather than taken for a replay; later, a reuse revokes the whole grant.
 */
export const REFRESH_REUSE_GRACE_MS = 2_000;

/** A DCR client's secret is stored as this prefix + its SHA-256; integrations' secrets only in their registry. */
const HASHED = 'sha256:';
/** What an integration's client_secret reads as: the provider needs a value; compareClientSecret asks the registry. */
const INTEGRATION_SECRET = 'csmcp-integration-secret-is-checked-by-the-registry';

export interface ProviderDeps {
  readonly store: EventStore;
  readonly state: OAuthStateStore;
  readonly integrations: IntegrationService;
  readonly keys: AuthorizationServerKeys;
  /** Client ID Metadata Documents (an https client_id): fetched, checked and cached here; absent = not accepted. */
  readonly clientIdDocuments?: Pick<CimdFetcher, 'get'> | null;
  /** The registration endpoint (RFC 7591; OAUTH_DYNAMIC_REGISTRATION); absent = on. */
  readonly dynamicRegistration?: boolean;
}

function isLoopbackHttp(uri: string): boolean {
  try {
    const url = new URL(uri);
    return url.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  } catch {
    return false;
  }
}

/** oidc-provider ignores a loopback redirect's port only for native clients (RFC 8252 §7.3). */
function applicationTypeFor(redirectUris: readonly string[]): 'native' | 'web' {
  return redirectUris.length > 0 && redirectUris.every(isLoopbackHttp) ? 'native' : 'web';
}

/** An enabled integration as oidc-provider client metadata; undefined when it cannot be used. */
export function integrationClient(integration: Integration): AdapterPayload | undefined {
  if (!integration.enabled) return undefined;
  // Machine clients act for the organisation: only confidential, shared-context integrations get client_credentials.
  const grantTypes = integration.grantTypes.filter((g) => g !== 'client_credentials' || (integration.confidential && integration.accessContext === 'shared'));
  const codeFlow = grantTypes.includes('authorization_code');
  if (grantTypes.length === 0) return undefined;
  const redirectUris = codeFlow ? [...integration.redirectUris] : [];
  return {
    client_id: integration.clientId,
    client_name: integration.name,
    ...(integration.confidential ? { client_secret: INTEGRATION_SECRET } : {}),
    token_endpoint_auth_method: integration.tokenEndpointAuthMethod,
    grant_types: grantTypes,
    response_types: codeFlow ? ['code'] : [],
    redirect_uris: redirectUris,
    scope: integration.scopes.join(' '),
    application_type: applicationTypeFor(redirectUris),
    csmcp_context: integration.accessContext,
  } as AdapterPayload;
}

/**
 * One oidc-provider instance for `issuer` (csmcp's public base URL), configured as the decision record
 * (docs/oauth-authorization-server.md) lays out: authorization code + PKCE S256 only, resource
 * indicators with ES256 at+jwt access tokens for the MCP URLs, refresh rotation with reuse detection,
 * revocation, client credentials for shared integrations, DCR through validateClientMetadata, Client ID
 * Metadata Documents through deps.clientIdDocuments.
 */
export async function buildProvider(issuer: string, deps: ProviderDeps): Promise<Provider> {
  // Loaded on first use, not at import: oidc-provider warns on stderr at import on Node 20 ("Unsupported
  // runtime"), which CLI commands must not print; only the server ever builds a provider.
  const oidc = await import('oidc-provider');
  const { errors } = oidc;
  const resources = MCP_RESOURCE_PATHS.map((p) => `${issuer}${p}`);
  // A URL as client_id: the client is what its metadata document says, fetched with csmcp's SSRF-guarded
  // fetch (CimdFetcher) and handed to the provider as an adapter-loaded client. Not oidc-provider's own
  // clientIdMetadataDocument feature: its refusals all read "client_id metadata document fetch failed",
  // it has no allow-list for an admin's internal hosts, and its address guard is off under jest.
  const metadataDocumentClient = async (id: string): Promise<AdapterPayload | undefined> => {
    if (!deps.clientIdDocuments)
      throw new errors.InvalidClient('this server does not accept client ID metadata documents (OAUTH_CLIENT_ID_METADATA_DOCUMENTS=off); use a client registered by an admin');
    try {
      return cimdClient(await deps.clientIdDocuments.get(id)) as AdapterPayload;
    } catch (error) {
      // The description says why (never where the host resolved); the details go to error_detail (logs).
      if (error instanceof ClientIdDocumentError) throw new errors.InvalidClient(error.description, { cause: error });
      throw error;
    }
  };
  const ClientAdapterBase = adapterFor(
    deps.state,
    () => new errors.InvalidGrant('grant request is invalid'),
    async (id) => {
      if (namesMetadataDocument(id)) return metadataDocumentClient(id);
      if (!isWellFormedClientId(id)) return undefined;
      const integration = await deps.integrations.get(id);
      if (!integration) return undefined;
      // The token endpoint (every grant) looks the client up during client authentication, before any
      // code or refresh token is used: an integration's IP allow-list is enforced there. The
      // authorization endpoint is the user's browser, wherever the user is: not checked.
      const ctx = oidc.default.ctx as KoaContextWithOIDC | undefined;
      if (ctx?.oidc?.route === 'token' && integration.enabled) {
        const address = rememberedClientAddress(ctx.req);
        if (!ipAllowed(integration.ipAllowList, address)) throw addressNotAllowed(errors, address);
      }
      return integrationClient(integration);
    },
    { refreshGraceMs: REFRESH_REUSE_GRACE_MS },
  );
  class Adapter extends ClientAdapterBase {
    constructor(model: string) {
      super(model);
      this.modelName = model;
    }
    private readonly modelName: string;
    override async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      // A DCR client's secret is kept hashed; the registration response already carries it in clear.
      if (this.modelName === 'Client' && typeof payload.client_secret === 'string' && !payload.client_secret.startsWith(HASHED))
        payload = { ...payload, client_secret: HASHED + createHash('sha256').update(payload.client_secret, 'utf8').digest('hex') };
      return super.upsert(id, payload, expiresIn);
    }
  }

  const configuration: Configuration = {
    adapter: Adapter,
    // csmcp's own admin console (/admin): registered here, for this issuer.
    clients: [adminConsoleClient(issuer)],
    jwks: deps.keys.privateJwks as Configuration['jwks'],
    cookies: { keys: deps.keys.cookieKeys, long: { signed: true }, short: { signed: true } },
    scopes: ['openid', ...SCOPES],
    claims: { openid: ['sub'] },
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    clientDefaults: { grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic', id_token_signed_response_alg: 'ES256' },
    enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
    pkce: { required: () => true },
    routes: OAUTH_ROUTES,
    ttl: {
      AuthorizationCode: TTL.authorizationCode,
      AccessToken: TTL.accessToken,
      ClientCredentials: TTL.accessToken,
      RefreshToken: (ctx, _token, client) =>
        client.clientId === ADMIN_CONSOLE_CLIENT_ID ? adminConsoleRefreshTtl(ctx?.oidc?.entities.RotatedRefreshToken?.remainingTTL) : TTL.refreshToken,
      Grant: TTL.grant,
      Interaction: TTL.interaction,
      Session: TTL.session,
      IdToken: 3600,
    },
    // Rotated on every use; reuse detection with a short grace window for concurrent refreshes (adapter).
    rotateRefreshToken: true,
    // MCP clients do not ask for offline_access: every client allowed the refresh_token grant gets one.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // gid: the resource server refuses tokens of a revoked grant; ctx: the integration's access context.
    extraTokenClaims: async (ctx, token) => {
      const client = ctx.oidc.client;
      const context = client?.['csmcp_context'] === 'shared' ? 'shared' : 'personal';
      return { ...('grantId' in token && token.grantId ? { gid: token.grantId } : {}), ctx: context };
    },
    // The admin console is csmcp's own (first party): an admin signing in is not asked to allow it. A
    // fresh grant per sign-in, so signing out (revoking it) ends that console session and no other;
    // none while a sign-in is still to come (prompt=login), where it would be the previous account's.
    loadExistingGrant: async (ctx) => {
      const { client, account, session, provider: own } = ctx.oidc;
      if (client?.clientId === ADMIN_CONSOLE_CLIENT_ID) {
        if (!account || ctx.oidc.promptPending('login')) return undefined;
        const grant = new own.Grant({ accountId: account.accountId, clientId: client.clientId });
        grant.addOIDCScope(ADMIN_CONSOLE_SCOPE);
        grant.addResourceScope(`${issuer}${ADMIN_CONSOLE_RESOURCE_PATH}`, ADMIN_CONSOLE_SCOPE);
        await grant.save();
        return grant;
      }
      // oidc-provider's default.
      const grantId = ctx.oidc.result?.consent?.grantId || (client ? session?.grantIdFor(client.clientId) : undefined);
      return grantId ? own.Grant.find(grantId) : undefined;
    },
    findAccount: async (_ctx, sub) => {
      const user = await findUserById(deps.store, sub);
      if (!user) return undefined;
      return { accountId: user.userId, claims: async () => ({ sub: user.userId }) };
    },
    interactions: { url: async (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}` },
    ...(deps.clientIdDocuments ? { discovery: { client_id_metadata_document_supported: true } } : {}),
    extraClientMetadata: {
      properties: ['csmcp_context'],
      validator: (ctx, key, value, metadata) => {
        if (key !== 'csmcp_context') return;
        const registering = (ctx as KoaContextWithOIDC | undefined)?.oidc?.route === 'registration';
        if (registering) {
          if (value !== undefined && value !== 'personal')
            throw new errors.InvalidClientMetadata('csmcp_context: a dynamically registered client gets personal access only; shared access needs an integration an admin registers');
          try {
            validateClientMetadata({ ...metadata }, { kind: 'dcr' });
          } catch (error) {
            if (error instanceof ClientMetadataError) throw new errors.InvalidClientMetadata(error.message);
            throw error;
          }
          metadata['csmcp_context'] = 'personal';
        } else if (value !== 'shared' && value !== 'personal') {
          metadata['csmcp_context'] = 'personal';
        }
        // The console's callback is on csmcp's own origin: a web client, its redirect URI matched exactly
        // (port included), never a native one that any local app listening on a loopback port could claim.
        if (metadata.client_id === ADMIN_CONSOLE_CLIENT_ID) return;
        const redirectUris = Array.isArray(metadata.redirect_uris) ? (metadata.redirect_uris as string[]) : [];
        metadata.application_type = applicationTypeFor(redirectUris);
      },
    },
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: false },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      clientCredentials: { enabled: true },
      registration: { enabled: deps.dynamicRegistration !== false, initialAccessToken: false },
      revocation: {
        enabled: true,
        // A client revokes only its own tokens; a public client's attempt at another's is silently ignored (RFC 7009 §2.1).
        allowedPolicy: async (_ctx, client, token) => {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      resourceIndicators: {
        enabled: true,
        // Clients that send no resource (e.g. Copilot Studio's manual setup) get the MCP endpoint.
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? resources[0],
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource, client) => {
          if (!resources.includes(resource)) throw new errors.InvalidTarget(`resource must be one of ${resources.join(', ')}`);
          const allowed = new Set((client.scope ?? SCOPES.join(' ')).split(' '));
          return {
            scope: SCOPES.filter((s) => allowed.has(s)).join(' '),
            audience: resource,
            accessTokenTTL: TTL.accessToken,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
      ctx.body = errorPage(String(out.error ?? 'server_error'), String(out.error_description ?? ''));
    },
  };

  const provider = new oidc.default(issuer, configuration);
  provider.proxy = true;

  // Integrations keep only hashes of their secrets (with a rotation grace); DCR clients a SHA-256 here.
  type ClientLike = { clientId: string; clientSecret?: string; clientAuthMethod?: string };
  const clientPrototype = provider.Client.prototype as unknown as ClientLike & { compareClientSecret(actual: string): Promise<boolean> };
  clientPrototype.compareClientSecret = async function (this: ClientLike, actual: string): Promise<boolean> {
    if (typeof actual !== 'string') return false;
    // A confidential client's secret is taken by Basic or in the body, whichever it registered: the
    // connectors do not document which they use (Claude's is the body), and both carry the same secret.
    if (this.clientSecret === INTEGRATION_SECRET) return (await deps.integrations.verifyClientSecret(this.clientId, actual)) !== null;
    if (typeof this.clientSecret === 'string' && this.clientSecret.startsWith(HASHED)) {
      const stored = Buffer.from(this.clientSecret.slice(HASHED.length), 'hex');
      const presented = createHash('sha256').update(actual, 'utf8').digest();
      return stored.length === presented.length && timingSafeEqual(stored, presented);
    }
    return false;
  };
  return provider;
}

/** 403 unauthorized_client at the token endpoint: a registered integration used from outside its IP allow-list. */
function addressNotAllowed(errors: typeof import('oidc-provider').errors, address: string | null): Error {
  const error = new errors.OIDCProviderError(403, 'unauthorized_client');
  Object.assign(error, {
    error_description: `requests from ${address ?? 'an unknown address'} are not allowed for this client: its IP allow-list does not include this address`,
  });
  return error;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function errorPage(error: string, description: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>csmcp sign-in: ${escapeHtml(error)}</title></head>
<body><h1>Sign-in failed</h1><p><code>${escapeHtml(error)}</code></p><p>${escapeHtml(description)}</p></body></html>`;
}
