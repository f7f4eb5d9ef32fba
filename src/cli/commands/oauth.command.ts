import type { Command } from 'commander';
import type { INestApplicationContext } from '@nestjs/common';
import type { EventStore } from '@csmcp/event-store';
import { OAuthStateStore } from '../../auth/oauth-server/oauth-state.store';
import { KEY_SET_MAX_AGE_MS, SigningKeys, type SigningKeyView } from '../../auth/oauth-server/signing-keys';
import { loadConfig, type AppConfig } from '../../config/config';
import { CLI_ACTOR, type AdminContext } from '../../customer-success/companies/commands/admin-context';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { print, withAppContext } from '../context';
import { UsageError } from '../errors';
import { findAdmin } from './import/find-admin';

const PICKED_UP_SECONDS = KEY_SET_MAX_AGE_MS / 1000;

export function registerOAuth(program: Command): void {
  const oauth = program.command('oauth').description("the built-in authorization server's operations");
  const keys = oauth
    .command('keys')
    .description(
      'the keys access tokens are signed with (ES256): one active key signs, previous keys stay published and accepted until retired; ' +
        'running servers follow a change within seconds, without a restart; each change is an event naming who made it',
    );

  keys
    .command('list')
    .description('every signing key with its status (active, previous, retired) and dates; never private material')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withKeys(async (ring) => {
        const list = await ring.list();
        if (options.json) {
          process.stdout.write(`${JSON.stringify(list.map(json), null, 2)}\n`);
          return;
        }
        print(
          list.map((k) => ({
            kid: k.kid,
            status: k.status,
            created_at: k.createdAt,
            created_by: actor(k.createdBy),
            rotated_out_at: k.rotatedOutAt,
            retirable_at: k.status === 'previous' ? k.retirableAt : null,
            retires_at: k.status === 'previous' ? (k.retiresAt ?? 'by retire-old') : null,
            retired_at: k.retiredAt,
          })),
          false,
        );
      });
    });

  keys
    .command('rotate')
    .description(
      `a new key signs from now on (running servers within ${PICKED_UP_SECONDS} s); the active key becomes previous: still published and accepted ` +
        'until retire-old or OAUTH_SIGNING_KEY_RETIRE_AFTER retires it',
    )
    .option('--as <email>', 'the admin the rotation is recorded as (default: the command line itself)')
    .option('--json', 'print JSON: { active, previous }')
    .action(async (options: { as?: string; json?: boolean }) => {
      await withKeys(async (ring, app) => {
        const { active, previous } = await ring.rotate(await contextOf(app, options.as, 'oauth keys rotate'));
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ active: json(active), previous: previous && json(previous) }, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${active.kid}\n`);
        process.stderr.write(
          `Signing key ${active.kid} signs new tokens from now on (running servers switch within ${PICKED_UP_SECONDS} seconds).\n` +
            (previous
              ? `The previous key ${previous.kid} stays published and accepted: csmcp oauth keys retire-old retires it from ${previous.retirableAt}` +
                (previous.retiresAt ? `; it is retired automatically at ${previous.retiresAt}.\n` : ' (automatic retirement is off).\n')
              : ''),
        );
      });
    });

  keys
    .command('retire-old')
    .description(
      'retire the previous keys whose tokens have expired (about 31 minutes after the rotation): no longer published, their tokens refused; ' +
        '--now retires every previous key at once (a leaked key)',
    )
    .option('--now', 'retire previous keys at once, even if tokens signed with them have not expired (those tokens are refused from then on)')
    .option('--as <email>', 'the admin the retirement is recorded as (default: the command line itself)')
    .option('--json', 'print JSON: { retired, waiting }')
    .action(async (options: { now?: boolean; as?: string; json?: boolean }) => {
      await withKeys(async (ring, app) => {
        const { retired, waiting } = await ring.retireOld(await contextOf(app, options.as, 'oauth keys retire-old'), { immediately: options.now === true });
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ retired: retired.map(json), waiting: waiting.map(json) }, null, 2)}\n`);
          if (retired.length === 0 && waiting.length > 0) process.exitCode = 2;
          return;
        }
        const wait = waiting.map((k) => `${k.kid} was rotated out at ${k.rotatedOutAt}; tokens signed with it may be in use until ${k.retirableAt}`).join('\n');
        if (retired.length === 0 && waiting.length > 0)
          throw new UsageError(`no previous key can be retired yet:\n${wait}\nRun retire-old again then, or use --now to retire them at once (for a leaked key: tokens signed with them are refused from then on)`);
        for (const k of retired) process.stdout.write(`${k.kid}\n`);
        process.stderr.write(
          (retired.length === 0
            ? 'No previous key to retire.\n'
            : `Retired ${retired.length === 1 ? 'key' : 'keys'} ${retired.map((k) => k.kid).join(', ')}: no longer published; running servers refuse tokens signed with ${retired.length === 1 ? 'it' : 'them'} within ${PICKED_UP_SECONDS} seconds.\n`) +
            (waiting.length > 0 ? `Not yet:\n${wait}\n` : ''),
        );
      });
    });
}

/** The key ring on the store and OAuth state database the server uses; refused when the keys are an external authorization server's. */
async function withKeys(work: (ring: SigningKeys, app: INestApplicationContext) => Promise<void>): Promise<void> {
  const config: AppConfig = loadConfig();
  if (config.oauth)
    throw new UsageError(`OAUTH_ISSUER is set: access tokens come from ${config.oauth.issuer}, whose keys are managed there; csmcp's built-in authorization server is off`);
  await withAppContext(config, async (app) => {
    const ring = new SigningKeys(app.get<EventStore>(EVENT_STORE), app.get(OAuthStateStore), { retireAfterMs: config.signingKeyRetireAfterMs });
    await work(ring, app);
  });
}

async function contextOf(app: INestApplicationContext, as: string | undefined, toolName: string): Promise<AdminContext> {
  return { actor: as ? await findAdmin(app.get<EventStore>(EVENT_STORE), as) : CLI_ACTOR, toolName };
}

function actor(by: SigningKeyView['createdBy'] | null): string | null {
  if (!by) return null;
  return by.type === 'user' ? (by.email ?? by.id) : by.id;
}

function json(k: SigningKeyView): Record<string, unknown> {
  return {
    kid: k.kid,
    alg: k.alg,
    status: k.status,
    origin: k.origin,
    created_at: k.createdAt,
    created_by: k.createdBy,
    rotated_out_at: k.rotatedOutAt,
    retirable_at: k.retirableAt,
    retires_at: k.retiresAt,
    retired_at: k.retiredAt,
    retired_by: k.retiredBy,
    retire_reason: k.retireReason,
  };
}
