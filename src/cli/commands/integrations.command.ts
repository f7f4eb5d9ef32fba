import { Option, type Command } from 'commander';
import type { INestApplicationContext } from '@nestjs/common';
import type { EventStore } from '@csmcp/event-store';
import { ACCESS_CONTEXTS, INTEGRATION_PRESETS, type Integration } from '../../auth/integrations/integration';
import { IntegrationError } from '../../auth/integrations/integration-error';
import { integrationChangeJson as changeJson, integrationJson as json } from '../../auth/integrations/integration.json';
import { IntegrationService, SECRET_ROTATION_GRACE_MS, type UpdateIntegrationRequest } from '../../auth/integrations/integration.service';
import { PRESETS } from '../../auth/integrations/presets';
import { SCOPES } from '../../auth/principal';
import { loadConfig } from '../../config/config';
import { CLI_ACTOR, type AdminContext } from '../../customer-success/companies/commands/admin-context';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { print, withAppContext } from '../context';
import { UsageError } from '../errors';
import { findAdmin } from './import/find-admin';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const CONFIDENTIAL_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
const GRACE_HOURS = SECRET_ROTATION_GRACE_MS / 3_600_000;

interface CommonOptions {
  as?: string;
  json?: boolean;
}

interface SettingsOptions {
  redirectUri?: string[];
  scopes?: string;
  access?: string;
  grantTypes?: string;
  authMethod?: string;
  ipAllow?: string[];
}

