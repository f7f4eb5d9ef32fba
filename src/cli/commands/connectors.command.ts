import { Option, type Command } from 'commander';
import type { INestApplicationContext } from '@nestjs/common';
import type { EventStore } from '@csmcp/event-store';
import { loadConfig } from '../../config/config';
import { ConnectorClient, type ConnectorUser } from '../../connectors/client/connector-client';
import { ConnectorAuthorizations } from '../../connectors/oauth/connector-authorizations';
import { AUTHORIZATION_SCOPES, CONNECTOR_AUTH_KINDS, CONNECTOR_GRANTS, CONNECTOR_TRANSPORTS, usesOAuth, type Connector, type GrantSubject } from '../../connectors/registry/connector';
import { ConnectorError } from '../../connectors/registry/connector-error';
import { connectorChangeJson, connectorJson, grantJson } from '../../connectors/registry/connector.json';
import { ConnectorRegistry, type UpdateConnectorRequest } from '../../connectors/registry/connector.service';
import { ConnectorStateStore } from '../../connectors/state/connector-state.store';
import { CLI_ACTOR, type AdminContext } from '../../customer-success/companies/commands/admin-context';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { findUserByEmail } from '../../users/user-directory';
import { print, withAppContext } from '../context';
import { UsageError } from '../errors';
import { findAdmin } from './import/find-admin';
import { registerConnectorSources } from './connector-sources.command';
import type { AuditLog } from '../../audit/audit-log';
import { AUDIT_LOG } from '../../audit/audit.tokens';
import { auditedConnectorTest } from '../../connectors/briefs/connector-test-audit';

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface SettingsOptions {
  url?: string;
  transport?: string;
  auth?: string;
  clientId?: string;
  clientSecretStdin?: boolean;
  grant?: string;
  scopes?: string;
  authorizationScope?: string;
  allowHost?: string[];
  as?: string;
  json?: boolean;
}

