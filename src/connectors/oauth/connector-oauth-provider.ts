import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { describeSubject, needsSignIn, subjectKey, type Connector, type GrantSubject } from '../registry/connector';
import { ConnectorError } from '../registry/connector-error';
import type { ConnectorStateStore, GrantRecord, PendingAuthorization } from '../state/connector-state.store';
import { negotiateRegistrationAuthMethod } from './registration-auth-method';

/** How csmcp presents itself to authorization servers. */
export interface OAuthClientIdentity {
  /** csmcp's own callback: <PUBLIC_URL>/connectors/oauth/callback. */
  readonly redirectUri: string;
  /** The https URL of csmcp's client ID metadata document, used where the server supports them; null: never (csmcp is not on https). */
  readonly clientMetadataUrl: string | null;
  readonly clientName: string;
  readonly clientUri: string | null;
}

/** How long an authorization may take between `connectors authorize` and the callback. */
export const PENDING_AUTHORIZATION_MS = 10 * 60_000;

/**
 * What the provider is used for, which decides what each SDK callback does:
 * - begin: an admin (or a user) starts an authorization; the SDK discovers, registers if needed and
 *   hands over the authorization URL, which is kept for the caller to show; stored tokens are ignored
 *   (starting again means a new authorization, not a refresh).
 * - finish: the callback came back with a code; the SDK exchanges it with the PKCE verifier kept at begin.
 * - background: a call on someone's behalf needs a token: refresh it (under the grant's lease), or
 *   fetch one with client credentials. Needing a person instead marks the grant "needs
 *   re-authorisation" and fails the call, never the process.
 */
export type ProviderMode =
  | { readonly kind: 'begin'; readonly startedBy: Record<string, unknown>; readonly scope: string | null; readonly resourceMetadataUrl: string | null }
  | { readonly kind: 'finish'; readonly pending: PendingAuthorization }
  | { readonly kind: 'background'; readonly leaseOwner: string; readonly grant: GrantRecord | null };

export interface ProviderDeps {
  readonly connector: Connector;
  readonly subject: GrantSubject;
  readonly state: ConnectorStateStore;
  readonly identity: OAuthClientIdentity;
  readonly mode: ProviderMode;
  /** oauth_client: the admin's client secret, decrypted; null when none was given. */
  readonly clientSecret: string | null;
  readonly now: () => number;
}

/**
 * The MCP SDK's OAuthClientProvider over csmcp's own stores, for one connector and one subject (the
 * organisation or a user). The SDK's `auth()` does the protocol (protected resource metadata, the
 * authorization server metadata with its OpenID and path-insertion fallbacks, client ID metadata
 * documents or dynamic registration, PKCE S256, the resource indicator, token requests and refresh);
 * this class only says who csmcp is and where things are kept, encrypted.
 */
export class ConnectorOAuthProvider implements OAuthClientProvider {
  /** begin: the URL the SDK wants the user agent sent to (null until it did). */
  authorizationUrl: URL | null = null;
  /** begin: the OAuth state of the authorization started. */
  pendingState: string | null = null;
  /** Present only for oauth_dynamic: the SDK registers (or re-registers) only when it can save the result. */
  saveClientInformation?: (info: OAuthClientInformationMixed) => Promise<void>;
  /** Set when the SDK saved tokens through this provider. */
  savedTokens: OAuthTokens | null = null;
  private discovery: OAuthDiscoveryState | null | undefined;

  constructor(private readonly deps: ProviderDeps) {
    if (deps.connector.authKind === 'oauth_dynamic') {
      this.saveClientInformation = async (info) => {
        await this.deps.state.saveSecret(this.deps.connector.id, 'client_information', info);
      };
    }
  }

  get redirectUrl(): string | undefined {
    // Client credentials involve no user agent: the SDK then fetches tokens directly.
    return this.deps.connector.grant === 'client_credentials' ? undefined : this.deps.identity.redirectUri;
  }

  get clientMetadataUrl(): string | undefined {
    return this.deps.connector.authKind === 'oauth_dynamic' ? (this.deps.identity.clientMetadataUrl ?? undefined) : undefined;
  }