export function registerIntegrations(program: Command): void {
  const integrations = program
    .command('integrations')
    .description(
      'the OAuth clients (ChatGPT, Claude, Copilot Studio, any MCP client) allowed to sign users in; the client id is also the ' +
        "integration id of the write policy's per-integration tool switches",
    );

  integrations
    .command('add')
    .description('register an integration and print its client id and client secret (the secret only this once: only its hash is stored)')
    .requiredOption('--name <name>', 'what users see on the consent page, e.g. "ChatGPT (sales team)"')
    .addOption(new Option('--preset <preset>', "the connector: fills in its known callback URLs").choices(INTEGRATION_PRESETS).makeOptionMandatory())
    .option('--redirect-uri <url>', 'a callback URL (repeat for more): https, or http on 127.0.0.1, [::1] or localhost (any port at sign-in)', collect)
    .option('--scopes <scopes>', `what it may ask for, separated by spaces: ${SCOPES.join(', ')} (default "cs:read cs:write")`)
    .addOption(new Option('--access <context>', 'personal: what the signed-in user may see; shared: the whole organisation (fixed once created)').choices(ACCESS_CONTEXTS))
    .option('--grant-types <types>', 'authorization_code, refresh_token, client_credentials (shared machine clients only); default "authorization_code refresh_token"')
    .addOption(new Option('--auth-method <method>', 'how it sends its secret to the token endpoint (default client_secret_basic)').choices(CONFIDENTIAL_AUTH_METHODS))
    .option('--public', 'a public client: no secret (token endpoint auth method none), PKCE alone protects its codes')
    .option('--ip-allow <cidr>', 'an IP range it may be used from, e.g. 203.0.113.0/24 or 2001:db8::/32 (repeat for more; default: anywhere)', collect)
    .option('--as <email>', 'the admin the registration is recorded as (default: the command line itself)')
    .option('--json', 'print JSON: { client_id, client_secret, name, preset, redirect_uris, ... }')
    .action(async (options: SettingsOptions & CommonOptions & { name: string; preset: string; public?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const context = await contextOf(app, options.as, 'integrations add');
        const { integration, clientSecret } = await usage(() =>
          app.get(IntegrationService).register(
            {
              name: options.name,
              preset: options.preset,
              redirectUris: options.redirectUri,
              scopes: options.scopes,
              accessContext: options.access,
              grantTypes: options.grantTypes,
              tokenEndpointAuthMethod: options.authMethod,
              public: options.public === true,
              ipAllowList: options.ipAllow,
            },
            context,
          ),
        );
        if (options.json) {
          const { client_id, ...rest } = json(integration);
          process.stdout.write(`${JSON.stringify({ client_id, client_secret: clientSecret, ...rest }, null, 2)}\n`);
          return;
        }
        // The two values a connector's setup asks for on stdout; what to do next on stderr.
        process.stdout.write(`client_id      ${integration.clientId}\n${clientSecret === null ? '' : `client_secret  ${clientSecret}\n`}`);
        const preset = PRESETS[integration.preset];
        process.stderr.write(
          `Integration "${integration.name}" registered (${preset.label}, ${integration.accessContext} access, ${integration.scopes.join(' ')}).\n` +
            (clientSecret === null ? 'A public client: it has no secret.\n' : 'The client secret is shown only this once: copy it now.\n') +
            (integration.redirectUris.length > 0
              ? `Redirect URIs: ${integration.redirectUris.join(' ')}\n`
              : integration.grantTypes.includes('authorization_code')
                ? `No redirect URI yet: ${preset.redirectUriHint}; add it with csmcp integrations update ${integration.clientId} --add-redirect-uri URL.\n`
                : ''),
        );
      });
    });

  integrations
    .command('list')
    .description('list the integrations, oldest first (never a secret)')
    .option('--json', 'print JSON: every setting of each integration')
    .action(async (options: { json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const list = await app.get(IntegrationService).list();
        if (options.json) {
          process.stdout.write(`${JSON.stringify(list.map(json), null, 2)}\n`);
          return;
        }
        print(
          list.map((i) => ({
            client_id: i.clientId,
            name: i.name,
            preset: i.preset,
            access: i.accessContext,
            scopes: i.scopes.join(' '),
            client: i.confidential ? i.tokenEndpointAuthMethod : 'public',
            redirect_uris: i.redirectUris.length,
            ip_allow: i.ipAllowList.length === 0 ? 'any' : i.ipAllowList.join(' '),
            status: i.enabled ? 'enabled' : 'disabled',
            registered_at: i.registeredAt,
          })),
          false,
        );
      });
    });

  integrations
    .command('show')
    .argument('<client_id>', 'the client id integrations list shows (csmcp_int_...)')
    .description('every setting of one integration, and until when its secrets work (never the secrets)')
    .option('--json', 'print JSON')
    .action(async (clientId: string, options: { json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const integration = await app.get(IntegrationService).get(clientId.trim());
        if (!integration) throw new UsageError(`no integration has client id ${clientId}; csmcp integrations list shows them`);
        show(integration, options.json === true);
      });
    });

  integrations
    .command('update')
    .argument('<client_id>', 'the client id (csmcp_int_...)')
    .description('change an integration: name, redirect URIs, scopes, grant types, auth method, IP ranges (the access context is fixed once created)')
    .option('--name <name>', 'a new name')
    .option('--redirect-uri <url>', 'replace every redirect URI with these (repeat for more)', collect)
    .option('--add-redirect-uri <url>', 'add a redirect URI (repeat for more), e.g. the callback URL ChatGPT or Copilot Studio shows', collect)
    .option('--remove-redirect-uri <url>', 'remove a redirect URI (repeat for more)', collect)
    .option('--scopes <scopes>', `replace the scopes: ${SCOPES.join(', ')}, separated by spaces`)
    .addOption(new Option('--access <context>', 'refused unless unchanged: create a new integration instead').choices(ACCESS_CONTEXTS))
    .option('--grant-types <types>', 'replace the grant types: authorization_code, refresh_token, client_credentials')
    .addOption(new Option('--auth-method <method>', "how a confidential client sends its secret").choices(CONFIDENTIAL_AUTH_METHODS))
    .option('--ip-allow <cidr>', 'replace the IP ranges with these (repeat for more)', collect)
    .option('--clear-ip-allow', 'allow every address again')
    .option('--as <email>', 'the admin the change is recorded as (default: the command line itself)')
    .option('--json', 'print JSON: { integration, changes }')
    .action(
      async (
        clientId: string,
        options: SettingsOptions & CommonOptions & { name?: string; addRedirectUri?: string[]; removeRedirectUri?: string[]; clearIpAllow?: boolean },
      ) => {
        if (options.clearIpAllow && options.ipAllow) throw new UsageError('give either --ip-allow or --clear-ip-allow, not both');
        const request: UpdateIntegrationRequest = {
          name: options.name,
          redirectUris: options.redirectUri,
          addRedirectUris: options.addRedirectUri,
          removeRedirectUris: options.removeRedirectUri,
          scopes: options.scopes,
          accessContext: options.access,
          grantTypes: options.grantTypes,
          tokenEndpointAuthMethod: options.authMethod,
          ipAllowList: options.clearIpAllow ? [] : options.ipAllow,
        };
        if (Object.values(request).every((v) => v === undefined))
          throw new UsageError(
            'nothing to update: give one or more of --name, --redirect-uri, --add-redirect-uri, --remove-redirect-uri, --scopes, --grant-types, --auth-method, --ip-allow, --clear-ip-allow',
          );
        await withAppContext(loadConfig(), async (app) => {
          const context = await contextOf(app, options.as, 'integrations update');
          const { integration, changes } = await usage(() => app.get(IntegrationService).update(clientId.trim(), request, context));
          if (options.json) {
            process.stdout.write(`${JSON.stringify({ integration: json(integration), changes: changes.map(changeJson) }, null, 2)}\n`);
            return;
          }
          process.stderr.write(changes.length === 0 ? `Nothing changed: integration ${integration.clientId} already has these settings.\n` : `Integration ${integration.clientId} updated.\n`);
          print(changes.map(changeJson).map((c) => ({ field: c.field, from: text(c.from), to: text(c.to) })), false);
        });
      },
    );

  integrations
    .command('rotate-secret')
    .argument('<client_id>', 'the client id (csmcp_int_...)')
    .description(`issue a new client secret and print it once; the old one keeps working for ${GRACE_HOURS} hours (so the connector can be updated) unless --now`)
    .option('--now', 'the old secret stops working at once (it leaked)')
    .option('--as <email>', 'the admin the rotation is recorded as (default: the command line itself)')
    .option('--json', 'print JSON: { client_id, client_secret, previous_secrets_valid_until }')
    .action(async (clientId: string, options: CommonOptions & { now?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const context = await contextOf(app, options.as, 'integrations rotate-secret');
        const rotated = await usage(() => app.get(IntegrationService).rotateSecret(clientId.trim(), { immediately: options.now === true }, context));
        if (options.json) {
          const body = { client_id: rotated.integration.clientId, client_secret: rotated.clientSecret, previous_secrets_valid_until: rotated.previousSecretsValidUntil };
          process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
          return;
        }
        process.stdout.write(`client_secret  ${rotated.clientSecret}\n`);
        process.stderr.write(
          'The new client secret is shown only this once: copy it now. ' +
            (options.now ? 'The previous secret stopped working now.\n' : `The previous secret works until ${rotated.previousSecretsValidUntil}: update the connector before then.\n`),
        );
      });
    });

  for (const [name, description] of [
    ['disable', 'stop an integration: its secret no longer verifies and nobody can sign in through it'],
    ['enable', 'let a disabled integration sign users in again'],
  ] as const) {
    integrations
      .command(name)
      .argument('<client_id>', 'the client id (csmcp_int_...)')
      .description(description)
      .option('--as <email>', `the admin the change is recorded as (default: the command line itself)`)
      .option('--json', 'print JSON')
      .action(async (clientId: string, options: CommonOptions) => {
        await withAppContext(loadConfig(), async (app) => {
          const context = await contextOf(app, options.as, `integrations ${name}`);
          const service = app.get(IntegrationService);
          const { integration, changed } = await usage(() => (name === 'disable' ? service.disable(clientId.trim(), context) : service.enable(clientId.trim(), context)));
          if (!options.json) process.stderr.write(`Integration ${integration.clientId} ${changed ? 'is now' : 'was already'} ${name}d.\n`);
          print([{ client_id: integration.clientId, name: integration.name, status: integration.enabled ? 'enabled' : 'disabled', changed }], options.json === true);
        });
      });
  }
}

