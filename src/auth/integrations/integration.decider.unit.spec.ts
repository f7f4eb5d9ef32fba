import { DeciderSpecification } from '@csmcp/testing';
import {
  integrationDecider,
  type DisableIntegration,
  type EnableIntegration,
  type RegisterIntegration,
  type RotateIntegrationSecret,
  type UpdateIntegration,
} from './integration.decider';
import { IntegrationError } from './integration-error';
import type { IntegrationDisabled, IntegrationEnabled, IntegrationRegistered, IntegrationSecretRotated, IntegrationUpdated } from './integration.events';

const now = '2026-03-02T09:00:00.000Z';
const later = '2026-03-02T10:00:00.000Z';
const clientId = 'csmcp_int_AAAAAAAAAAAAAAAAAAAAAA';
const by = { type: 'user' as const, id: 'u-root', email: 'root@example.com' };
const CLAUDE = ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback'];

const spec = DeciderSpecification.for(integrationDecider);

function register(data: Partial<RegisterIntegration['data']> = {}): RegisterIntegration {
  return { type: 'RegisterIntegration', data: { clientId, preset: 'claude', name: 'Claude', secretHash: 'h1', ...data }, metadata: { now, by } };
}
function update(data: Omit<UpdateIntegration['data'], 'clientId'>): UpdateIntegration {
  return { type: 'UpdateIntegration', data: { clientId, ...data }, metadata: { now: later, by } };
}
const rotate = (graceMs: number, secretHash = 'h2'): RotateIntegrationSecret => ({ type: 'RotateIntegrationSecret', data: { clientId, secretHash, graceMs }, metadata: { now: later, by } });
const disable: DisableIntegration = { type: 'DisableIntegration', data: { clientId }, metadata: { now: later, by } };
const enable: EnableIntegration = { type: 'EnableIntegration', data: { clientId }, metadata: { now: later, by } };

