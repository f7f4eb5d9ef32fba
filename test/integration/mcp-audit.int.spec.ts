import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { AuditLog } from '../../src/audit/audit-log';
import { AUDIT_LOG } from '../../src/audit/audit.tokens';
import { AUDIT_STREAM, type ToolCallBody } from '../../src/audit/domain/audit-entry';
import type { Principal } from '../../src/auth/principal';
import { WritePolicyService } from '../../src/governance/write-policy-config/write-policy.service';
import { createMcpServer } from '../../src/mcp/server/mcp-server.factory';
import { testPrincipal } from '../../src/mcp/tools/testing/tool-session';
import { givenReferenceData, startApp, type AppHarness } from '../support/app-harness';

/**
 * The MCP server's recording of every call, over the SDK's in-memory transport (the HTTP doors are
 * covered by the e2e specs): each call is one entry, never two, whoever records it.
 */
describe('every MCP call is recorded once (sqlite)', () => {
  let h: AppHarness;
  let log: AuditLog;

  beforeAll(async () => {
    h = await startApp('sqlite', { runProjections: true });
    await givenReferenceData(h.store);
    log = h.app.get<AuditLog>(AUDIT_LOG);
    await h.projections.runner.waitForPosition((await h.store.headPosition())!);
  });
  afterAll(() => h?.close());

  async function connect(principal: Principal): Promise<Client> {
    const server = createMcpServer(
      {
        queries: h.queries,
        commands: h.commands,
        policyConfig: () => h.app.get(WritePolicyService).cachedConfig(),
        confirmations: { issueConfirmation: async () => 'unused', redeemConfirmation: async () => 'unused' },
        audit: log,
        logError: (error) => {
          throw error;
        },
      },
      { sessionId: 'mem-session', lastWrite: () => undefined, recordWrite: async () => {} },
    );
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    // What the HTTP layer does: the verified principal and the client's address beside each message.
    const send = clientSide.send.bind(clientSide);
    clientSide.send = (message, options) =>
      send(message, { ...options, authInfo: { token: 'test', clientId: 'claude', scopes: [...principal.scopes], extra: { principal, sourceIp: '198.51.100.4' } } });
    await server.connect(serverSide);
    const client = new Client({ name: 'audit-test', version: '1.0.0' });
    await client.connect(clientSide);
    return client;
  }

  async function entriesOf(work: () => Promise<unknown>): Promise<ToolCallBody[]> {
    const from = ((await log.refresh()).head?.seq ?? -1) + 1;
    await work().catch(() => undefined);
    const events = await h.store.readStream(AUDIT_STREAM, { fromRevision: from });
    return events.map((e) => (e.data as unknown as { body: ToolCallBody }).body);
  }

  it('records a read with its charge, a write once (atomically, by the pipeline), and a policy refusal once', async () => {
    const ann = await connect(testPrincipal());
    const read = await entriesOf(() => ann.callTool({ name: 'get_company', arguments: { company_id: 'c-acme' } }));
    expect(read).toEqual([
      expect.objectContaining({ tool: 'get_company', outcome: 'ok', credits: 1, subject: { type: 'company', id: 'c-acme' }, sessionId: 'mem-session', sourceIp: '198.51.100.4' }),
    ]);
    const write = await entriesOf(() => ann.callTool({ name: 'create_cta', arguments: { company_id: 'c-acme', name: 'Churn signal', type: 'Risk' } }));
    expect(write).toEqual([expect.objectContaining({ tool: 'create_cta', outcome: 'ok', credits: 2, events: [expect.objectContaining({ type: 'CtaCreated' })] })]);
    const refusal = await entriesOf(() => ann.callTool({ name: 'create_cta', arguments: { company_id: 'c-nowhere', name: 'x', type: 'Risk' } }));
    expect(refusal).toEqual([expect.objectContaining({ tool: 'create_cta', outcome: 'refused', code: 'COMPANY_NOT_FOUND', credits: 0, subject: { type: 'company', id: 'c-nowhere' }, companyId: 'c-nowhere' })]);
    const invalid = await entriesOf(() => ann.callTool({ name: 'create_cta', arguments: { company_id: 'c-acme', name: 'x', type: 'Nope' } }));
    expect(invalid).toEqual([expect.objectContaining({ outcome: 'refused', code: 'VALIDATION', credits: 0 })]);
  });

  it('records calls refused before they run: a missing scope, an unknown tool', async () => {
    const reader = await connect(testPrincipal({ scopes: ['cs:read'] }));
    const scope = await entriesOf(() => reader.callTool({ name: 'create_cta', arguments: { company_id: 'c-acme', name: 'x', type: 'Risk' } }));
    expect(scope).toEqual([expect.objectContaining({ tool: 'create_cta', outcome: 'refused', code: 'INSUFFICIENT_SCOPE', credits: 0 })]);
    const unknown = await entriesOf(() => reader.callTool({ name: 'drop_tables', arguments: {} }));
    expect(unknown).toEqual([expect.objectContaining({ tool: 'drop_tables', outcome: 'refused', code: 'UNKNOWN_TOOL', credits: 0 })]);
  });

  it('records resource reads and prompts (who looked at which account) without charging them', async () => {
    const ann = await connect(testPrincipal());
    const resource = await entriesOf(() => ann.readResource({ uri: 'csmcp://companies/c-acme/summary' }));
    expect(resource).toEqual([expect.objectContaining({ tool: 'resources/read', outcome: 'ok', credits: 0, subject: { type: 'company', id: 'c-acme' } })]);
    const missing = await entriesOf(() => ann.readResource({ uri: 'csmcp://companies/c-nowhere/summary' }));
    expect(missing).toEqual([expect.objectContaining({ tool: 'resources/read', outcome: 'refused', credits: 0, subject: { type: 'company', id: 'c-nowhere' } })]);
    const prompt = await entriesOf(() => ann.getPrompt({ name: 'qbr_preparation', arguments: { company: 'c-acme' } }));
    expect(prompt).toEqual([expect.objectContaining({ tool: 'prompts/get', outcome: 'ok', credits: 0, args: { name: 'qbr_preparation', arguments: { company: 'c-acme' } } })]);
  });
});