async function contextOf(app: INestApplicationContext, as: string | undefined, toolName: string): Promise<AdminContext> {
  return { actor: as ? await findAdmin(app.get<EventStore>(EVENT_STORE), as) : CLI_ACTOR, toolName };
}

/** A refused request (bad redirect URI, unknown scope, unknown client id) is a usage error: exit 2, no stack. */
async function usage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof IntegrationError) throw new UsageError(error.message);
    throw error;
  }
}

function show(i: Integration, asJson: boolean): void {
  if (asJson) {
    process.stdout.write(`${JSON.stringify(json(i), null, 2)}\n`);
    return;
  }
  const lines: Array<[string, string]> = [
    ['client_id', i.clientId],
    ['name', i.name],
    ['preset', i.preset],
    ['status', i.enabled ? 'enabled' : 'disabled'],
    ['access_context', i.accessContext],
    ['scopes', i.scopes.join(' ')],
    ['grant_types', i.grantTypes.join(' ')],
    ['token_endpoint_auth_method', i.tokenEndpointAuthMethod],
    ...(i.redirectUris.length === 0 ? [['redirect_uri', '(none)'] as [string, string]] : i.redirectUris.map((u): [string, string] => ['redirect_uri', u])),
    ['ip_allow', i.ipAllowList.length === 0 ? 'any address' : i.ipAllowList.join(' ')],
    ...i.secrets.map((s): [string, string] => ['secret', `issued ${s.issuedAt}, ${s.validUntil === null ? 'current' : `valid until ${s.validUntil}`}`]),
    ['registered_at', i.registeredAt],
    ['updated_at', i.updatedAt],
  ];
  const width = Math.max(...lines.map(([k]) => k.length));
  process.stdout.write(`${lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
}

function text(value: string | string[]): string {
  return Array.isArray(value) ? (value.length === 0 ? '(none)' : value.join(' ')) : value;
}
