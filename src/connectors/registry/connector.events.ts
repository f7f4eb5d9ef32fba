import type { DomainEvent } from '../../customer-success/shared/decider';
import type { AuthorizationScope, ConnectorAuthKind, ConnectorGrant, ConnectorTransport } from './connector';

/**
 * A connector's life lives in the stream connector-<name>: one point read finds it by the name admins
 * use, and registering a name twice is a concurrency conflict the store decides. The stream outlives a
 * removal; adding the name again starts a new connector (a new id). Never a secret or a token here:
 * those are encrypted in the connectors' state database.
 */
export const CONNECTOR_STREAM_PREFIX = 'connector-';
export const connectorStream = (name: string) => `${CONNECTOR_STREAM_PREFIX}${name}`;

/** Every name ever registered: what `connectors list` reads (written before the connector's own stream). */
export const CONNECTOR_INDEX_STREAM = 'connector-index';

/** Who made a change (also in the event's metadata; kept in the data so the event tells it alone). */
export type ConnectorActor = { type: 'user' | 'system'; id: string; email: string | null };

export type ConnectorRegistered = DomainEvent<
  'ConnectorRegistered',
  {
    connectorId: string;
    name: string;
    url: string;
    transport: ConnectorTransport;
    authKind: ConnectorAuthKind;
    clientId: string | null;
    grant: ConnectorGrant | null;
    scopes: string[];
    authorizationScope: AuthorizationScope;
    allowedHosts: string[];
    /** oauth_client: a client secret was stored (encrypted, outside the event log). */
    hasClientSecret: boolean;
    registeredAt: string;
    registeredBy: ConnectorActor;
  }
>;

export const CONNECTOR_UPDATABLE_FIELDS = ['url', 'transport', 'authKind', 'clientId', 'grant', 'scopes', 'authorizationScope', 'allowedHosts', 'clientSecret'] as const;
export type ConnectorUpdatableField = (typeof CONNECTOR_UPDATABLE_FIELDS)[number];
/** clientSecret changes read "(none)" → "(set)", "(set)" → "(replaced)", "(set)" → "(none)": never the secret. */
export type ConnectorFieldChange = { field: ConnectorUpdatableField; from: string | string[] | null; to: string | string[] | null };

export type ConnectorUpdated = DomainEvent<
  'ConnectorUpdated',
  {
    connectorId: string;
    name: string;
    changes: ConnectorFieldChange[];
    /**
     * The change makes every authorization void (another server, another way to authenticate, another
     * client): stored tokens are dropped and the admin authorises again (then each user).
     */
    authorizationsReset: boolean;
    updatedAt: string;
    updatedBy: ConnectorActor;
  }
>;

export type ConnectorRemoved = DomainEvent<'ConnectorRemoved', { connectorId: string; name: string; removedAt: string; removedBy: ConnectorActor }>;

/** An authorization finished: the admin's for the organisation, or one user's (tokens stored, encrypted, elsewhere). */
export type ConnectorAuthorized = DomainEvent<
  'ConnectorAuthorized',
  {
    connectorId: string;
    name: string;
    subject: 'company' | 'user';
    userId: string | null;
    userEmail: string | null;
    /** authorization_code (someone signed in at the provider) or client_credentials (csmcp as itself). */
    grant: ConnectorGrant;
    authorizedAt: string;
    /** Who started it (the admin who ran `connectors authorize`). */
    authorizedBy: ConnectorActor;
  }
>;

export type ConnectorEvent = ConnectorRegistered | ConnectorUpdated | ConnectorRemoved | ConnectorAuthorized;

/** An index entry: only the name. */
export type ConnectorIndexed = DomainEvent<'ConnectorIndexed', { name: string }>;
