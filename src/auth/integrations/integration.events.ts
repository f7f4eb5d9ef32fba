import type { DomainEvent } from '../../customer-success/shared/decider';
import type { AccessContext, GrantType, IntegrationPreset, TokenEndpointAuthMethod } from './integration';
import type { Scope } from '../principal';

/**
 * An integration's life lives in its own stream, named by its client id: looking a client up at the
 * token endpoint is one point read that every process sees at once (the CLI registers while the
 * server runs). Secrets appear only as SHA-256 hashes.
 */
export const INTEGRATION_STREAM_PREFIX = 'integration-';
export const integrationStream = (clientId: string) => `${INTEGRATION_STREAM_PREFIX}${clientId}`;

/**
 * Every integration ever registered, by client id: what `integrations list` reads. Written before the
 * integration's own stream, so a crash in between leaves an entry without an integration, which
 * listing skips.
 */
export const INTEGRATION_INDEX_STREAM = 'integration-index';

/** Who made a change (also in the event's metadata; kept in the data so the event tells it alone). */
export type IntegrationActor = { type: 'user' | 'system'; id: string; email: string | null };

export type IntegrationRegistered = DomainEvent<
  'IntegrationRegistered',
  {
    clientId: string;
    preset: IntegrationPreset;
    name: string;
    redirectUris: string[];
    scopes: Scope[];
    accessContext: AccessContext;
    grantTypes: GrantType[];
    tokenEndpointAuthMethod: TokenEndpointAuthMethod;
    ipAllowList: string[];
    /** SHA-256 (hex) of the client secret; null for a public client. */
    secretHash: string | null;
    registeredAt: string;
    registeredBy: IntegrationActor;
  }
>;

export type IntegrationSecretRotated = DomainEvent<
  'IntegrationSecretRotated',
  {
    clientId: string;
    secretHash: string;
    rotatedAt: string;
    /** The secrets valid before stop working at this time (= rotatedAt for an immediate rotation). */
    previousSecretsValidUntil: string;
    rotatedBy: IntegrationActor;
  }
>;

export const UPDATABLE_FIELDS = ['name', 'redirectUris', 'scopes', 'accessContext', 'grantTypes', 'tokenEndpointAuthMethod', 'ipAllowList'] as const;
export type UpdatableField = (typeof UPDATABLE_FIELDS)[number];
export type IntegrationFieldChange = { field: UpdatableField; from: string | string[]; to: string | string[] };

export type IntegrationUpdated = DomainEvent<
  'IntegrationUpdated',
  {
    clientId: string;
    /** Each changed field with its old and new value, in the order of UPDATABLE_FIELDS. */
    changes: IntegrationFieldChange[];
    updatedAt: string;
    updatedBy: IntegrationActor;
  }
>;

export type IntegrationDisabled = DomainEvent<'IntegrationDisabled', { clientId: string; disabledAt: string; disabledBy: IntegrationActor }>;
export type IntegrationEnabled = DomainEvent<'IntegrationEnabled', { clientId: string; enabledAt: string; enabledBy: IntegrationActor }>;

export type IntegrationEvent = IntegrationRegistered | IntegrationSecretRotated | IntegrationUpdated | IntegrationDisabled | IntegrationEnabled;

/** An index entry: only the client id. */
export type IntegrationIndexed = DomainEvent<'IntegrationIndexed', { clientId: string }>;
