import { Option, type Command } from 'commander';
import { CommandBus } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import { ProjectionRunner, type ReadModelDatabase } from '@csmcp/projections';
import { PasswordService } from '../../auth/passwords/password.service';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, PasswordRuleError, checkPasswordRules } from '../../auth/passwords/password-hash';
import { loadConfig } from '../../config/config';
import { CLI_ACTOR, type AdminContext } from '../../customer-success/companies/commands/admin-context';
import { UsersProjection } from '../../customer-success/read-models/users.projection';
import { DomainError } from '../../customer-success/shared/domain-error';
import { InputValidationError } from '../../customer-success/write/write-errors';
import { EVENT_STORE, READ_MODEL_DB } from '../../infrastructure/tokens';
import { RegisterUserCommand } from '../../users/commands/register-user/register-user.command';
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
    .option('--as <email>', 'the admin the registration is recorded as (default: the command line itself)')
    .option('--json', 'print JSON')
    .action(async (options: { email: string; name: string; role: string; passwordStdin?: boolean; as?: string; json?: boolean }) => {
      // Read and checked before anything is written, so a bad password leaves no user without one.
      const password = options.passwordStdin ? await readPasswordFromStdin() : null;
      await withAppContext(loadConfig(), async (app) => {
        const store = app.get<EventStore>(EVENT_STORE);
        const context: AdminContext = { actor: options.as ? await findAdmin(store, options.as) : CLI_ACTOR, toolName: 'users add' };
        let registered;
        try {
          registered = await app.get(CommandBus).execute(new RegisterUserCommand({ email: options.email, name: options.name, role: options.role }, context));
        } catch (error) {
          if (error instanceof InputValidationError) throw new UsageError(error.problems.map((p) => `--${p.field}: ${p.problem}`).join('; '));
          if (error instanceof DomainError) {
            process.exitCode = 1;
            process.stderr.write(`csmcp: ${error.message}\n`);
            return;
          }
          throw error;
        }
        if (password !== null) await app.get(PasswordService).setPassword(registered.userId, password, context);
        print(
          [{ user_id: registered.userId, email: registered.email, name: registered.name, role: registered.role, password_set: password !== null }],
          options.json === true,
        );
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
        const store = app.get<EventStore>(EVENT_STORE);
        const db = app.get<ReadModelDatabase>(READ_MODEL_DB);
        await catchUpUsersReadModel(store, db);
        const rows = await db.all<{ user_id: string; email: string; name: string; role: string; registered_at: string }>(
          'SELECT user_id, email, name, role, registered_at FROM cs_users ORDER BY email',
        );
        const passwords = app.get(PasswordService);
        const withPassword = await Promise.all(rows.map(async (r) => ({ ...r, has_password: await passwords.hasPassword(r.user_id) })));
        print(withPassword, options.json === true);
      });
    });
}

/**
 * The users read model is kept by the server; a CLI run (with or without a server) first brings it up
 * to the head of the log itself, so a user added a moment ago is listed. Safe beside a running server:
 * checkpoints are locked per batch, so each event is applied once.
 */
async function catchUpUsersReadModel(store: EventStore, db: ReadModelDatabase): Promise<void> {
  const runner = new ProjectionRunner({ store, db, projections: [new UsersProjection()] });
  await runner.start();
  try {
    const head = await store.headPosition();
    if (head) await runner.waitForPosition(head, { timeoutMs: 120_000 });
  } finally {
    await runner.stop();
  }
}

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
