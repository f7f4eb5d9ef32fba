import { Command } from '@nestjs/cqrs';
import type { AdminContext } from '../../../customer-success/companies/commands/admin-context';

export interface ChangeUserTeamResult {
  readonly userId: string;
  readonly email: string;
  /** The team before (null: none). */
  readonly from: string | null;
  /** The team now (null: none). */
  readonly team: string | null;
  /** false: the user was in this team already (or in none, for null) and nothing was written. */
  readonly changed: boolean;
}

/**
 * Admin only: puts a user in a team (a name: letters, digits, spaces, - and _, at most 64
 * characters), moves them to another, or takes them out of theirs (`team` null). With personal
 * access a user sees the companies of every member of their team; tokens follow within a second.
 */
export class ChangeUserTeamCommand extends Command<ChangeUserTeamResult> {
  constructor(
    readonly userId: string,
    readonly team: unknown,
    readonly context: AdminContext,
  ) {
    super();
  }
}