  get clientMetadata(): OAuthClientMetadata {
    const { connector, identity } = this.deps;
    const signIn = needsSignIn(connector);
    const metadata = this.discovery?.authorizationServerMetadata;
    const issuer = this.discovery?.authorizationServerUrl ?? connector.url;
    return {
      client_name: identity.clientName,
      ...(identity.clientUri ? { client_uri: identity.clientUri } : {}),
      redirect_uris: signIn ? [identity.redirectUri] : [],
      grant_types: signIn ? ['authorization_code', 'refresh_token'] : ['client_credentials'],
      response_types: signIn ? ['code'] : [],
      // Only a registration of csmcp's own is negotiated; pre-registered clients use what the SDK picks from the metadata.
      ...(connector.authKind === 'oauth_dynamic' ? { token_endpoint_auth_method: negotiateRegistrationAuthMethod(metadata?.token_endpoint_auth_methods_supported, issuer) } : {}),
      ...(connector.scopes.length > 0 ? { scope: connector.scopes.join(' ') } : {}),
    };
  }

  state(): string {
    this.pendingState = randomBytes(32).toString('base64url');
    return this.pendingState;
  }

  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    const { connector, state } = this.deps;
    if (connector.authKind === 'oauth_client') {
      return { client_id: connector.clientId!, ...(this.deps.clientSecret ? { client_secret: this.deps.clientSecret } : {}) };
    }
    return (await state.secret<OAuthClientInformationMixed>(connector.id, 'client_information')) ?? undefined;
  }

  async tokens(): Promise<OAuthTokens | undefined> {
    const { mode } = this.deps;
    // Starting an authorization again must not quietly refresh the old grant instead.
    if (mode.kind !== 'background') return undefined;
    const tokens = mode.grant?.tokens;
    return tokens && typeof tokens.access_token === 'string' ? (tokens as unknown as OAuthTokens) : undefined;
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    const { connector, subject, state, mode } = this.deps;
    const expiresAt = typeof tokens.expires_in === 'number' && Number.isFinite(tokens.expires_in) ? this.deps.now() + tokens.expires_in * 1000 : null;
    const record = tokens as unknown as Record<string, unknown>;
    if (mode.kind === 'background') {
      if (!(await state.saveRefreshedTokens(connector.id, subjectKey(subject), mode.leaseOwner, record, expiresAt)))
        throw new ConnectorError('CONNECTION_FAILED', `the token refresh for connector ${connector.name} took longer than its lease; try again`);
    } else {
      await state.saveAuthorizedTokens(connector.id, subjectKey(subject), subject.kind === 'user' ? { userId: subject.userId, email: subject.email } : null, record, expiresAt);
    }
    this.savedTokens = tokens;
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    const { mode, connector, subject, state } = this.deps;
    if (mode.kind === 'begin') {
      this.authorizationUrl = authorizationUrl;
      return;
    }
    if (mode.kind === 'finish') throw new ConnectorError('AUTHORIZATION_FAILED', `the authorization server of connector ${connector.name} did not accept the authorization code`);
    // A call needs a person to sign in again.
    const tokens = mode.grant?.tokens;
    if (tokens && typeof tokens.refresh_token === 'string') {
      // The SDK goes on to a new authorization when a refresh failed for a reason that is no OAuth
      // refusal (a 5xx, an unreadable answer): that may pass, so the grant is not given up.
      throw new ConnectorError('CONNECTION_FAILED', `could not refresh the access token of connector ${connector.name} for ${describeSubject(subject)}: the authorization server did not answer properly; try again`);
    }
    const problem = tokens
      ? 'the access token expired or was refused and there is no refresh token'
      : 'it has not been authorised (or its authorization was reset)';
    if (mode.grant) await state.markNeedsReauthorization(connector.id, subjectKey(subject), problem);
    throw reauthorization(connector, subject, problem, mode.grant !== null && mode.grant.authorizedAt !== null);
  }

  async saveCodeVerifier(codeVerifier: string): Promise<void> {
    const { mode, connector, subject, state } = this.deps;
    if (mode.kind !== 'begin' || !this.pendingState) return;
    await state.savePending({
      state: this.pendingState,
      connectorId: connector.id,
      connectorName: connector.name,
      subject: subjectKey(subject),
      userId: subject.kind === 'user' ? subject.userId : null,
      userEmail: subject.kind === 'user' ? subject.email : null,
      codeVerifier,
      scope: mode.scope,
      resourceMetadataUrl: mode.resourceMetadataUrl,
      startedBy: mode.startedBy,
      expiresAt: this.deps.now() + PENDING_AUTHORIZATION_MS,
    });
  }

  async codeVerifier(): Promise<string> {
    if (this.deps.mode.kind !== 'finish') throw new ConnectorError('AUTHORIZATION_FAILED', 'no authorization is being finished here');
    return this.deps.mode.pending.codeVerifier;
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    const { mode, connector, subject, state } = this.deps;
    if ((scope === 'all' || scope === 'client') && connector.authKind === 'oauth_dynamic') await state.deleteSecret(connector.id, 'client_information');
    if (scope === 'all' || scope === 'discovery') {
      await state.deleteSecret(connector.id, 'discovery');
      this.discovery = null;
    }
    if (mode.kind !== 'background' || scope === 'verifier' || scope === 'discovery') return;
    // The SDK would go on to a new authorization; a call cannot, so it stops here with the reason.
    const problem =
      scope === 'tokens'
        ? 'the authorization server refused the refresh token (invalid_grant): the grant was revoked or has expired'
        : connector.authKind === 'oauth_client'
          ? 'the authorization server refused csmcp’s client credentials (invalid_client): check the client id and secret (csmcp connectors update)'
          : 'the authorization server no longer knows csmcp’s registration (invalid_client): csmcp registers again at the next authorization';
    await state.markNeedsReauthorization(connector.id, subjectKey(subject), problem);
    throw reauthorization(connector, subject, problem, true);
  }

  async saveDiscoveryState(discovery: OAuthDiscoveryState): Promise<void> {
    const { connector } = this.deps;
    const metadata = discovery.authorizationServerMetadata;
    // MCP authorization spec: clients MUST verify the server supports S256 PKCE and refuse otherwise.
    // Only a server without any metadata (the 2025-03-26 spec's default endpoints) is taken on trust.
    if (needsSignIn(connector) && metadata && !(metadata.code_challenge_methods_supported ?? []).includes('S256'))
      throw new ConnectorError(
        'PKCE_NOT_SUPPORTED',
        `the authorization server ${discovery.authorizationServerUrl} of connector ${connector.name} does not advertise S256 PKCE (code_challenge_methods_supported: ${JSON.stringify(metadata.code_challenge_methods_supported ?? null)}); csmcp does not authorise without it`,
      );
    this.discovery = discovery;
    await this.deps.state.saveSecret(connector.id, 'discovery', discovery);
  }

  async discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    // A new authorization discovers afresh (the server may have moved); calls reuse what was found.
    if (this.deps.mode.kind === 'begin') return undefined;
    if (this.discovery === undefined) this.discovery = await this.deps.state.secret<OAuthDiscoveryState>(this.deps.connector.id, 'discovery');
    return this.discovery ?? undefined;
  }

  async prepareTokenRequest(scope?: string): Promise<URLSearchParams | undefined> {
    if (this.deps.connector.grant !== 'client_credentials') return undefined;
    const params = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) params.set('scope', scope);
    return params;
  }
}

function reauthorization(connector: Connector, subject: GrantSubject, problem: string, wasAuthorized: boolean): ConnectorError {
  const how = `csmcp connectors authorize ${connector.name}${subject.kind === 'user' ? ` --user ${subject.email}` : ''}`;
  return new ConnectorError(
    wasAuthorized ? 'NEEDS_REAUTHORIZATION' : 'NOT_AUTHORIZED',
    wasAuthorized
      ? `connector ${connector.name} needs re-authorisation for ${describeSubject(subject)}: ${problem}; authorise it again with ${how}`
      : `connector ${connector.name} is not authorised for ${describeSubject(subject)}: ${problem}; authorise it with ${how}`,
  );
}