/** `csmcp connectors …`: the external MCP servers csmcp connects to as a client (issue 7). */
export function registerConnectors(program: Command): void {
  const connectors = program
    .command('connectors')
    .description('external MCP servers (support desk, CRM, internal tools) csmcp connects to as an MCP client, to bring their data into account briefs');

  const settings = (command: Command, adding: boolean) =>
    command
      .addOption(new Option('--transport <transport>', 'auto (default): Streamable HTTP, falling back to legacy SSE on a 4xx').choices(CONNECTOR_TRANSPORTS))
      .addOption(
        new Option('--auth <kind>', 'none; oauth_dynamic (csmcp discovers the authorization server and registers itself); oauth_client (a client id and secret from the provider’s portal)').choices(
          CONNECTOR_AUTH_KINDS,
        ),
      )
      .option('--client-id <id>', 'oauth_client: the client id the provider issued to csmcp')
      .option('--client-secret-stdin', 'oauth_client: read the client secret from stdin (stored encrypted with CONNECTOR_TOKEN_KEY, never printed)')
      .addOption(new Option('--grant <grant>', 'oauth_client: authorization_code (default: someone signs in) or client_credentials (csmcp as itself)').choices(CONNECTOR_GRANTS))
      .option('--scopes <scopes>', 'OAuth scopes to ask for, separated by spaces (default: what the server asks for)')
      .addOption(
        new Option('--authorization-scope <scope>', 'company (default): one authorization by an admin for everyone; user: the admin first, then each user their own').choices(AUTHORIZATION_SCOPES),
      )
      .option(
        '--allow-host <host>',
        `a host the admin allows although it resolves to a private or loopback address (host, host:port or IP; repeat for more)${adding ? '' : '; replaces the list'}`,
        collect,
      )
      .option('--as <email>', 'the admin the change is recorded as (default: the command line itself)')
      .option('--json', 'print JSON');

  settings(
    connectors
      .command('add')
      .argument('<name>', 'how csmcp names it: lower-case letters, digits, - and _ (e.g. zendesk)')
      .description('register an external MCP server; every change is an event')
      .requiredOption('--url <url>', 'its MCP endpoint: https (http only for an --allow-host inside your network)'),
    true,
  ).action(reported(async (name: string, options: SettingsOptions) => {
    if (!options.auth) throw new UsageError(`--auth is required: ${CONNECTOR_AUTH_KINDS.join(', ')}`);
    const clientSecret = options.clientSecretStdin ? await readSecretFromStdin() : undefined;
    await withAppContext(loadConfig(), async (app) => {
      const context = await contextOf(app, options.as, 'connectors add');
      const connector = await refused(() =>
        app.get(ConnectorRegistry).register(
          {
            name,
            url: options.url!,
            transport: options.transport,
            auth: options.auth!,
            clientId: options.clientId,
            clientSecret,
            grant: options.grant,
            scopes: options.scopes,
            authorizationScope: options.authorizationScope,
            allowedHosts: options.allowHost,
          },
          context,
        ),
      );
      if (options.json) return printJson(connectorJson(connector));
      show(connector);
      const identity = app.get(ConnectorAuthorizations).identity;
      process.stderr.write(
        `Connector ${connector.name} registered.\n` +
          (usesOAuth(connector)
            ? (connector.authKind === 'oauth_client' && connector.grant === 'authorization_code' ? `Add csmcp's redirect URI to the provider's allow-list: ${identity.redirectUri}\n` : '') +
              `Next: csmcp connectors authorize ${connector.name}${connector.authorizationScope === 'user' ? ' (then each user: --user EMAIL)' : ''}\n` +
              (loadConfig().connectorTokenKeys ? '' : 'CONNECTOR_TOKEN_KEY is not set: csmcp needs it to keep the tokens (openssl rand -base64 32; the same value for the server and the CLI).\n')
            : `Next: csmcp connectors test ${connector.name}\n`),
      );
    });
  }));

  connectors
    .command('list')
    .description('the connectors, oldest first, with their authorization status (never a secret)')
    .option('--json', 'print JSON')
    .action(reported(async (options: { json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const list = await app.get(ConnectorRegistry).list();
        const authorizations = app.get(ConnectorAuthorizations);
        const rows = await Promise.all(
          list.map(async (c) => {
            const grants = usesOAuth(c) ? (await authorizations.grants(c)).map(grantJson) : [];
            return { connector: c, grants };
          }),
        );
        if (options.json) return printJson(rows.map(({ connector, grants }) => ({ ...connectorJson(connector), authorizations: grants })));
        print(
          rows.map(({ connector: c, grants }) => ({
            name: c.name,
            url: c.url,
            transport: c.transport,
            auth: c.authKind === 'oauth_client' ? `oauth_client (${c.grant})` : c.authKind,
            scope: c.authorizationScope,
            organisation: usesOAuth(c) ? statusOf(grants.find((g) => g.subject === 'company')) : 'not needed',
            users: c.authorizationScope === 'user' ? `${grants.filter((g) => g.subject === 'user' && g.status === 'authorized').length} authorised` : '-',
          })),
          false,
        );
      });
    }));

  connectors
    .command('show')
    .argument('<name>', 'the connector')
    .description('every setting of one connector and the state of its authorizations (the organisation’s and each user’s)')
    .option('--json', 'print JSON')
    .action(reported(async (name: string, options: { json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const connector = await refused(() => app.get(ConnectorRegistry).require(name.trim()));
        const grants = usesOAuth(connector) ? (await app.get(ConnectorAuthorizations).grants(connector)).map(grantJson) : [];
        if (options.json) return printJson({ ...connectorJson(connector), authorizations: grants });
        show(connector);
        if (usesOAuth(connector)) {
          process.stdout.write('\n');
          const company = grants.find((g) => g.subject === 'company');
          const rows = [company ?? { subject: 'company', user_email: null, status: 'not_authorized', problem: null, authorized_at: null, refreshed_at: null, expires_at: null }, ...grants.filter((g) => g.subject === 'user')];
          print(
            rows.map((g) => ({
              authorization: g.subject === 'company' ? 'organisation' : g.user_email,
              status: statusOf(g),
              authorized_at: g.authorized_at,
              expires_at: g.expires_at,
              problem: g.problem,
            })),
            false,
          );
        }
      });
    }));

  settings(
    connectors
      .command('update')
      .argument('<name>', 'the connector')
      .description('change a connector; a new URL, auth, client or authorization scope voids its authorizations (authorise again)')
      .option('--url <url>', 'a new MCP endpoint')
      .option('--clear-client-secret', 'forget the stored client secret')
      .option('--clear-allowed-hosts', 'allow no private host any more'),
    false,
  ).action(reported(async (name: string, options: SettingsOptions & { clearClientSecret?: boolean; clearAllowedHosts?: boolean }) => {
    if (options.clearAllowedHosts && options.allowHost) throw new UsageError('give either --allow-host or --clear-allowed-hosts, not both');
    const clientSecret = options.clientSecretStdin ? await readSecretFromStdin() : undefined;
    const request: UpdateConnectorRequest = {
      url: options.url,
      transport: options.transport,
      auth: options.auth,
      clientId: options.clientId,
      clientSecret,
      clearClientSecret: options.clearClientSecret,
      grant: options.grant,
      scopes: options.scopes,
      authorizationScope: options.authorizationScope,
      allowedHosts: options.clearAllowedHosts ? [] : options.allowHost,
    };
    if (Object.values(request).every((v) => v === undefined))
      throw new UsageError(
        'nothing to update: give one or more of --url, --transport, --auth, --client-id, --client-secret-stdin, --clear-client-secret, --grant, --scopes, --authorization-scope, --allow-host, --clear-allowed-hosts',
      );
    await withAppContext(loadConfig(), async (app) => {
      const context = await contextOf(app, options.as, 'connectors update');
      const { connector, changes, authorizationsReset } = await refused(() => app.get(ConnectorRegistry).update(name.trim(), request, context));
      if (options.json) return printJson({ connector: connectorJson(connector), changes: changes.map(connectorChangeJson), authorizations_reset: authorizationsReset });
      process.stderr.write(
        changes.length === 0
          ? `Nothing changed: connector ${connector.name} already has these settings.\n`
          : `Connector ${connector.name} updated.${authorizationsReset ? ` Its authorizations were reset: authorise it again (csmcp connectors authorize ${connector.name}).` : ''}\n`,
      );
      print(changes.map(connectorChangeJson).map((c) => ({ field: c.field, from: text(c.from), to: text(c.to) })), false);
    });
  }));

  connectors
    .command('remove')
    .argument('<name>', 'the connector')
    .description('remove a connector and everything csmcp keeps for it (client secret, tokens); its events stay')
    .option('--as <email>', 'the admin the removal is recorded as (default: the command line itself)')
    .option('--json', 'print JSON')
    .action(reported(async (name: string, options: { as?: string; json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const context = await contextOf(app, options.as, 'connectors remove');
        const connector = await refused(() => app.get(ConnectorRegistry).remove(name.trim(), context));
        if (!options.json) process.stderr.write(`Connector ${connector.name} removed, with its client secret and tokens.\n`);
        print([{ name: connector.name, removed: true }], options.json === true);
      });
    }));

  connectors
    .command('authorize')
    .argument('<name>', 'the connector')
    .description(
      'start an authorization and print the URL to open in a browser (valid 10 minutes; it comes back to csmcp’s callback); ' +
        'with client credentials, get the token at once. User-specific connectors: an admin first, then each user with --user',
    )
    .option('--user <email>', 'authorise for this csmcp user (a user-specific connector), not for the organisation')
    .option('--as <email>', 'the admin who starts it (default: the command line itself)')
    .option('--json', 'print JSON: { connector, subject, authorization_url, expires_at } or { connector, subject, authorized: true }')
    .action(reported(async (name: string, options: { user?: string; as?: string; json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const context = await contextOf(app, options.as, 'connectors authorize');
        const subject: GrantSubject = options.user ? { kind: 'user', ...(await userOf(app, options.user)) } : { kind: 'company' };
        const result = await refused(() => app.get(ConnectorAuthorizations).begin(name.trim(), subject, context));
        const who = subject.kind === 'user' ? subject.email : 'company';
        if (result.kind === 'authorized') {
          if (options.json) return printJson({ connector: result.connector.name, subject: who, authorized: true });
          process.stdout.write(`Connector ${result.connector.name} authorised (client credentials): csmcp got its token.\n`);
          return;
        }
        if (options.json) return printJson({ connector: result.connector.name, subject: who, authorization_url: result.url, expires_at: result.expiresAt });
        process.stdout.write(`${result.url}\n`);
        process.stderr.write(
          `Open this URL in a browser${subject.kind === 'user' ? ` as ${subject.email}` : ''} and sign in at the provider before ${result.expiresAt}; ` +
            `it comes back to ${app.get(ConnectorAuthorizations).identity.redirectUri}, which must reach a running csmcp serve.\n`,
        );
      });
    }));

  connectors
    .command('test')
    .argument('<name>', 'the connector')
    .description('connect, list the external tools and show how csmcp authenticated')
    .option('--user <email>', 'test with this user’s authorization (a user-specific connector)')
    .option('--timeout <ms>', 'time for connecting and each request (default 30000)', (v) => positive('--timeout', v))
    .option('--json', 'print JSON')
    .action(reported(async (name: string, options: { user?: string; timeout?: number; json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const registry = app.get(ConnectorRegistry);
        const connector = await refused(() => registry.require(name.trim()));
        const user: ConnectorUser | null = options.user ? await userOf(app, options.user) : null;
        const client = app.get(ConnectorClient);
        // The admin's test of a user-specific connector uses the organisation's authorization unless a user is named.
        // A real call to the external server: in the audit log as the command line, never charged.
        const report = await refused(() =>
          auditedConnectorTest(app.get<AuditLog>(AUDIT_LOG), { type: 'system', id: CLI_ACTOR.id, email: null }, connector.name, { user: user?.email ?? null }, () =>
            client.test(connector, user, { timeoutMs: options.timeout, organisation: user === null }),
          ),
        );
        if (options.json) return printJson(report);
        const lines: Array<[string, string]> = [
          ['connector', report.connector],
          ['url', report.url],
          [
            'transport',
            report.transport.fellBack
              ? 'sse (auto: the server answered Streamable HTTP with a 4xx, so csmcp fell back to legacy SSE)'
              : `${report.transport.used}${report.transport.configured === 'auto' ? ' (auto)' : ''}`,
          ],
          ['server', report.server ? `${report.server.name} ${report.server.version}` : '(unnamed)'],
          ['protocol', report.protocolVersion ?? '-'],
          ['auth', report.auth.kind === 'none' ? 'none' : `${report.auth.kind} (${report.auth.grant}) for ${report.auth.subject}`],
        ];
        if (report.auth.kind !== 'none') {
          lines.push(['client', report.auth.client ?? '-']);
          lines.push(['authorized_at', report.auth.authorizedAt ?? '-']);
          lines.push(['token_expires', report.auth.expiresAt ?? 'not said by the server']);
          if (report.auth.scope) lines.push(['token_scope', report.auth.scope]);
          lines.push(['refreshed', report.auth.refreshedDuringTest ? 'yes, during this test' : report.auth.refreshedAt ? `last at ${report.auth.refreshedAt}` : 'no']);
        }
        lines.push(['tools', String(report.tools.length)]);
        const width = Math.max(...lines.map(([k]) => k.length));
        process.stdout.write(`${lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n\n`);
        print(
          report.tools.map((t) => ({ tool: t.name, read_only: t.readOnly === null ? '-' : t.readOnly ? 'yes' : 'no', description: oneLine(t.description ?? t.title ?? '') })),
          false,
        );
      });
    }));

  registerConnectorSources(connectors);

  connectors
    .command('rekey')
    .description('re-encrypt every stored connector credential with CONNECTOR_TOKEN_KEY (after a rotation), so the old key can leave CONNECTOR_TOKEN_OLD_KEYS')
    .option('--json', 'print JSON')
    .action(reported(async (options: { json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const rewritten = await refused(() => app.get(ConnectorStateStore).rekey());
        if (!options.json) process.stderr.write(`${rewritten} value(s) re-encrypted with the current key.\n`);
        print([{ reencrypted: rewritten }], options.json === true);
      });
    }));
}

