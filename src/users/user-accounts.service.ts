import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import { ProjectionRunner, type ReadModelDatabase } from '@csmcp/projections';
import { checkPasswordRules } from '../auth/passwords/password-hash';
import { PasswordService } from '../auth/passwords/password.service';
import type { AdminContext } from '../customer-success/companies/commands/admin-context';
import { UsersProjection } from '../customer-success/read-models/users.projection';
import { DomainError } from '../customer-success/shared/domain-error';
import { ProjectionHost } from '../infrastructure/infrastructure.module';
import { EVENT_STORE, READ_MODEL_DB } from '../infrastructure/tokens';
import { ChangeUserRoleCommand, type ChangeUserRoleResult } from './commands/change-user-role/change-user-role.command';
import { ChangeUserTeamCommand, type ChangeUserTeamResult } from './commands/change-user-team/change-user-team.command';
import { RegisterUserCommand } from './commands/register-user/register-user.command';
import { teamName } from './team';
import type { UserRole } from './user.events';

/** A user as an admin sees them: never a password or its hash, only whether one is set. */
export interface UserAccount {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly role: UserRole;
  /** null: in no team (with personal access the user sees their own companies only). */
  readonly team: string | null;
  readonly registeredAt: string;
  readonly hasPassword: boolean;
}

export interface RegisterAccountRequest {
  /** As the admin typed them; RegisterUserDto checks them (InputValidationError names each field). */
  readonly email: unknown;
  readonly name: unknown;
  readonly role: unknown;
  /** Optional: without one the user cannot sign in on csmcp's page yet. PasswordRuleError when too short or long. */
  readonly password?: string | null;
  /** Optional: the team the user joins (a VALIDATION DomainError on `team` when it is not a team name). */
  readonly team?: unknown;
}

export interface RegisteredAccount {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly role: string;
  readonly team: string | null;
  readonly passwordSet: boolean;
}

/** How long a list waits for the users read model to reach the head of the log. */
const CATCH_UP_TIMEOUT_MS = 120_000;

/**
 * The admin's use cases on users, for the CLI (`csmcp users`) and the admin API alike: register (with
 * an optional password and team), change a role, change a team, list. Writes go through the user commands; each is an event
 * with the admin as actor.
 */
@Injectable()
export class UserAccountsService {
  constructor(
    private readonly commands: CommandBus,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODEL_DB) private readonly db: ReadModelDatabase,
    private readonly passwords: PasswordService,
    private readonly projections: ProjectionHost,
  ) {}

  /**
   * Registers the user, then sets the password and the team. The password and the team name are
   * checked first, so a bad one leaves no user behind without them. Throws InputValidationError,
   * DomainError (ALREADY_EXISTS, VALIDATION) or PasswordRuleError.
   */
  async register(request: RegisterAccountRequest, context: AdminContext): Promise<RegisteredAccount> {
    const password = request.password ?? null;
    if (password !== null) checkPasswordRules(password);
    const team = teamName('team', request.team);
    const registered = await this.commands.execute(new RegisterUserCommand({ email: request.email, name: request.name, role: request.role }, context));
    if (password !== null) await this.passwords.setPassword(registered.userId, password, context);
    if (team !== null) await this.commands.execute(new ChangeUserTeamCommand(registered.userId, team, context));
    return { ...registered, team, passwordSet: password !== null };
  }

  /**
   * Gives the user another role. An admin may not change their own role (so the last admin cannot
   * lock everyone out by accident: another admin has to do it). DomainError NOT_FOUND, VALIDATION, ILLEGAL_STATE.
   */
  async changeRole(userId: string, role: unknown, context: AdminContext): Promise<ChangeUserRoleResult> {
    if (context.actor.type === 'user' && context.actor.id === userId)
      throw new DomainError('ILLEGAL_STATE', 'An admin cannot change their own role; ask another admin to do it', { field: 'user_id' });
    return this.commands.execute(new ChangeUserRoleCommand(userId, role, context));
  }

  /**
   * Puts the user in a team, moves them, or (team null) takes them out of theirs. Their tokens with
   * personal access follow within a second. DomainError NOT_FOUND, VALIDATION.
   */
  async changeTeam(userId: string, team: unknown, context: AdminContext): Promise<ChangeUserTeamResult> {
    return this.commands.execute(new ChangeUserTeamCommand(userId, team, context));
  }

  /** Every user, by email. */
  async list(): Promise<UserAccount[]> {
    // An empty store has no users (and no users read model yet to ask).
    if ((await this.store.headPosition()) === null) return [];
    await this.usersReadModelAtHead();
    const rows = await this.db.all<{ user_id: string; email: string; name: string; role: UserRole; team: string | null; registered_at: string }>(
      'SELECT user_id, email, name, role, team, registered_at FROM cs_users ORDER BY email',
    );
    return Promise.all(
      rows.map(async (r) => ({
        userId: r.user_id,
        email: r.email,
        name: r.name,
        role: r.role,
        team: r.team,
        registeredAt: r.registered_at,
        hasPassword: await this.passwords.hasPassword(r.user_id),
      })),
    );
  }

  /**
   * A user added a moment ago (by this process or the CLI beside it) is listed: the server waits for its
   * own projection runner; a CLI run, or a server still starting, brings the users read model up to
   * the head itself (safe beside a running server: checkpoints are locked per batch, so each event is
   * applied once).
   */
  private async usersReadModelAtHead(): Promise<void> {
    const head = await this.store.headPosition();
    if (!head) return;
    const runner = this.projections.runner;
    if (runner.status().some((s) => s.name === 'users' && s.live)) {
      await runner.waitForPosition(head, { projections: ['users'], timeoutMs: CATCH_UP_TIMEOUT_MS });
      return;
    }
    const oneShot = new ProjectionRunner({ store: this.store, db: this.db, projections: [new UsersProjection()] });
    await oneShot.start();
    try {
      await oneShot.waitForPosition(head, { timeoutMs: CATCH_UP_TIMEOUT_MS });
    } finally {
      await oneShot.stop();
    }
  }
}
