import type { Command } from 'commander';
import type { EventStore } from '@csmcp/event-store';
import { AccessTokenService, type TokenSummary } from '../../auth/tokens/access-token.service';
import { TokenRequestError } from '../../auth/tokens/personal-access-token';
import { SCOPES } from '../../auth/principal';
import { loadConfig } from '../../config/config';
import { CLI_ACTOR, type AdminContext } from '../../customer-success/companies/commands/admin-context';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { print, withAppContext } from '../context';
import { UsageError } from '../errors';
import { findAdmin } from './import/find-admin';

export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description('personal access tokens: a bearer token for the MCP endpoint without an OAuth sign-in');

  tokens
    .command('issue')
    .description('issue a personal access token and print it, once: only its hash is stored')
    .requiredOption('--user <email>', 'the user the token acts as')
    .requiredOption('--scopes <scopes>', `what it may do, separated by spaces: ${SCOPES.join(', ')} (admin only for admins)`)
    .requiredOption('--ttl <ttl>', 'how long it lives: 30m, 1h, 7d, 90d, ... at most 365d')
    .option('--name <name>', 'a label to recognise it by in tokens list, e.g. "laptop"')
    .option('--as <email>', 'the admin the issue is recorded as (default: the command line itself)')
    .option('--json', 'print JSON: { token, token_id, user, scopes, name, issued_at, expires_at }')
    .action(async (options: { user: string; scopes: string; ttl: string; name?: string; as?: string; json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const issued = await usage(async () =>
          app.get(AccessTokenService).issue({ email: options.user, scopes: options.scopes, ttl: options.ttl, name: options.name }, await contextOf(app.get(EVENT_STORE), options.as, 'tokens issue')),
        );
        if (options.json) {
          const body = { token: issued.token, token_id: issued.tokenId, user: issued.user.email, scopes: issued.scopes, name: issued.name, issued_at: issued.issuedAt, expires_at: issued.expiresAt };
          process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
          return;
        }
        // The token alone on stdout (TOKEN=$(csmcp tokens issue ...)); what it is on stderr.
        process.stdout.write(`${issued.token}\n`);
        process.stderr.write(
          `Token ${issued.tokenId} for ${issued.user.email} (${issued.scopes.join(' ')}), expires ${issued.expiresAt}. ` +
            'It is shown only this once: copy it now. Use it as Authorization: Bearer <token>.\n',
        );
      });
    });

  tokens
    .command('list')
    .description('list issued tokens, newest first (never the tokens themselves)')
    .option('--user <email>', "only this user's tokens")
    .option('--json', 'print JSON')
    .action(async (options: { user?: string; json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const list = await usage(() => app.get(AccessTokenService).list(options.user !== undefined ? { email: options.user } : {}));
        print(list.map(row), options.json === true);
      });
    });

  tokens
    .command('revoke')
    .argument('<token_id>', 'the id tokens list shows (pat_...)')
    .description('revoke a token: every server refuses it within a second')
    .option('--as <email>', 'the admin the revocation is recorded as (default: the command line itself)')
    .option('--json', 'print JSON')
    .action(async (tokenId: string, options: { as?: string; json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const context = await contextOf(app.get(EVENT_STORE), options.as, 'tokens revoke');
        const { token, alreadyRevoked } = await usage(() => app.get(AccessTokenService).revoke(tokenId, context));
        if (!options.json) process.stderr.write(alreadyRevoked ? `Token ${token.tokenId} was already revoked at ${token.revokedAt}.\n` : `Token ${token.tokenId} is revoked.\n`);
        print([{ ...row(token), already_revoked: alreadyRevoked }], options.json === true);
      });
    });
}

async function contextOf(store: EventStore, as: string | undefined, toolName: string): Promise<AdminContext> {
  return { actor: as ? await findAdmin(store, as) : CLI_ACTOR, toolName };
}

/** A refused request (unknown scope, bad ttl, unknown user) is a usage error: exit 2, no stack. */
async function usage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TokenRequestError) throw new UsageError(error.message);
    throw error;
  }
}

function row(t: TokenSummary): Record<string, unknown> {
  return {
    token_id: t.tokenId,
    user: t.email ?? t.userId,
    name: t.name,
    scopes: t.scopes.join(' '),
    status: t.status,
    issued_at: t.issuedAt,
    expires_at: t.expiresAt,
    revoked_at: t.revokedAt,
  };
}