async function contextOf(app: INestApplicationContext, as: string | undefined, toolName: string): Promise<AdminContext> {
  return { actor: as ? await findAdmin(app.get<EventStore>(EVENT_STORE), as) : CLI_ACTOR, toolName };
}

async function userOf(app: INestApplicationContext, email: string): Promise<ConnectorUser> {
  const user = await findUserByEmail(app.get<EventStore>(EVENT_STORE), email.trim());
  if (!user) throw new UsageError(`--user ${email}: there is no such csmcp user (csmcp users list shows them)`);
  return { userId: user.userId, email: user.email };
}

/**
 * A ConnectorError is the message alone: a mistake of the caller exits 2 (UsageError); the external
 * server or the network failing exits 1.
 */
async function refused<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ConnectorError) {
      if (error.isUsageError) throw new UsageError(error.message);
      process.stderr.write(`csmcp: ${error.message} [${error.code}]\n`);
      process.exitCode = 1;
      throw new ConnectorFailed();
    }
    throw error;
  }
}

/** Already reported (see refused); ends the command with exit code 1. */
class ConnectorFailed extends Error {}

/** An action whose ConnectorFailed was reported already: nothing more to print. */
function reported<Args extends unknown[]>(action: (...args: Args) => Promise<void>): (...args: Args) => Promise<void> {
  return async (...args) => {
    try {
      await action(...args);
    } catch (error) {
      if (!(error instanceof ConnectorFailed)) throw error;
    }
  };
}

