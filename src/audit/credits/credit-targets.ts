import type { EventStore } from '@csmcp/event-store';
import { findUserByEmail, findUserById } from '../../users/user-directory';

export const LIMIT_SCOPES = ['user', 'integration'] as const;
export type LimitScope = (typeof LIMIT_SCOPES)[number];

/** Who a monthly limit is for: the id the ledger keys it by, and how people know them (an email, an integration's name). */
export interface CreditTarget {
  readonly scope: LimitScope;
  readonly id: string;
  /** The user's email or the integration's name; null when the id names no one known (any more). */
  readonly label: string | null;
}

/**
 * Where limits find the users and integrations they name. The ledger keys limits by user id and
 * client id; admins name users by email (the CLI) or either (the admin API).
 */
export interface CreditTargetDirectory {
  /** A user by email (when it has an @) or by id. */
  user(idOrEmail: string): Promise<{ readonly id: string; readonly email: string } | null>;
  integration(clientId: string): Promise<{ readonly id: string; readonly name: string } | null>;
}

/** A limit for a user or an integration that does not exist: nothing was recorded. */
export class CreditTargetNotFoundError extends Error {
  readonly code: 'USER_NOT_FOUND' | 'INTEGRATION_NOT_FOUND';
  readonly field = 'id' as const;

  constructor(
    readonly scope: LimitScope,
    readonly id: string,
  ) {
    super(scope === 'user' ? `no user has the ${id.includes('@') ? 'email' : 'id'} ${id}` : `no integration has client id ${id}`);
    this.code = scope === 'user' ? 'USER_NOT_FOUND' : 'INTEGRATION_NOT_FOUND';
    this.name = 'CreditTargetNotFoundError';
  }
}

/**
 * Users by point reads of their streams (a user registered a moment ago by the CLI is found), and
 * integrations through the integrations registry.
 */
export function creditTargetDirectory(store: EventStore, integrations: { get(clientId: string): Promise<{ clientId: string; name: string } | null> }): CreditTargetDirectory {
  return {
    async user(idOrEmail) {
      const user = idOrEmail.includes('@') ? await findUserByEmail(store, idOrEmail) : await findUserById(store, idOrEmail);
      return user ? { id: user.userId, email: user.email } : null;
    },
    async integration(clientId) {
      const integration = await integrations.get(clientId);
      return integration ? { id: integration.clientId, name: integration.name } : null;
    },
  };
}
