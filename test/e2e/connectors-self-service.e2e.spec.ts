import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import type { EventStore } from '@csmcp/event-store';
import { loadConfig } from '../../src/config/config';
import { connectorStream } from '../../src/connectors/registry/connector.events';
import { EVENT_STORE } from '../../src/infrastructure/tokens';
import { startServer, type RunningServer } from '../../src/server';
import { runCli } from '../support/cli';
import { startOAuthMcpServer, type OAuthMcpServer } from '../support/external-mcp-servers';
import { callTool, connectStreamable, toolError, type ConnectedClient } from '../support/mcp-clients';
import { untilCaughtUp } from '../support/mcp-stack';
import { embeddedStackEnv } from '../support/embedded-stack-env';

/**
 * A user authorises a user-specific connector themselves, through the MCP tool authorize_connector
 * (no admin running `connectors authorize --user`): csmcp serve in this process (its callback), a
 * real OAuth-protected external MCP server built with the SDK, CSMs' SDK clients over Streamable HTTP,
 * and a machine client's client credentials token.
 */
jest.setTimeout(120_000);

const insecure = { [oauth.allowInsecureRequests]: true } as const;

interface Mine {
  name: string;
  url: string;
  organisation_authorized: boolean;
  status: string;
  problem: string | null;
}
interface Answer {
  connectors: Mine[];
  authorization: { connector: string; authorization_url: string; expires_at: string } | null;
}
interface Section {
  label: string;
  status: 'ok' | 'error';
  text: string | null;
  error: { code: string; message: string; hint: string | null } | null;
}


