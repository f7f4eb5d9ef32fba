import { DeciderSpecification } from '@csmcp/testing';
import { ConnectorError } from './connector-error';
import { connectorDecider, type RecordConnectorAuthorization, type RegisterConnector, type RemoveConnector, type UpdateConnector } from './connector.decider';
import type { ConnectorAuthorized, ConnectorRegistered, ConnectorRemoved, ConnectorUpdated } from './connector.events';

const now = '2026-03-02T09:00:00.000Z';
const later = '2026-03-02T10:00:00.000Z';
const by = { type: 'user' as const, id: 'u-root', email: 'root@example.com' };
const spec = DeciderSpecification.for(connectorDecider);

function register(data: Partial<RegisterConnector['data']> = {}): RegisterConnector {
  return {
    type: 'RegisterConnector',
    data: { connectorId: 'con_1', name: 'zendesk', url: 'https://mcp.zendesk.example/mcp', authKind: 'oauth_dynamic', hasClientSecret: false, ...data },
    metadata: { now, by },
  };
}
const update = (data: Omit<UpdateConnector['data'], 'name'>): UpdateConnector => ({ type: 'UpdateConnector', data: { name: 'zendesk', ...data }, metadata: { now: later, by } });
const remove: RemoveConnector = { type: 'RemoveConnector', data: { name: 'zendesk' }, metadata: { now: later, by } };
const authorize = (subject: RecordConnectorAuthorization['data']['subject']): RecordConnectorAuthorization => ({
  type: 'RecordConnectorAuthorization',
  data: { name: 'zendesk', subject },
  metadata: { now: later, by },
});

const registered = (data: Partial<ConnectorRegistered['data']> = {}): ConnectorRegistered => ({
  type: 'ConnectorRegistered',
  data: {
    connectorId: 'con_1',
    name: 'zendesk',
    url: 'https://mcp.zendesk.example/mcp',
    transport: 'auto',
    authKind: 'oauth_dynamic',
    clientId: null,
    grant: 'authorization_code',
    scopes: [],
    authorizationScope: 'company',
    allowedHosts: [],
    hasClientSecret: false,
    registeredAt: now,
    registeredBy: by,
    ...data,
  },
});
const companyAuthorized: ConnectorAuthorized = {
  type: 'ConnectorAuthorized',
  data: { connectorId: 'con_1', name: 'zendesk', subject: 'company', userId: null, userEmail: null, grant: 'authorization_code', authorizedAt: now, authorizedBy: by },
};