const registered: IntegrationRegistered = {
  type: 'IntegrationRegistered',
  data: {
    clientId,
    preset: 'claude',
    name: 'Claude',
    redirectUris: CLAUDE,
    scopes: ['cs:read', 'cs:write'],
    accessContext: 'personal',
    grantTypes: ['authorization_code', 'refresh_token'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    ipAllowList: [],
    secretHash: 'h1',
    registeredAt: now,
    registeredBy: by,
  },
};
const disabled: IntegrationDisabled = { type: 'IntegrationDisabled', data: { clientId, disabledAt: later, disabledBy: by } };

describe('integration decider: register', () => {
  it('registers a Claude integration with its two callback URLs and the defaults (personal, cs:read cs:write, code + refresh, basic)', () => {
    spec.given([]).when(register()).then([registered]);
  });

  it('adds given redirect URIs to the preset, scopes and grants in their canonical order, IP ranges canonical', () => {
    spec
      .given([])
      .when(
        register({
          name: '  Claude (EMEA)  ',
          redirectUris: ['https://claude.ai/api/mcp/auth_callback', 'http://127.0.0.1/cb'],
          scopes: ['admin', 'cs:read'],
          accessContext: 'shared',
          grantTypes: ['refresh_token', 'client_credentials', 'authorization_code'],
          tokenEndpointAuthMethod: 'client_secret_post',
          ipAllowList: ['203.0.113.0/24', '::ffff:10.0.0.0/104'],
        }),
      )
      .then([
        {
          ...registered,
          data: {
            ...registered.data,
            name: 'Claude (EMEA)',
            redirectUris: [...CLAUDE, 'http://127.0.0.1/cb'],
            scopes: ['cs:read', 'admin'],
            accessContext: 'shared',
            grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
            tokenEndpointAuthMethod: 'client_secret_post',
            ipAllowList: ['203.0.113.0/24', '10.0.0.0/8'],
          },
        },
      ]);
  });

  it('registers ChatGPT and Copilot Studio before their callback URL is known (they show it only after getting the client id)', () => {
    spec
      .given([])
      .when(register({ preset: 'chatgpt', name: 'ChatGPT' }))
      .then([{ ...registered, data: { ...registered.data, preset: 'chatgpt', name: 'ChatGPT', redirectUris: [] } }]);
    spec
      .given([])
      .when(register({ preset: 'copilot_studio', name: 'Copilot' }))
      .then([{ ...registered, data: { ...registered.data, preset: 'copilot_studio', name: 'Copilot', redirectUris: ['https://teams.microsoft.com/api/platform/v1.0/oAuthRedirect'] } }]);
  });

  it('registers a public client without a secret, and a shared machine client with client_credentials only', () => {
    spec
      .given([])
      .when(register({ preset: 'custom', name: 'Inspector', redirectUris: ['http://localhost:6274/oauth/callback'], tokenEndpointAuthMethod: 'none', secretHash: null }))
      .then([
        {
          ...registered,
          data: { ...registered.data, preset: 'custom', name: 'Inspector', redirectUris: ['http://localhost:6274/oauth/callback'], tokenEndpointAuthMethod: 'none', secretHash: null },
        },
      ]);
    spec
      .given([])
      .when(register({ preset: 'custom', name: 'Nightly sync', accessContext: 'shared', grantTypes: ['client_credentials'], scopes: ['cs:read'] }))
      .then([
        {
          ...registered,
          data: { ...registered.data, preset: 'custom', name: 'Nightly sync', redirectUris: [], accessContext: 'shared', grantTypes: ['client_credentials'], scopes: ['cs:read'] },
        },
      ]);
  });

  it.each<[string, Partial<RegisterIntegration['data']>, string, string]>([
    ['an unknown preset', { preset: 'gemini' }, 'VALIDATION', 'preset must be one of chatgpt, claude, copilot_studio, custom; got "gemini"'],
    ['a blank name', { name: '  ' }, 'VALIDATION', 'name is required: what users see on the consent page, e.g. "ChatGPT (sales team)"'],
    ['a long name', { name: 'x'.repeat(101) }, 'VALIDATION', 'name has 101 characters; at most 100 are allowed'],
    ['a name on two lines', { name: 'a\nb' }, 'VALIDATION', 'name must be one line without control characters'],
    ['an unknown scope', { scopes: ['cs:read', 'cs:delete'] }, 'INVALID_SCOPE', 'scopes: unknown "cs:delete"; allowed are cs:read, cs:write, admin'],
    ['no scope', { scopes: [] }, 'INVALID_SCOPE', 'scopes is empty: name one or more of cs:read, cs:write, admin'],
    ['an unknown access context', { accessContext: 'team' }, 'VALIDATION', 'access_context must be one of personal, shared; got "team"'],
    ['the implicit grant', { grantTypes: ['implicit'] }, 'INVALID_GRANT_TYPES', 'grant_types: unknown "implicit"; allowed are authorization_code, refresh_token, client_credentials'],
    ['refresh without code', { grantTypes: ['refresh_token'] }, 'INVALID_GRANT_TYPES', 'refresh_token needs authorization_code'],
    [
      'client_credentials for personal access',
      { grantTypes: ['client_credentials'], redirectUris: [], preset: 'custom' },
      'INVALID_GRANT_TYPES',
      'client_credentials is only for shared-context machine clients (no user signs in, so there is no personal view); use --access shared or leave client_credentials out',
    ],
    [
      'client_credentials for a public client',
      { grantTypes: ['authorization_code', 'client_credentials'], accessContext: 'shared', tokenEndpointAuthMethod: 'none', secretHash: null },
      'INVALID_GRANT_TYPES',
      'client_credentials needs a confidential client: a public client has no secret to authenticate with',
    ],
    ['redirect URIs without the code grant', { grantTypes: ['client_credentials'], accessContext: 'shared' }, 'INVALID_GRANT_TYPES', 'redirect URIs are used only by the authorization_code grant'],
    [
      'a custom client without redirect URI',
      { preset: 'custom' },
      'REDIRECT_URI_REQUIRED',
      "a custom client integration needs at least one redirect URI for authorization_code (the MCP client's documentation gives its callback URL); give it with --redirect-uri",
    ],
    ['a javascript: redirect', { redirectUris: ['javascript:alert(1)'] }, 'INVALID_REDIRECT_URI', 'redirect URI "javascript:alert(1)" has the scheme javascript: which is not allowed'],
    ['plain http off the machine', { redirectUris: ['http://app.example.com/cb'] }, 'INVALID_REDIRECT_URI', 'http is allowed only on 127.0.0.1, [::1] or localhost'],
    ['a bad IP range', { ipAllowList: ['10.0.0.0/40'] }, 'INVALID_IP_RANGE', 'IP range "10.0.0.0/40" has the prefix length /40'],
    ['an unknown auth method', { tokenEndpointAuthMethod: 'private_key_jwt' }, 'VALIDATION', 'token_endpoint_auth_method must be one of client_secret_basic, client_secret_post, none; got "private_key_jwt"'],
    ['a public client with a secret', { tokenEndpointAuthMethod: 'none' }, 'VALIDATION', 'a confidential client needs a secret hash and a public client (auth method none) must have none'],
  ])('refuses %s', (_, data, code, message) => {
    spec
      .given([])
      .when(register(data))
      .thenThrows(IntegrationError, { code: code as IntegrationError['code'], message: expect.stringContaining(message) as unknown as string });
  });

  it('refuses a client id that is taken', () => {
    spec
      .given([registered])
      .when(register())
      .thenThrows(IntegrationError, { code: 'ALREADY_EXISTS', message: `an integration with client id ${clientId} already exists (Claude); register with a new client id` });
  });
});

describe('integration decider: update', () => {
  const updated = (changes: IntegrationUpdated['data']['changes']): IntegrationUpdated => ({ type: 'IntegrationUpdated', data: { clientId, changes, updatedAt: later, updatedBy: by } });

  it('records each changed field with its old and new value', () => {
    spec
      .given([registered])
      .when(update({ name: 'Claude (all)', scopes: ['cs:read'], ipAllowList: ['198.51.100.7'], addRedirectUris: ['http://127.0.0.1/cb'], tokenEndpointAuthMethod: 'client_secret_post' }))
      .then([
        updated([
          { field: 'name', from: 'Claude', to: 'Claude (all)' },
          { field: 'redirectUris', from: CLAUDE, to: [...CLAUDE, 'http://127.0.0.1/cb'] },
          { field: 'scopes', from: ['cs:read', 'cs:write'], to: ['cs:read'] },
          { field: 'tokenEndpointAuthMethod', from: 'client_secret_basic', to: 'client_secret_post' },
          { field: 'ipAllowList', from: [], to: ['198.51.100.7/32'] },
        ]),
      ]);
  });

  it('removes and replaces redirect URIs, and clears the IP allow-list', () => {
    const withIps: IntegrationUpdated = updated([{ field: 'ipAllowList', from: [], to: ['10.0.0.0/8'] }]);
    spec
      .given([registered, withIps])
      .when(update({ removeRedirectUris: ['https://claude.com/api/mcp/auth_callback'], ipAllowList: [] }))
      .then([
        updated([
          { field: 'redirectUris', from: CLAUDE, to: ['https://claude.ai/api/mcp/auth_callback'] },
          { field: 'ipAllowList', from: ['10.0.0.0/8'], to: [] },
        ]),
      ]);
    spec
      .given([registered])
      .when(update({ redirectUris: ['https://claude.ai/api/mcp/auth_callback'] }))
      .then([updated([{ field: 'redirectUris', from: CLAUDE, to: ['https://claude.ai/api/mcp/auth_callback'] }])]);
  });

  it('changes nothing when every value is the one it has (the same access context included)', () => {
    spec.given([registered]).when(update({ name: ' Claude ', accessContext: 'personal', scopes: ['cs:write', 'cs:read'], addRedirectUris: [CLAUDE[0]] })).thenNothingHappened();
  });

  it('refuses to change the access context: fixed once created', () => {
    spec
      .given([registered])
      .when(update({ accessContext: 'shared' }))
      .thenThrows(IntegrationError, {
        code: 'ACCESS_CONTEXT_FIXED',
        message: `the access context of integration ${clientId} is personal and cannot be changed once created; register a new integration with --access shared and disable this one`,
      });
  });

  it('refuses to make a confidential client public, or a public one confidential', () => {
    spec.given([registered]).when(update({ tokenEndpointAuthMethod: 'none' })).thenThrows(IntegrationError, { code: 'CONFIDENTIALITY_FIXED' });
    const publicClient: IntegrationRegistered = { ...registered, data: { ...registered.data, tokenEndpointAuthMethod: 'none', secretHash: null } };
    spec
      .given([publicClient])
      .when(update({ tokenEndpointAuthMethod: 'client_secret_post' }))
      .thenThrows(IntegrationError, {
        code: 'CONFIDENTIALITY_FIXED',
        message: `integration ${clientId} is public and stays so: its token endpoint auth method may change between client_secret_basic and client_secret_post only; register a new integration instead`,
      });
  });

  it('refuses to remove a redirect URI that is not registered, to mix replace with add/remove, and to leave a custom client without any', () => {
    spec
      .given([registered])
      .when(update({ removeRedirectUris: ['https://example.com/cb'] }))
      .thenThrows(IntegrationError, { code: 'INVALID_REDIRECT_URI', message: `"https://example.com/cb" is not registered, so cannot be removed; registered: ${CLAUDE.join(', ')}` });
    spec
      .given([registered])
      .when(update({ redirectUris: ['https://example.com/cb'], addRedirectUris: ['https://example.org/cb'] }))
      .thenThrows(IntegrationError, { code: 'VALIDATION', message: 'give either the whole list of redirect URIs or URIs to add and remove, not both' });
    const custom: IntegrationRegistered = { ...registered, data: { ...registered.data, preset: 'custom', redirectUris: ['https://example.com/cb'] } };
    spec.given([custom]).when(update({ redirectUris: [] })).thenThrows(IntegrationError, { code: 'REDIRECT_URI_REQUIRED' });
  });

  it('refuses to change an integration that does not exist', () => {
    spec
      .given([])
      .when(update({ name: 'x' }))
      .thenThrows(IntegrationError, { code: 'INTEGRATION_NOT_FOUND', message: `no integration has client id ${clientId}; csmcp integrations list shows them` });
  });
});

describe('integration decider: secrets, disable, enable', () => {
  const rotated = (until: string, secretHash = 'h2'): IntegrationSecretRotated => ({
    type: 'IntegrationSecretRotated',
    data: { clientId, secretHash, rotatedAt: later, previousSecretsValidUntil: until, rotatedBy: by },
  });

  it('rotates the secret, keeping the old ones valid for the grace period', () => {
    spec.given([registered]).when(rotate(24 * 3_600_000)).then([rotated('2026-03-03T10:00:00.000Z')]);
  });

  it('rotates at once when the grace period is 0', () => {
    spec.given([registered]).when(rotate(0)).then([rotated(later)]);
  });

  it('a second rotation never lengthens an old secret, and drops the secrets already dead', () => {
    const fold = (events: Parameters<typeof integrationDecider.evolve>[1][]) => events.reduce(integrationDecider.evolve, integrationDecider.initialState());
    const inGrace = rotated('2026-03-03T10:00:00.000Z');
    // An hour later, with the same grace: h1 keeps its end, h2 gets one, h3 is the current one.
    const second: IntegrationSecretRotated = {
      type: 'IntegrationSecretRotated',
      data: { clientId, secretHash: 'h3', rotatedAt: '2026-03-02T11:00:00.000Z', previousSecretsValidUntil: '2026-03-03T11:00:00.000Z', rotatedBy: by },
    };
    expect(fold([registered, inGrace, second])).toMatchObject({
      secrets: [
        { hash: 'h1', issuedAt: now, validUntil: '2026-03-03T10:00:00.000Z' },
        { hash: 'h2', issuedAt: later, validUntil: '2026-03-03T11:00:00.000Z' },
        { hash: 'h3', issuedAt: '2026-03-02T11:00:00.000Z', validUntil: null },
      ],
    });
    // At once (a leak): every older secret ends now and is dropped.
    expect(fold([registered, inGrace, rotated(later, 'h3')])).toMatchObject({ secrets: [{ hash: 'h3', issuedAt: later, validUntil: null }] });
  });

  it('refuses to rotate the secret of a public client, or a negative grace period', () => {
    const publicClient: IntegrationRegistered = { ...registered, data: { ...registered.data, tokenEndpointAuthMethod: 'none', secretHash: null } };
    spec.given([publicClient]).when(rotate(0)).thenThrows(IntegrationError, { code: 'PUBLIC_CLIENT_HAS_NO_SECRET' });
    spec.given([registered]).when(rotate(-1)).thenThrows(IntegrationError, { code: 'VALIDATION', message: 'graceMs must be a whole number of milliseconds, 0 or more; got -1' });
  });

  it('disables and enables, each once', () => {
    const enabled: IntegrationEnabled = { type: 'IntegrationEnabled', data: { clientId, enabledAt: later, enabledBy: by } };
    spec.given([registered]).when(disable).then([disabled]);
    spec.given([registered, disabled]).when(disable).thenNothingHappened();
    spec.given([registered, disabled]).when(enable).then([enabled]);
    spec.given([registered]).when(enable).thenNothingHappened();
    spec.given([]).when(disable).thenThrows(IntegrationError, { code: 'INTEGRATION_NOT_FOUND' });
  });

  it('folds the whole life of an integration', () => {
    const state = [registered, rotated(later), disabled].reduce(integrationDecider.evolve, integrationDecider.initialState());
    expect(state).toEqual({
      exists: true,
      clientId,
      preset: 'claude',
      settings: {
        name: 'Claude',
        redirectUris: CLAUDE,
        scopes: ['cs:read', 'cs:write'],
        accessContext: 'personal',
        grantTypes: ['authorization_code', 'refresh_token'],
        tokenEndpointAuthMethod: 'client_secret_basic',
        ipAllowList: [],
      },
      secrets: [{ hash: 'h2', issuedAt: later, validUntil: null }],
      enabled: false,
      registeredAt: now,
      updatedAt: later,
    });
  });
});
