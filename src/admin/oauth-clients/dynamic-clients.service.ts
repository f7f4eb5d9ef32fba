import { Inject, Injectable } from '@nestjs/common';
import type { EventStore } from '@csmcp/event-store';
import { OAuthStateStore, type DynamicClientCursor, type DynamicClientRecord } from '../../auth/oauth-server/oauth-state.store';
import { adminMetadata, type AdminContext } from '../../customer-success/companies/commands/admin-context';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { dynamicClientStream, type DynamicClientDeleted } from './dynamic-client.events';

/** A dynamically registered client as an admin sees it (never its secret or the secret's hash). */
export interface DynamicClient {
  readonly clientId: string;
  readonly clientName: string | null;
  readonly redirectUris: string[];
  /** ISO 8601, from client_id_issued_at; null when unknown. */
  readonly createdAt: string | null;
  readonly tokenEndpointAuthMethod: string | null;
  readonly grantTypes: string[];
}

/** The clients registered through /oauth/register: list them, and remove one with everything it was issued. */
@Injectable()
export class DynamicClientsService {
  constructor(
    private readonly state: OAuthStateStore,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /** Newest first: `limit` clients after `after`, and whether more follow. */
  async page(limit: number, after: DynamicClientCursor | null): Promise<{ clients: DynamicClient[]; last: DynamicClientCursor | null; more: boolean }> {
    const records = await this.state.listClients({ limit: limit + 1, ...(after ? { after } : {}) });
    const page = records.slice(0, limit);
    const last = page.at(-1);
    return { clients: page.map(view), last: last ? { issuedAt: last.issuedAt ?? 0, clientId: last.clientId } : null, more: records.length > limit };
  }

  /**
   * Removes the client, revokes its grants (the MCP endpoint refuses their access tokens within a
   * second), then records who did it. The two live in different databases: a failure in between
   * leaves the client removed without its event (the error reaches the caller and the log).
   * Null when no dynamically registered client has this id.
   */
  async delete(clientId: string, context: AdminContext): Promise<{ client: DynamicClient; revokedGrants: number } | null> {
    const deleted = await this.state.deleteClient(clientId);
    if (!deleted) return null;
    const client = view(deleted.client);
    const { actor } = context;
    const event: DynamicClientDeleted = {
      type: 'DynamicClientDeleted',
      data: {
        clientId,
        clientName: client.clientName,
        redirectUris: client.redirectUris,
        revokedGrants: deleted.revokedGrants,
        deletedAt: (context.now ?? new Date()).toISOString(),
        deletedBy: actor.type === 'user' ? { type: 'user', id: actor.id, email: actor.email } : { type: 'system', id: actor.id, email: null },
      },
    };
    await this.store.appendToStream(dynamicClientStream(clientId), [event], { expectedRevision: 'any', metadata: adminMetadata(context) });
    return { client, revokedGrants: deleted.revokedGrants };
  }
}

function view(record: DynamicClientRecord): DynamicClient {
  const m = record.metadata;
  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
  return {
    clientId: record.clientId,
    clientName: typeof m.client_name === 'string' ? m.client_name : null,
    redirectUris: strings(m.redirect_uris),
    createdAt: record.issuedAt === null ? null : new Date(record.issuedAt * 1000).toISOString(),
    tokenEndpointAuthMethod: typeof m.token_endpoint_auth_method === 'string' ? m.token_endpoint_auth_method : null,
    grantTypes: strings(m.grant_types),
  };
}