describe('connector decider: register', () => {
  it('registers with the defaults: auto transport, company-wide, no scopes, no private hosts', () => {
    spec.given([]).when(register()).then([registered()]);
  });

  it('registers pre-registered credentials with client credentials and a normalised allowed host', () => {
    spec
      .given([])
      .when(
        register({
          url: 'http://MCP.internal:8080/mcp',
          authKind: 'oauth_client',
          clientId: 'csmcp-prod',
          grant: 'client_credentials',
          hasClientSecret: true,
          allowedHosts: ['MCP.internal:8080', 'mcp.internal:8080'],
          scopes: ['tickets:read', 'tickets:read'],
        }),
      )
      .then([
        registered({
          url: 'http://mcp.internal:8080/mcp',
          authKind: 'oauth_client',
          clientId: 'csmcp-prod',
          grant: 'client_credentials',
          hasClientSecret: true,
          allowedHosts: ['mcp.internal:8080'],
          scopes: ['tickets:read'],
        }),
      ]);
  });

  it.each([
    [{ name: 'Zendesk!' }, 'name must be 1 to 63 lower-case letters, digits, - or _, starting with a letter or digit (e.g. zendesk or crm-eu); got "Zendesk!"'],
    [{ url: 'ftp://x.example/mcp' }, 'url must be the MCP server’s absolute https URL, e.g. https://mcp.example.com/mcp; the ftp scheme is not allowed'],
    [{ url: 'https://u:p@x.example/mcp' }, 'url must not carry a user name or password (user:pass@host): csmcp authenticates with OAuth'],
    [
      { url: 'http://mcp.example.com/mcp' },
      'url uses plain http: only allowed for a host inside your network that an admin allowed (--allow-host mcp.example.com); a server on the internet must use https',
    ],
    [{ authKind: 'basic' }, 'auth must be one of none, oauth_dynamic, oauth_client; got "basic"'],
    [{ transport: 'websocket' }, 'transport must be one of auto, streamable_http, sse; got "websocket"'],
    [{ authKind: 'oauth_client' }, 'oauth_client needs the client id the provider issued when csmcp was registered in its portal (--client-id)'],
    [{ authKind: 'oauth_client', clientId: 'c', grant: 'client_credentials' }, 'the client_credentials grant needs the client secret the provider issued (--client-secret-stdin)'],
    [{ clientId: 'c' }, 'a client id is only for --auth oauth_client (pre-registered credentials); with oauth_dynamic leave it out'],
    [{ authKind: 'none', authorizationScope: 'user' }, 'a user-specific connector needs OAuth (each user authorises their own account); with auth none it can only be company-wide'],
    [
      { authKind: 'oauth_client', clientId: 'c', grant: 'client_credentials', hasClientSecret: true, authorizationScope: 'user' },
      'client_credentials gets a token for csmcp itself, never for a user: such a connector can only be company-wide (--authorization-scope company)',
    ],
    [{ allowedHosts: ['https://mcp.internal'] }, 'allowed host "https://mcp.internal" is not a host name or IP address with an optional port (e.g. mcp.internal, 10.0.0.5:8443 or [fd00::1]:443); no scheme, path or wildcard'],
    [{ scopes: ['a b'] }, 'scope "a b" is not an OAuth scope (printable characters without spaces, quotes or backslashes)'],
  ])('refuses %j saying what is allowed', (data, message) => {
    spec.given([]).when(register(data as Partial<RegisterConnector['data']>)).thenThrows(ConnectorError, { code: 'VALIDATION', message });
  });

  it('refuses a name that is taken', () => {
    spec
      .given([registered()])
      .when(register({ connectorId: 'con_2' }))
      .thenThrows(ConnectorError, {
        code: 'ALREADY_EXISTS',
        message: 'a connector named zendesk already exists (https://mcp.zendesk.example/mcp); choose another name or change it with csmcp connectors update zendesk',
      });
  });

  it('registers the name again after a removal, as a new connector', () => {
    const removed: ConnectorRemoved = { type: 'ConnectorRemoved', data: { connectorId: 'con_1', name: 'zendesk', removedAt: later, removedBy: by } };
    spec.given([registered(), removed]).when(register({ connectorId: 'con_2' })).then([registered({ connectorId: 'con_2' })]);
  });
});

describe('connector decider: update', () => {
  it('records each changed field old → new; a new server voids the authorizations', () => {
    spec
      .given([registered(), companyAuthorized])
      .when(update({ url: 'https://mcp2.zendesk.example/mcp', transport: 'sse' }))
      .then([
        {
          type: 'ConnectorUpdated',
          data: {
            connectorId: 'con_1',
            name: 'zendesk',
            changes: [
              { field: 'url', from: 'https://mcp.zendesk.example/mcp', to: 'https://mcp2.zendesk.example/mcp' },
              { field: 'transport', from: 'auto', to: 'sse' },
            ],
            authorizationsReset: true,
            updatedAt: later,
            updatedBy: by,
          },
        },
      ]);
  });

  it('keeps the authorizations for a transport, scope list or allowed-host change', () => {
    const updated: ConnectorUpdated = {
      type: 'ConnectorUpdated',
      data: { connectorId: 'con_1', name: 'zendesk', changes: [{ field: 'scopes', from: [], to: ['tickets:read'] }], authorizationsReset: false, updatedAt: later, updatedBy: by },
    };
    spec.given([registered(), companyAuthorized]).when(update({ scopes: ['tickets:read'] })).then([updated]);
    const state = [registered(), companyAuthorized, updated].reduce(connectorDecider.evolve, connectorDecider.initialState());
    expect(state).toMatchObject({ companyAuthorizedAt: now, settings: { scopes: ['tickets:read'] } });
  });

  it('names a replaced client secret without showing it, and resets the authorizations', () => {
    spec
      .given([registered({ authKind: 'oauth_client', clientId: 'c', hasClientSecret: true })])
      .when(update({ clientSecret: 'set' }))
      .then([
        {
          type: 'ConnectorUpdated',
          data: { connectorId: 'con_1', name: 'zendesk', changes: [{ field: 'clientSecret', from: '(set)', to: '(replaced)' }], authorizationsReset: true, updatedAt: later, updatedBy: by },
        },
      ]);
  });

  it('drops the client id and secret when moving from oauth_client to oauth_dynamic', () => {
    spec
      .given([registered({ authKind: 'oauth_client', clientId: 'c', hasClientSecret: true })])
      .when(update({ authKind: 'oauth_dynamic' }))
      .then([
        {
          type: 'ConnectorUpdated',
          data: {
            connectorId: 'con_1',
            name: 'zendesk',
            changes: [
              { field: 'authKind', from: 'oauth_client', to: 'oauth_dynamic' },
              { field: 'clientId', from: 'c', to: null },
              { field: 'clientSecret', from: '(set)', to: '(none)' },
            ],
            authorizationsReset: true,
            updatedAt: later,
            updatedBy: by,
          },
        },
      ]);
  });

  it('changes nothing when nothing differs, and refuses an unknown connector', () => {
    spec.given([registered()]).when(update({ transport: 'auto' })).thenNothingHappened();
    spec.given([]).when(update({ transport: 'auto' })).thenThrows(ConnectorError, { code: 'CONNECTOR_NOT_FOUND', message: 'no connector is named zendesk; csmcp connectors list shows them' });
  });
});

