/**
 * The client under test for @modelcontextprotocol/conformance's client scenarios:
 *
 *   npm run -s conformance:client -- <server-url>
 *   npx conformance client --command "npm run -s conformance:client --" --scenario initialize
 *
 * It runs csmcp's production connector code (createConnectors: the registry, the encrypted state
 * database, ConnectorAuthorizations over the SDK's auth(), ConnectorClient over the guarded fetch)
 * on a throwaway embedded store. The scenario (MCP_CONFORMANCE_SCENARIO) decides how the connector is
 * registered: no auth for initialize and tools_call, oauth_dynamic for the auth scenarios, oauth_client
 * with the credentials of MCP_CONFORMANCE_CONTEXT for pre-registration and client credentials.
 *
 * Authorization is headless: where an admin would open the URL `csmcp connectors authorize` prints,
 * this fetches it (through the connector's guarded fetch), reads the redirect the authorization server
 * answers with, and hands its code and state to the same finish() csmcp's callback route calls.
 * The scenarios' servers run on localhost, which the connector allows explicitly (as an admin allows a
 * host inside the network); everything else keeps the SSRF guards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config';
import type { AuthorizationRequest } from '../../src/connectors/client/connector-client';
import { connectorFetch } from '../../src/connectors/client/connector-fetch';
import { createConnectors, type Connectors } from '../../src/connectors/connectors';
import { oauthClientIdentity } from '../../src/connectors/oauth/client-identity';
import type { RegisterConnectorRequest } from '../../src/connectors/registry/connector.service';
import { ConnectorError } from '../../src/connectors/registry/connector-error';
import { CLI_ACTOR, type AdminContext } from '../../src/customer-success/companies/commands/admin-context';
import { openEventStore } from '../../src/infrastructure/stores';

/** The client ID metadata document URL the suite's CIMD scenario expects (it does not fetch it). */
const SUITE_CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';
const TIMEOUT_MS = 20_000;
const context: AdminContext = { actor: CLI_ACTOR, toolName: 'conformance client' };

interface ScenarioContext {
  readonly client_id?: string;
  readonly client_secret?: string;
}

function connectorFor(scenario: string, serverUrl: string, ctx: ScenarioContext): RegisterConnectorRequest {
  const base = { name: 'conformance', url: serverUrl, allowedHosts: [new URL(serverUrl).hostname] };
  if (!scenario.startsWith('auth/')) return { ...base, auth: 'none' };
  if (scenario === 'auth/client-credentials-jwt')
    throw new ConnectorError('VALIDATION', 'csmcp connectors authenticate pre-registered clients with a client secret; private_key_jwt is not supported');
  if (scenario === 'auth/pre-registration' || scenario === 'auth/client-credentials-basic') {
    if (!ctx.client_id || !ctx.client_secret) throw new Error(`${scenario}: MCP_CONFORMANCE_CONTEXT carries no client_id and client_secret`);
    return {
      ...base,
      auth: 'oauth_client',
      clientId: ctx.client_id,
      clientSecret: ctx.client_secret,
      grant: scenario === 'auth/client-credentials-basic' ? 'client_credentials' : 'authorization_code',
    };
  }
  return { ...base, auth: 'oauth_dynamic' };
}

/** What a person does in a browser, done with a fetch: open the authorization URL, take the redirect back. */
function headlessAuthorization(connectors: Connectors) {
  return async (request: AuthorizationRequest): Promise<void> => {
    const begun = await connectors.authorizations.begin(request.connector.name, request.subject, context, request.hints);
    if (begun.kind === 'authorized') return;
    const res = await connectorFetch(request.connector)(begun.url, { redirect: 'manual' });
    await res.body?.cancel().catch(() => undefined);
    const location = res.headers.get('location');
    if (!location) throw new Error(`the authorization endpoint answered ${res.status} without a redirect`);
    const back = new URL(location, begun.url);
    const param = (name: string) => back.searchParams.get(name) ?? undefined;
    await connectors.authorizations.finish({ state: param('state'), code: param('code'), error: param('error'), errorDescription: param('error_description') });
  };
}

async function run(scenario: string, serverUrl: string): Promise<void> {
  const ctx = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as ScenarioContext;
  const dir = mkdtempSync(join(tmpdir(), 'csmcp-conformance-client-'));
  const config = loadConfig({ DATA_DIR: dir, CONNECTOR_TOKEN_KEY: randomBytes(32).toString('base64'), PUBLIC_URL: 'http://localhost:3000', LOG_LEVEL: 'silent' });
  const store = await openEventStore(config.eventStore);
  const connectors = createConnectors({ config, store, identity: { ...oauthClientIdentity(config), clientMetadataUrl: SUITE_CLIENT_METADATA_URL } });
  try {
    const connector = await connectors.registry.register(connectorFor(scenario, serverUrl, ctx), context);
    const session = await connectors.client.connect(connector, null, { timeoutMs: TIMEOUT_MS, onAuthorizationRequired: headlessAuthorization(connectors) });
    try {
      const tools = await connectors.client.listTools(session, TIMEOUT_MS);
      process.stdout.write(`${session.transport}: ${tools.length} tool(s): ${tools.map((t) => t.name).join(', ')}\n`);
      const call = scenario === 'tools_call' ? { name: 'add_numbers', arguments: { a: 5, b: 3 } } : tools.some((t) => t.name === 'test-tool') ? { name: 'test-tool', arguments: {} } : null;
      if (call) {
        const result = await session.client.callTool(call, undefined, { timeout: TIMEOUT_MS });
        process.stdout.write(`${call.name}: ${JSON.stringify(result.content)}\n`);
      }
      const auth = await connectors.authorizations.describe(connector, session.subject);
      process.stdout.write(`auth: ${auth.kind}${auth.client ? `, ${auth.client}` : ''}\n`);
    } finally {
      await session.close();
    }
  } finally {
    await connectors.state.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO;
  const serverUrl = process.argv[process.argv.length - 1];
  if (!scenario || !serverUrl || !/^https?:\/\//.test(serverUrl)) {
    process.stderr.write('usage: MCP_CONFORMANCE_SCENARIO=<scenario> npm run -s conformance:client -- <server-url>\n');
    process.exit(2);
  }
  try {
    await run(scenario, serverUrl);
    process.exit(0);
  } catch (error) {
    process.stderr.write(`conformance client: ${error instanceof ConnectorError ? `${error.message} [${error.code}]` : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
}

void main();
