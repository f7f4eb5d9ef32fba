import type { DomainEvent } from '../../customer-success/shared/decider';

/**
 * Dynamically registered OAuth clients (RFC 7591) live in the authorization server's state, not in
 * the event log; an admin removing one is still an event (who, when, which client, how many grants
 * it ended), in the client's own stream.
 */
export const dynamicClientStream = (clientId: string) => `oauth-dynamic-client-${clientId}`;

export type DynamicClientDeleted = DomainEvent<
  'DynamicClientDeleted',
  {
    clientId: string;
    clientName: string | null;
    redirectUris: string[];
    /** Grants revoked with it: their refresh tokens are gone and their access tokens refused. */
    revokedGrants: number;
    deletedAt: string;
    deletedBy: { type: 'user' | 'system'; id: string; email: string | null };
  }
>;