describe('connector decider: authorizations', () => {
  it('records the organisation’s authorization', () => {
    spec.given([registered()]).when(authorize({ kind: 'company' })).then([{ ...companyAuthorized, data: { ...companyAuthorized.data, authorizedAt: later } }]);
  });

  it('takes a user only on a user-specific connector, after the organisation', () => {
    const user = { kind: 'user' as const, userId: 'u-ann', email: 'ann@example.com' };
    spec
      .given([registered()])
      .when(authorize(user))
      .thenThrows(ConnectorError, {
        code: 'NOT_USER_SPECIFIC',
        message:
          'connector zendesk is company-wide: one authorization by an admin serves every user; leave out --user, or make it user-specific with csmcp connectors update zendesk --authorization-scope user',
      });
    spec
      .given([registered({ authorizationScope: 'user' })])
      .when(authorize(user))
      .thenThrows(ConnectorError, {
        code: 'COMPANY_AUTHORIZATION_FIRST',
        message: 'connector zendesk is not authorised for the organisation yet: an admin authorises it first (csmcp connectors authorize zendesk), then each user',
      });
    spec
      .given([registered({ authorizationScope: 'user' }), companyAuthorized])
      .when(authorize(user))
      .then([
        {
          type: 'ConnectorAuthorized',
          data: { connectorId: 'con_1', name: 'zendesk', subject: 'user', userId: 'u-ann', userEmail: 'ann@example.com', grant: 'authorization_code', authorizedAt: later, authorizedBy: by },
        },
      ]);
  });

  it('has nothing to authorise without authentication', () => {
    spec
      .given([registered({ authKind: 'none', grant: null })])
      .when(authorize({ kind: 'company' }))
      .thenThrows(ConnectorError, { code: 'NO_AUTHORIZATION_NEEDED' });
  });

  it('forgets the organisation’s authorization when a change resets it, and the connector when removed', () => {
    const reset: ConnectorUpdated = {
      type: 'ConnectorUpdated',
      data: { connectorId: 'con_1', name: 'zendesk', changes: [{ field: 'url', from: 'a', to: 'b' }], authorizationsReset: true, updatedAt: later, updatedBy: by },
    };
    const fold = (events: Parameters<typeof connectorDecider.evolve>[1][]) => events.reduce(connectorDecider.evolve, connectorDecider.initialState());
    expect(fold([registered(), companyAuthorized, reset])).toMatchObject({ exists: true, companyAuthorizedAt: null });
    spec.given([registered()]).when(remove).then([{ type: 'ConnectorRemoved', data: { connectorId: 'con_1', name: 'zendesk', removedAt: later, removedBy: by } }]);
  });
});
