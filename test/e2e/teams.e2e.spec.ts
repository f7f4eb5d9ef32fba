/**
 * Teams over real HTTP (issue 5): a `csmcp serve` process on an embedded store set up with the CLI
 * (users add --team, import companies, tokens issue), the MCP SDK client with ann's personal access
 * token. Ann sees bob's companies (same team) and not cid's; `csmcp users set-team` run beside the
 * server moves bob, and ann's open session follows at its next verification (within about a second).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { runCli, startServerProcess, type ServerProcess } from '../support/cli';
import { callTool, connectStreamable, toolError, type ConnectedClient } from '../support/mcp-clients';
import { sqliteStore, untilCaughtUp } from '../support/mcp-stack';

describe('teams: personal access tokens over real HTTP (csmcp serve, embedded SQLite)', () => {
  const store = sqliteStore();
  let server: ServerProcess;
  let ann: ConnectedClient;

  const companies = async (client: Client) =>
    ((await callTool(client, 'search_companies', {})).structuredContent as { items: Array<{ company_id: string }> }).items.map((c) => c.company_id).sort();

  beforeAll(async () => {
    await store.cli(['users', 'add', '--email', 'admin@example.com', '--name', 'Ada Admin', '--role', 'admin']);
    await store.cli(['users', 'add', '--email', 'ann@example.com', '--name', 'Ann', '--role', 'csm', '--team', 'North']);
    await store.cli(['users', 'add', '--email', 'bob@example.com', '--name', 'Bob', '--role', 'csm', '--team', 'north']);
    await store.cli(['users', 'add', '--email', 'cid@example.com', '--name', 'Cid', '--role', 'csm', '--team', 'South']);
    const dir = mkdtempSync(join(tmpdir(), 'csmcp-teams-'));
    try {
      const file = join(dir, 'companies.json');
      writeFileSync(
        file,
        JSON.stringify([
          { company_id: 'c-ann', name: 'Anvil', owner_email: 'ann@example.com' },
          { company_id: 'c-bob', name: 'Bobbin', owner_email: 'bob@example.com' },
          { company_id: 'c-cid', name: 'Cider', owner_email: 'cid@example.com' },
        ]),
      );
      await store.cli(['import', 'companies', file, '--as', 'admin@example.com']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const token = (JSON.parse(await store.cli(['tokens', 'issue', '--user', 'ann@example.com', '--scopes', 'cs:read cs:write', '--ttl', '1h', '--json'])) as { token: string }).token;
    server = await startServerProcess(store.env);
    await untilCaughtUp(server.url);
    ann = await connectStreamable(`${server.url}/mcp`, token);
    await ann.client.listTools();
  }, 180_000);

  afterAll(async () => {
    try {
      await ann?.close();
      await server?.stop();
    } finally {
      await store.dispose();
    }
  }, 60_000);

  it('lists the users with their teams', async () => {
    const users = JSON.parse(await store.cli(['users', 'list', '--json'])) as Array<{ email: string; team: string | null }>;
    expect(users.map((u) => [u.email, u.team])).toEqual([
      ['admin@example.com', null],
      ['ann@example.com', 'North'],
      ['bob@example.com', 'north'],
      ['cid@example.com', 'South'],
    ]);
  });

  it("lets ann see and write her teammate bob's companies, not cid's", async () => {
    expect(await companies(ann.client)).toEqual(['c-ann', 'c-bob']);
    expect((await callTool(ann.client, 'get_company', { company_id: 'c-bob' })).structuredContent).toMatchObject({ company_id: 'c-bob', name: 'Bobbin' });
    expect(toolError(await callTool(ann.client, 'get_company', { company_id: 'c-cid' }))).toMatchObject({ code: 'NOT_FOUND' });
    const analysis = await callTool(ann.client, 'analyze_accounts', { entity: 'companies', metrics: [{ fn: 'count', as: 'accounts' }] });
    expect((analysis.structuredContent as { rows: unknown[] }).rows).toEqual([{ accounts: 2 }]);

    const written = await callTool(ann.client, 'create_cta', { company_id: 'c-bob', name: 'Bobbin renewal risk', type: 'Risk' });
    expect(written.isError).not.toBe(true);
    expect(toolError(await callTool(ann.client, 'create_cta', { company_id: 'c-cid', name: 'Not ours', type: 'Risk' }))).toMatchObject({ code: 'COMPANY_NOT_VISIBLE' });
  });

  it("drops bob's companies from ann's open session once `csmcp users set-team` moves bob to cid's team", async () => {
    const moved = JSON.parse(await store.cli(['users', 'set-team', '--email', 'bob@example.com', '--team', 'South', '--as', 'admin@example.com', '--json']));
    expect(moved).toEqual([{ user_id: expect.any(String), email: 'bob@example.com', team: 'South', previous_team: 'north', changed: true }]);

    // Tokens follow within the verifier's cache (about a second): ask until the answer changes.
    let seen = await companies(ann.client);
    for (let i = 0; i < 100 && seen.includes('c-bob'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      seen = await companies(ann.client);
    }
    expect(seen).toEqual(['c-ann']);
    expect(toolError(await callTool(ann.client, 'get_company', { company_id: 'c-bob' }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(toolError(await callTool(ann.client, 'create_cta', { company_id: 'c-bob', name: 'No longer ours', type: 'Risk' }))).toMatchObject({ code: 'COMPANY_NOT_VISIBLE' });
  });

  it('refuses a bad team name and a set-team without --team or --none, saying what is allowed', async () => {
    const bad = await runCli(['users', 'set-team', '--email', 'bob@example.com', '--team', 'North/East'], store.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--team may contain only letters, digits, spaces, - and _; got "North/East"');
    const neither = await runCli(['users', 'set-team', '--email', 'bob@example.com'], store.env);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('give either --team <team> or --none');
    const none = JSON.parse(await store.cli(['users', 'set-team', '--email', 'cid@example.com', '--none', '--json']));
    expect(none).toEqual([{ user_id: expect.any(String), email: 'cid@example.com', team: null, previous_team: 'South', changed: true }]);
  });
});
