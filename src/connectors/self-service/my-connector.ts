import { ConnectorError } from '../registry/connector-error';
import type { ConnectorUser } from '../client/connector-client';

/**
 * A user-specific connector as the user who would authorise it sees it (authorize_connector): whether
 * the organisation authorised it (a user cannot before), and the state of this user's own grant.
 */
export interface MyConnector {
  readonly name: string;
  readonly url: string;
  readonly organisationAuthorized: boolean;
  readonly status: 'authorized' | 'not_authorized' | 'needs_reauthorization';
  /** Why it needs re-authorisation (the authorization server's refusal). */
  readonly problem: string | null;
  readonly authorizedAt: string | null;
  readonly expiresAt: string | null;
}

/** Who asks: a person (a user's token), or a machine client (client credentials), which has no account of its own at a provider. */
export interface SelfServiceCaller {
  readonly user: ConnectorUser;
  readonly actor: 'user' | 'client';
}

/** Only a person authorises their own account; a machine client's token is refused, listing included. */
export function notAUser(): ConnectorError {
  return new ConnectorError(
    'NOT_A_USER',
    'authorize_connector connects a person’s own account at an external service to csmcp; this token belongs to a machine client (client credentials), which has no such account. A user authorises with their own sign-in; company-wide connectors are authorised by an admin',
  );
}
