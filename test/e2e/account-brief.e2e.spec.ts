import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Request, type Response } from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { EventStore } from '@csmcp/event-store';
import { loadConfig, type AppConfig } from '../../src/config/config';
import { EVENT_STORE } from '../../src/infrastructure/tokens';
import { startServer, type RunningServer } from '../../src/server';
import { runCli } from '../support/cli';
import { startLegacySseServer, startOAuthMcpServer, type LegacySseServer, type OAuthMcpServer } from '../support/external-mcp-servers';
import { callTool, connectStreamable, type ConnectedClient } from '../support/mcp-clients';
import { untilCaughtUp } from '../support/mcp-stack';
import { embeddedStackEnv } from '../support/embedded-stack-env';

/**
 * get_account_brief end to end: csmcp serve in this process (for the connectors' OAuth callback), the
 * CLI as an admin uses it, a CSM's SDK client over Streamable HTTP with a sampling handler, and real
 * external MCP servers built with the SDK: an OAuth Streamable HTTP desk (search_tickets, authorised
 * per user), a legacy SSE CRM without auth, and a legacy SSE server whose tool answers too late.
 */
jest.setTimeout(120_000);


/** A legacy SSE server whose one tool answers after `delayMs`: longer than its source's timeout. */
async function startSlowServer(delayMs: number): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const transports = new Map<string, SSEServerTransport>();
  const app = express();
  app.get('/sse', async (_req: Request, res: Response) => {
    const server = new McpServer({ name: 'slow-billing', version: '1.0.0' });
    server.registerTool('invoices', { description: 'Open invoices (slow)' }, async () => {
      await new Promise((r) => setTimeout(r, delayMs));
      return { content: [{ type: 'text', text: 'too late' }] };
    });
    const transport = new SSEServerTransport('/messages', res);
    transports.set(transport.sessionId, transport);
    res.on('close', () => {
      transports.delete(transport.sessionId);
      void server.close();
    });
    await server.connect(transport);
  });
  app.post('/messages', async (req: Request, res: Response) => {
    const transport = transports.get(String(req.query.sessionId));
    if (!transport) return void res.status(404).end('unknown session');
    await transport.handlePostMessage(req, res);
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/sse`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Section {
  label: string;
  connector: string;
  tool: string;
  status: 'ok' | 'error';
  text: string | null;
  error: { code: string; message: string; hint: string | null } | null;
  credits: number;
}
interface Brief {
  summary: { company: { company_id: string; name: string } };
  sources: Section[];
  written_summary: string | null;
  summary_note: string | null;
}
interface AuditBody {
  tool: string;
  kind: string;
  outcome: string;
  code: string | null;
  credits: number;
  actor: { type: string; id: string; email: string | null };
  requestId: string | null;
  companyId: string | null;
}

describe('get_account_brief: csmcp and its connectors in one brief', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let config: AppConfig;
  let csmcp: RunningServer;
  let oauth: OAuthMcpServer;
  let legacy: LegacySseServer;
  let slow: Awaited<ReturnType<typeof startSlowServer>>;
  let ann: ConnectedClient;
  let annId: string;
  const sampled: string[] = [];

  const ok = async (args: string[]) => {
    const result = await runCli(args, env);
    if (result.code !== 0) throw new Error(`csmcp ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
    return result.stdout;
  };
  const auditBodies = async (): Promise<AuditBody[]> =>
    (await csmcp.app.get<EventStore>(EVENT_STORE).readStream('audit-log')).filter((e) => e.type === 'ToolCallRecorded').map((e) => (e.data as unknown as { body: AuditBody }).body);

  async function openInBrowser(url: string, signInAs: string): Promise<void> {
    oauth.signInAs(signInAs);
    const atProvider = await fetch(url, { redirect: 'manual' });
    expect(atProvider.status).toBe(302);
    const back = await fetch(atProvider.headers.get('location')!);
    expect(back.status).toBe(200);
  }

  async function brief(args: Record<string, unknown>): Promise<Brief> {
    const result = await callTool(ann.client, 'get_account_brief', args);
    expect(result.isError).toBeFalsy();
    return result.structuredContent as unknown as Brief;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csmcp-brief-e2e-'));
    env = await embeddedStackEnv(dir);
    config = loadConfig({ ...(env as Record<string, string>), LOG_LEVEL: 'silent' });
    [oauth, legacy, slow] = await Promise.all([startOAuthMcpServer(), startLegacySseServer(), startSlowServer(3_000)]);
    await ok(['users', 'add', '--email', 'admin@example.com', '--name', 'Ada Admin', '--role', 'admin']);
    annId = (JSON.parse(await ok(['users', 'add', '--email', 'ann@example.com', '--name', 'Ann', '--role', 'csm', '--json'])) as Array<{ user_id: string }>)[0].user_id;
    const file = join(dir, 'companies.json');
    writeFileSync(file, JSON.stringify([{ company_id: 'c-acme', name: 'Acme "Rockets"', owner_email: 'ann@example.com' }]));
    await ok(['import', 'companies', file, '--as', 'admin@example.com']);
    const token = (JSON.parse(await ok(['tokens', 'issue', '--user', 'ann@example.com', '--scopes', 'cs:read cs:write', '--ttl', '1h', '--json'])) as { token: string }).token;

    // The admin registers the three servers and maps a tool of each to every account brief.
    await ok(['connectors', 'add', 'desk', '--url', oauth.url, '--auth', 'oauth_dynamic', '--authorization-scope', 'user', '--allow-host', `127.0.0.1:${oauth.port}`]);
    await ok(['connectors', 'add', 'crm', '--url', legacy.url, '--auth', 'none', '--transport', 'sse', '--allow-host', `127.0.0.1:${legacy.port}`]);
    await ok(['connectors', 'add', 'billing', '--url', slow.url, '--auth', 'none', '--transport', 'sse', '--allow-host', `127.0.0.1:${slow.port}`]);
    await ok(['connectors', 'sources', 'add', '--connector', 'desk', '--tool', 'search_tickets', '--args', '{"company": "{{company.name}}"}', '--label', 'Open tickets', '--timeout', '20s']);
    await ok(['connectors', 'sources', 'add', '--connector', 'crm', '--tool', 'list_accounts', '--label', 'CRM accounts', '--timeout', '20s']);
    await ok(['connectors', 'sources', 'add', '--connector', 'billing', '--tool', 'invoices', '--label', 'Invoices', '--timeout', '500ms']);
    await ok(['credits', 'prices', 'set', '--tool', 'connector:desk/search_tickets=3']);

    csmcp = await startServer(config);
    await untilCaughtUp(csmcp.url);
    ann = await connectStreamable(`${csmcp.url}/mcp`, token, {
      capabilities: { sampling: {} },
      setup: (client) =>
        client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
          const content = request.params.messages[0].content as { type: string; text?: string };
          sampled.push(content.text ?? '');
          return { role: 'assistant', model: 'test-model', content: { type: 'text', text: 'Acme is yellow; one open ticket (Login fails).' } };
        }),
    });
  }, 180_000);

  afterAll(async () => {
    await ann?.close();
    await csmcp?.close();
    await Promise.all([oauth?.close(), legacy?.close(), slow?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the sources an admin mapped, with their templates', async () => {
    const sources = JSON.parse(await ok(['connectors', 'sources', 'list', '--json'])) as Array<{ label: string; connector: string; args: unknown; timeout_ms: number }>;
    expect(sources.map((s) => [s.label, s.connector, s.timeout_ms])).toEqual([
      ['Open tickets', 'desk', 20_000],
      ['CRM accounts', 'crm', 20_000],
      ['Invoices', 'billing', 500],
    ]);
    expect(sources[0].args).toEqual({ company: '{{company.name}}' });
    const bad = await runCli(['connectors', 'sources', 'add', '--connector', 'crm', '--tool', 'x', '--label', 'Bad', '--args', '{"a": "{{company.secret}}"}'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('{{company.secret}} is not a company field');
  });

  it('shows a user who has not authorised the desk how to, while the other sections are there', async () => {
    const admin = JSON.parse(await ok(['connectors', 'authorize', 'desk', '--as', 'admin@example.com', '--json'])) as { authorization_url: string };
    await openInBrowser(admin.authorization_url, 'desk-admin');
    const b = await brief({ company_id: 'c-acme' });
    const tickets = b.sources.find((s) => s.label === 'Open tickets')!;
    expect(tickets).toMatchObject({
      status: 'error',
      error: { code: 'NOT_AUTHORIZED', hint: 'call authorize_connector with connector "desk" to authorise your own desk account (it gives you a link to open), then ask for the brief again' },
      credits: 0,
    });
    expect(b.sources.find((s) => s.label === 'CRM accounts')).toMatchObject({ status: 'ok', text: '["Acme","Globex"]' });
  });

  it('briefs the account: each source labelled, the slow one TIMEOUT, the model’s summary, and every call audited and charged as priced', async () => {
    const forAnn = JSON.parse(await ok(['connectors', 'authorize', 'desk', '--user', 'ann@example.com', '--as', 'admin@example.com', '--json'])) as { authorization_url: string };
    await openInBrowser(forAnn.authorization_url, 'desk-ann');
    const before = (await auditBodies()).length;

    const b = await brief({ company_id: 'c-acme', summarize: true });
    expect(b.summary.company).toMatchObject({ company_id: 'c-acme', name: 'Acme "Rockets"' });
    expect(b.sources.map((s) => [s.label, s.status, s.error?.code ?? null])).toEqual([
      ['Open tickets', 'ok', null],
      ['CRM accounts', 'ok', null],
      ['Invoices', 'error', 'TIMEOUT'],
    ]);
    // The company's name went in as a JSON value, quotes and all, and ann's own desk token was used.
    expect(JSON.parse(b.sources[0].text!)).toEqual({ company: 'Acme "Rockets"', tickets: [{ id: 'T-1', subject: 'Login fails' }], seenBy: 'desk-ann' });
    expect(b.written_summary).toBe('Acme is yellow; one open ticket (Login fails).');
    expect(b.summary_note).toBeNull();
    expect(sampled[sampled.length - 1]).toContain('## Open tickets (desk/search_tickets)');
    expect(sampled[sampled.length - 1]).toContain('TIMEOUT');

    const entries = (await auditBodies()).slice(before);
    const byTool = Object.fromEntries(entries.map((e) => [e.tool, e]));
    expect(entries).toHaveLength(4);
    expect(byTool.get_account_brief).toMatchObject({ outcome: 'ok', credits: 1, actor: { id: annId } });
    expect(byTool['connector:desk/search_tickets']).toMatchObject({ kind: 'read', outcome: 'ok', credits: 3, actor: { id: annId }, companyId: 'c-acme' });
    expect(byTool['connector:crm/list_accounts']).toMatchObject({ kind: 'read', outcome: 'ok', credits: 1, actor: { id: annId } });
    expect(byTool['connector:billing/invoices']).toMatchObject({ outcome: 'failed', code: 'TIMEOUT', credits: 0 });
    // All four under the same MCP request.
    expect(new Set(entries.map((e) => e.requestId)).size).toBe(1);
  });

  it('shows a revoked grant as NEEDS_REAUTHORIZATION in its section, the rest of the brief intact', async () => {
    oauth.revokeUser('desk-ann');
    const b = await brief({ company_id: 'c-acme' });
    expect(b.sources[0]).toMatchObject({
      label: 'Open tickets',
      status: 'error',
      error: { code: 'NEEDS_REAUTHORIZATION', hint: 'call authorize_connector with connector "desk" to authorise your own desk account again (it gives you a link to open), then ask for the brief again' },
      credits: 0,
    });
    expect(b.sources[1]).toMatchObject({ label: 'CRM accounts', status: 'ok' });
    expect(b.summary.company.company_id).toBe('c-acme');
  });

  it('records an admin’s connectors test in the audit log, uncharged', async () => {
    const before = (await auditBodies()).length;
    await ok(['connectors', 'test', 'crm']);
    const entries = (await auditBodies()).slice(before);
    expect(entries).toEqual([expect.objectContaining({ tool: 'connector:crm/tools/list', outcome: 'ok', credits: 0, actor: { type: 'system', id: 'csmcp-cli', email: null } })]);
  });
});
