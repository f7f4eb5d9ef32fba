import { Command } from '@nestjs/cqrs';
import type { AdminContext } from '../../../customer-success/companies/commands/admin-context';
import type { UserRole } from '../../user.events';

export interface ChangeUserRoleResult {
  readonly userId: string;
  readonly email: string;
  readonly from: UserRole;
  readonly role: UserRole;
  /** false: the user had this role already and nothing was written. */
  readonly changed: boolean;
}

/**
 * Admin only: gives a user another role (admin, csm or viewer). `role` is checked by the user decider.
 * Tokens follow the new role within a second (a demoted admin's tokens lose the admin scope).
 */
export class ChangeUserRoleCommand extends Command<ChangeUserRoleResult> {
  constructor(
    readonly userId: string,
    readonly role: unknown,
    readonly context: AdminContext,
  ) {
    super();
  }
}
