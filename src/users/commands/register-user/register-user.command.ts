import { Command } from '@nestjs/cqrs';
import type { AdminContext } from '../../../customer-success/companies/commands/admin-context';

export interface RegisterUserResult {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly role: string;
}

/**
 * Admin only: registers a user who may sign in and own records. `input` is validated against
 * RegisterUserDto. The email is unique (case-insensitive), enforced by a reservation stream, so two
 * registrations of one email at the same moment cannot both succeed.
 */
export class RegisterUserCommand extends Command<RegisterUserResult> {
  constructor(
    readonly input: unknown,
    readonly context: AdminContext,
  ) {
    super();
  }
}