describe('authorize_connector: users authorise their own accounts', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let csmcp: RunningServer;
  let desk: OAuthMcpServer;
  let ann: ConnectedClient;
  let bob: ConnectedClient;
  let annId: string;

  const ok = async (args: string[], input?: string) => {
    const result = await runCli(args, env, input);
    if (result.code !== 0) throw new Error(`csmcp ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
    return result.stdout;
  };
  const token = async (email: string) => (JSON.parse(await ok(['tokens', 'issue', '--user', email, '--scopes', 'cs:read cs:write', '--ttl', '1h', '--json'])) as { token: string }).token;

  async function authorizeConnector(client: ConnectedClient, args: Record<string, unknown>): Promise<Answer> {
    const result = await callTool(client.client, 'authorize_connector', args);
    expect(result.isError).toBeFalsy();
    return result.structuredContent as unknown as Answer;
  }

  async function briefOf(client: ConnectedClient, companyId = 'c-acme'): Promise<Section> {
    const result = await callTool(client.client, 'get_account_brief', { company_id: companyId });
    expect(result.isError).toBeFalsy();
    return (result.structuredContent as { sources: Section[] }).sources[0];
  }

  /** The person opening the link: signed in at the provider as `account`, back at csmcp's callback. */
  async function open(url: string, account: string): Promise<string> {
    desk.signInAs(account);
    const atProvider = await fetch(url, { redirect: 'manual' });
    expect(atProvider.status).toBe(302);
    const back = await fetch(atProvider.headers.get('location')!);
    expect(back.status).toBe(200);
    return back.text();
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csmcp-self-service-e2e-'));
    env = await embeddedStackEnv(dir);
    desk = await startOAuthMcpServer();
    await ok(['users', 'add', '--email', 'admin@example.com', '--name', 'Ada Admin', '--role', 'admin']);
    annId = (JSON.parse(await ok(['users', 'add', '--email', 'ann@example.com', '--name', 'Ann', '--role', 'csm', '--json'])) as Array<{ user_id: string }>)[0].user_id;
    await ok(['users', 'add', '--email', 'bob@example.com', '--name', 'Bob', '--role', 'viewer']);
    const file = join(dir, 'companies.json');
    writeFileSync(file, JSON.stringify([
        { company_id: 'c-acme', name: 'Acme', owner_email: 'ann@example.com' },
        { company_id: 'c-globex', name: 'Globex', owner_email: 'bob@example.com' },
      ]));
    await ok(['import', 'companies', file, '--as', 'admin@example.com']);
    await ok(['connectors', 'add', 'desk', '--url', desk.url, '--auth', 'oauth_dynamic', '--authorization-scope', 'user', '--allow-host', `127.0.0.1:${desk.port}`]);
    await ok(['connectors', 'add', 'wiki', '--url', 'https://wiki.example/mcp', '--auth', 'oauth_dynamic']);
    await ok(['connectors', 'sources', 'add', '--connector', 'desk', '--tool', 'search_tickets', '--args', '{"company": "{{company.name}}"}', '--label', 'Open tickets', '--timeout', '20s']);
    const [annToken, bobToken] = [await token('ann@example.com'), await token('bob@example.com')];
    csmcp = await startServer(loadConfig({ ...(env as Record<string, string>), LOG_LEVEL: 'silent' }));
    await untilCaughtUp(csmcp.url);
    ann = await connectStreamable(`${csmcp.url}/mcp`, annToken);
    bob = await connectStreamable(`${csmcp.url}/mcp`, bobToken);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([ann?.close(), bob?.close()]);
    await csmcp?.close();
    await desk?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is offered to a CSM and a viewer alike (cs:read), free of charge', async () => {
    for (const client of [ann, bob]) {
      const tool = (await client.client.listTools()).tools.find((t) => t.name === 'authorize_connector');
      expect(tool?.description).toContain('Cost: free (no credits).');
      expect(tool?.annotations).toMatchObject({ readOnlyHint: false, openWorldHint: true });
    }
  });

  it('says a user cannot authorise before the organisation has', async () => {
    const listed = await authorizeConnector(ann, {});
    expect(listed).toEqual({
      connectors: [{ name: 'desk', url: desk.url, organisation_authorized: false, status: 'not_authorized', problem: null, authorized_at: null, expires_at: null }],
      authorization: null,
    });
    const refused = toolError(await callTool(ann.client, 'authorize_connector', { connector: 'desk' }));
    expect(refused).toMatchObject({
      code: 'COMPANY_AUTHORIZATION_FIRST',
      message: 'connector desk is not authorised for the organisation yet: an admin authorises it first (the admin console, or csmcp connectors authorize desk); then call authorize_connector again',
    });
    expect((await briefOf(ann)).error).toMatchObject({
      code: 'NOT_AUTHORIZED',
      hint: 'an admin authorises it for the organisation: csmcp connectors authorize desk (or the admin console)',
    });
  });

  it('refuses a company-wide connector, one that does not exist, and a bad argument, saying what to do', async () => {
    expect(toolError(await callTool(ann.client, 'authorize_connector', { connector: 'wiki' }))).toMatchObject({
      code: 'NOT_USER_SPECIFIC',
      message:
        'connector wiki is company-wide: an admin authorises it once for the whole organisation (not yet: ask an admin), so there is nothing for you to authorise; call authorize_connector without a connector to see the ones you can authorise',
    });
    expect(toolError(await callTool(ann.client, 'authorize_connector', { connector: 'crm' }))).toMatchObject({
      code: 'CONNECTOR_NOT_FOUND',
      message: 'no connector is named "crm"; call authorize_connector without a connector to see the ones you can authorise',
    });
    expect(toolError(await callTool(ann.client, 'authorize_connector', { name: 'desk' })).code).toBe('INVALID_QUERY');
  });

  it("lets a CSM authorise their own account: the link, the provider's sign-in, then the brief uses that user's token", async () => {
    const admin = JSON.parse(await ok(['connectors', 'authorize', 'desk', '--as', 'admin@example.com', '--json'])) as { authorization_url: string };
    await open(admin.authorization_url, 'desk-org');
    expect((await authorizeConnector(ann, {})).connectors[0]).toMatchObject({ organisation_authorized: true, status: 'not_authorized' });
    // Until she does, her brief says how, naming the tool.
    expect((await briefOf(ann)).error).toEqual({
      code: 'NOT_AUTHORIZED',
      message: expect.any(String),
      hint: 'call authorize_connector with connector "desk" to authorise your own desk account (it gives you a link to open), then ask for the brief again',
    });

    const started = await callTool(ann.client, 'authorize_connector', { connector: 'desk' });
    const answer = started.structuredContent as unknown as Answer;
    expect(answer.authorization).toEqual({ connector: 'desk', authorization_url: expect.stringContaining(`${desk.origin}/authorize?`), expires_at: expect.any(String) });
    expect((started.content as Array<{ text: string }>)[0].text).toContain(`Open this link in your browser and sign in at desk`);
    const page = await open(answer.authorization!.authorization_url, 'desk-ann');
    expect(page).toContain('ann@example.com');

    expect((await authorizeConnector(ann, {})).connectors[0]).toMatchObject({ status: 'authorized', authorized_at: expect.any(String) });
    const section = await briefOf(ann);
    expect(section.status).toBe('ok');
    // The external server saw ann's own desk account, not the organisation's.
    expect(JSON.parse(section.text!)).toMatchObject({ company: 'Acme', seenBy: 'desk-ann' });
    const authorized = (await csmcp.app.get<EventStore>(EVENT_STORE).readStream(connectorStream('desk'))).filter((e) => e.type === 'ConnectorAuthorized');
    expect(authorized.at(-1)).toMatchObject({ data: { subject: 'user', userEmail: 'ann@example.com' }, metadata: { actor: { type: 'user', id: annId } } });
  });

  it('shows another user, not yet authorised, the authorize_connector hint; and a revoked grant as needs re-authorisation', async () => {
    expect((await authorizeConnector(bob, {})).connectors[0]).toMatchObject({ organisation_authorized: true, status: 'not_authorized' });
    expect((await briefOf(bob, 'c-globex')).error).toMatchObject({
      code: 'NOT_AUTHORIZED',
      hint: 'call authorize_connector with connector "desk" to authorise your own desk account (it gives you a link to open), then ask for the brief again',
    });
    desk.revokeUser('desk-ann');
    const section = await briefOf(ann);
    expect(section.error).toMatchObject({
      code: 'NEEDS_REAUTHORIZATION',
      hint: 'call authorize_connector with connector "desk" to authorise your own desk account again (it gives you a link to open), then ask for the brief again',
    });
    expect((await authorizeConnector(ann, {})).connectors[0]).toMatchObject({ status: 'needs_reauthorization', problem: expect.stringContaining('invalid_grant') });
  });

  it('refuses a machine client (client credentials): only people authorise their own accounts', async () => {
    const machine = JSON.parse(
      await ok(['integrations', 'add', '--name', 'Nightly Sync', '--preset', 'custom', '--access', 'shared', '--grant-types', 'client_credentials', '--scopes', 'cs:read', '--json']),
    ) as { client_id: string; client_secret: string };
    const mcpUrl = new URL(`${csmcp.url}/mcp`);
    const prm = await oauth.processResourceDiscoveryResponse(mcpUrl, await oauth.resourceDiscoveryRequest(mcpUrl, insecure));
    const issuer = new URL(prm.authorization_servers![0]);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      { client_id: machine.client_id },
      await oauth.clientCredentialsGrantRequest(as, { client_id: machine.client_id }, oauth.ClientSecretBasic(machine.client_secret), { scope: 'cs:read', resource: prm.resource }, insecure),
    );
    const client = await connectStreamable(`${csmcp.url}/mcp`, tokens.access_token);
    try {
      for (const args of [{}, { connector: 'desk' }]) {
        const refused = toolError(await callTool(client.client, 'authorize_connector', args));
        expect(refused.code).toBe('NOT_A_USER');
        expect(refused.message).toContain('this token belongs to a machine client (client credentials)');
      }
    } finally {
      await client.close();
    }
  });
});
