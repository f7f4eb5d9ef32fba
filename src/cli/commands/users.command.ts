import { Option, type Command } from 'commander';
import type { EventStore } from '@csmcp/event-store';
import { PasswordService } from '../../auth/passwords/password.service';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, PasswordRuleError, checkPasswordRules } from '../../auth/passwords/password-hash';
import { loadConfig } from '../../config/config';
import { CLI_ACTOR, type AdminContext } from '../../customer-success/companies/commands/admin-context';
import { DomainError } from '../../customer-success/shared/domain-error';
import { InputValidationError } from '../../customer-success/write/write-errors';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { UserAccountsService } from '../../users/user-accounts.service';
import { TEAM_NAME_MAX_LENGTH } from '../../users/team';
import { findUserByEmail } from '../../users/user-directory';
import { USER_ROLES } from '../../users/user.events';
import { print, withAppContext } from '../context';
import { UsageError } from '../errors';
import { findAdmin } from './import/find-admin';

export function registerUsers(program: Command): void {
  const users = program.command('users').description('register the people who may sign in and own records');

  users
    .command('add')
    .description(
      'register a user; with --password-stdin, also the password they sign in with. The first user of an empty store ' +
        'is added the same way (recorded as done by the command line): make it an admin',
    )
    .requiredOption('--email <email>', 'their email address (unique, case-insensitive)')
    .requiredOption('--name <name>', 'their name as others see it')
    .addOption(new Option('--role <role>', 'what they may do').choices(USER_ROLES).makeOptionMandatory())
    .option('--password-stdin', `read the password from stdin (one line of ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters); without it the user cannot sign in yet`)
    .option('--team <team>', TEAM_HELP)
    .option('--as <email>', 'the admin the registration is recorded as (default: the command line itself)')
    .option('--json', 'print JSON')
    .action(async (options: { email: string; name: string; role: string; passwordStdin?: boolean; team?: string; as?: string; json?: boolean }) => {
      // Read and checked before anything is written, so a bad password leaves no user without one.
      const password = options.passwordStdin ? await readPasswordFromStdin() : null;
      await withAppContext(loadConfig(), async (app) => {
        const store = app.get<EventStore>(EVENT_STORE);
        const context: AdminContext = { actor: options.as ? await findAdmin(store, options.as) : CLI_ACTOR, toolName: 'users add' };
        let registered;
        try {
          registered = await app.get(UserAccountsService).register({ email: options.email, name: options.name, role: options.role, password, team: options.team }, context);
        } catch (error) {
          if (error instanceof InputValidationError) throw new UsageError(error.problems.map((p) => `--${p.field}: ${p.problem}`).join('; '));
          if (error instanceof DomainError && error.field === 'team') throw new UsageError(`--${error.message}`);
          if (error instanceof DomainError) {
            process.exitCode = 1;
            process.stderr.write(`csmcp: ${error.message}\n`);
            return;
          }
          throw error;
        }
        print(
          [{ user_id: registered.userId, email: registered.email, name: registered.name, role: registered.role, team: registered.team, password_set: registered.passwordSet }],
          options.json === true,
        );
      });
    });

  users
    .command('set-role')
    .description('give a user another role (their tokens follow within a second: a demoted admin loses the admin scope)')
    .requiredOption('--email <email>', 'the user')
    .addOption(new Option('--role <role>', 'what they may do').choices(USER_ROLES).makeOptionMandatory())
    .option('--as <email>', 'the admin the change is recorded as (default: the command line itself)')
    .option('--json', 'print JSON')
    .action(async (options: { email: string; role: string; as?: string; json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const store = app.get<EventStore>(EVENT_STORE);
        const user = await findUserByEmail(store, options.email);
        if (!user) throw new UsageError(`--email: there is no user ${options.email}; add one with csmcp users add`);
        const context: AdminContext = { actor: options.as ? await findAdmin(store, options.as) : CLI_ACTOR, toolName: 'users set-role' };
        let changed;
        try {
          changed = await app.get(UserAccountsService).changeRole(user.userId, options.role, context);
        } catch (error) {
          if (error instanceof DomainError) throw new UsageError(error.message);
          throw error;
        }
        if (!options.json) process.stderr.write(changed.changed ? `${changed.email} is now ${changed.role} (was ${changed.from}).\n` : `${changed.email} was already ${changed.role}.\n`);
        print([{ user_id: changed.userId, email: changed.email, role: changed.role, previous_role: changed.from, changed: changed.changed }], options.json === true);
      });
    });

  users
    .command('set-team')
    .description(
      'put a user in a team, move them to another, or take them out of theirs (--none); with personal access a user sees ' +
        "the companies of everyone in their team (their tokens follow within a second)",
    )
    .requiredOption('--email <email>', 'the user')
    .option('--team <team>', TEAM_HELP)
    .option('--none', 'take the user out of their team')
    .option('--as <email>', 'the admin the change is recorded as (default: the command line itself)')
    .option('--json', 'print JSON')
    .action(async (options: { email: string; team?: string; none?: boolean; as?: string; json?: boolean }) => {
      if ((options.team === undefined) === (options.none !== true)) throw new UsageError('give either --team <team> or --none (to take the user out of their team)');
      await withAppContext(loadConfig(), async (app) => {
        const store = app.get<EventStore>(EVENT_STORE);
        const user = await findUserByEmail(store, options.email);
        if (!user) throw new UsageError(`--email: there is no user ${options.email}; add one with csmcp users add`);
        const context: AdminContext = { actor: options.as ? await findAdmin(store, options.as) : CLI_ACTOR, toolName: 'users set-team' };
        let changed;
        try {
          changed = await app.get(UserAccountsService).changeTeam(user.userId, options.none ? null : options.team, context);
        } catch (error) {
          if (error instanceof DomainError) throw new UsageError(error.field === 'team' ? `--${error.message}` : error.message);
          throw error;
        }
        const name = (team: string | null) => (team === null ? 'no team' : `team ${team}`);
        if (!options.json)
          process.stderr.write(changed.changed ? `${changed.email} is now in ${name(changed.team)} (was in ${name(changed.from)}).\n` : `${changed.email} was already in ${name(changed.team)}.\n`);
        print([{ user_id: changed.userId, email: changed.email, team: changed.team, previous_team: changed.from, changed: changed.changed }], options.json === true);
      });
    });

  users
    .command('set-password')
    .description('set or replace the password a user signs in with (also finishes a `users add` that stopped before its password)')
    .requiredOption('--email <email>', 'the user')
    .requiredOption('--password-stdin', `read the password from stdin (one line of ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters)`)
    .option('--as <email>', 'the admin the change is recorded as (default: the command line itself)')
    .option('--json', 'print JSON')
    .action(async (options: { email: string; as?: string; json?: boolean }) => {
      const password = await readPasswordFromStdin();
      await withAppContext(loadConfig(), async (app) => {
        const store = app.get<EventStore>(EVENT_STORE);
        const user = await findUserByEmail(store, options.email);
        if (!user) throw new UsageError(`--email: there is no user ${options.email}; add one with csmcp users add`);
        const context: AdminContext = { actor: options.as ? await findAdmin(store, options.as) : CLI_ACTOR, toolName: 'users set-password' };
        await app.get(PasswordService).setPassword(user.userId, password, context);
        print([{ user_id: user.userId, email: user.email, password_set: true }], options.json === true);
      });
    });

  users
    .command('list')
    .description('list the registered users')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const users = await app.get(UserAccountsService).list();
        const withPassword = users.map((u) => ({
          user_id: u.userId,
          email: u.email,
          name: u.name,
          role: u.role,
          team: u.team,
          registered_at: u.registeredAt,
          has_password: u.hasPassword,
        }));
        print(withPassword, options.json === true);
      });
    });
}

const TEAM_HELP = `their team (at most ${TEAM_NAME_MAX_LENGTH} letters, digits, spaces, - and _; case does not matter): with personal access they see the companies of everyone in it`;

/** The password is the first line of stdin (its line ending stripped); never echoed, logged or stored as is. */
async function readPasswordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (then Enter and Ctrl-D): ');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > 64 * 1024) throw new UsageError(`--password-stdin: stdin holds more than 64 KiB; a password has ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`);
  }
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (password.includes('\n')) throw new UsageError('--password-stdin: stdin holds several lines; give the password alone on one line');
  try {
    checkPasswordRules(password);
  } catch (error) {
    if (error instanceof PasswordRuleError) throw new UsageError(`--password-stdin: ${error.message}`);
    throw error;
  }
  return password;
}