function show(c: Connector): void {
  const lines: Array<[string, string]> = [
    ['name', c.name],
    ['url', c.url],
    ['transport', c.transport],
    ['auth', c.authKind],
    ...(c.authKind === 'oauth_client'
      ? ([
          ['client_id', c.clientId ?? '-'],
          ['client_secret', c.hasClientSecret ? '(stored, encrypted)' : '(none)'],
        ] as Array<[string, string]>)
      : []),
    ['grant', c.grant ?? '-'],
    ['scopes', c.scopes.length === 0 ? '(what the server asks for)' : c.scopes.join(' ')],
    ['authorization_scope', c.authorizationScope],
    ['allowed_hosts', c.allowedHosts.length === 0 ? '(none: public addresses only)' : c.allowedHosts.join(' ')],
    ['registered_at', c.registeredAt],
    ['updated_at', c.updatedAt],
  ];
  const width = Math.max(...lines.map(([k]) => k.length));
  process.stdout.write(`${lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
}

function statusOf(g: { status: string; problem: string | null } | undefined): string {
  if (!g || g.status === 'not_authorized') return 'not authorised';
  return g.status === 'needs_reauthorization' ? 'needs re-authorisation' : 'authorised';
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function text(value: string | string[] | null): string {
  if (value === null) return '(none)';
  return Array.isArray(value) ? (value.length === 0 ? '(none)' : value.join(' ')) : value;
}

function oneLine(value: string): string {
  const line = value.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

function positive(option: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${option} must be a whole number of milliseconds, 1 or more; got ${value}`);
  return n;
}

/** The secret is the first line of stdin (its line ending stripped); never echoed or logged. */
async function readSecretFromStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Client secret (then Enter and Ctrl-D): ');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > 16 * 1024) throw new UsageError('--client-secret-stdin: stdin holds more than 16 KiB; a client secret is one line');
  }
  const secret = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0];
  if (!secret) throw new UsageError('--client-secret-stdin: stdin is empty; pipe the client secret the provider issued');
  return secret;
}
