import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { IntegrationService } from '../../src/auth/integrations/integration.service';
import { runCli } from '../support/cli';

/**
 * An admin registers integrations with the CLI on the embedded store; another process on the same
 * store (this one, as the server would be) verifies their secrets.
 */
describe('csmcp integrations (CLI, embedded SQLite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'csmcp-integrations-cli-'));
  const env = { DATA_DIR: dataDir };
  let store: SqliteEventStore;
  let server: IntegrationService;
  const secrets: string[] = [];
  let claude: { client_id: string; client_secret: string };

  beforeAll(() => {
    store = new SqliteEventStore({ filename: join(dataDir, 'events.db') });
    server = new IntegrationService(store);
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * Past what the server process may have cached of a client (≤ 1 s). The fake clock only moves
   * forward: a CLI run shorter than a second must not land it before an entry cached at the last step.
   */
  let fakeNow = 0;
  const later = () => {
    fakeNow = Math.max(Date.now(), fakeNow) + 1_001;
    const at = fakeNow;
    server.now = () => at;
  };

  it('adds a Claude integration, prints client id and secret once, and the secret verifies in another process', async () => {
    const added = await runCli(['integrations', 'add', '--name', 'Claude', '--preset', 'claude', '--json'], env);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    claude = JSON.parse(added.stdout) as typeof claude;
    expect(claude).toEqual({
      client_id: expect.stringMatching(/^csmcp_int_[A-Za-z0-9_-]{22}$/),
      client_secret: expect.stringMatching(/^csmcp_sec_[A-Za-z0-9_-]{43}$/),
      name: 'Claude',
      preset: 'claude',
      redirect_uris: ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback'],
      scopes: ['cs:read', 'cs:write'],
      access_context: 'personal',
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic',
      confidential: true,
      ip_allow_list: [],
      enabled: true,
      registered_at: expect.any(String),
      updated_at: expect.any(String),
      secrets: [{ issued_at: expect.any(String), valid_until: null }],
    });
    secrets.push(claude.client_secret);
    expect(await server.verifyClientSecret(claude.client_id, claude.client_secret)).toMatchObject({ clientId: claude.client_id, name: 'Claude' });

    // Without --json: the two values on stdout, what to do next on stderr.
    const text = await runCli(
      ['integrations', 'add', '--name', 'ChatGPT (sales)', '--preset', 'chatgpt', '--access', 'shared', '--scopes', 'cs:read', '--ip-allow', '203.0.113.0/24', '--ip-allow', '2001:db8::/32'],
      env,
    );
    expect(text.code).toBe(0);
    const [idLine, secretLine, ...rest] = text.stdout.trimEnd().split('\n');
    expect(rest).toEqual([]);
    expect(idLine).toMatch(/^client_id {6}csmcp_int_[A-Za-z0-9_-]{22}$/);
    expect(secretLine).toMatch(/^client_secret {2}csmcp_sec_[A-Za-z0-9_-]{43}$/);
    secrets.push(secretLine.split(/\s+/)[1]);
    expect(text.stderr).toContain('The client secret is shown only this once: copy it now.');
    expect(text.stderr).toContain(`No redirect URI yet: ChatGPT shows its Callback URL under the app's OAuth advanced settings once you enter the client id and secret; add it with csmcp integrations update ${idLine.split(/\s+/)[1]} --add-redirect-uri URL.`);
  }, 60_000);

  it('lists and shows integrations without any secret, and updates one', async () => {
    const list = await runCli(['integrations', 'list', '--json'], env);
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    expect(listed.map((i) => [i.name, i.preset, i.access_context, i.ip_allow_list])).toEqual([
      ['Claude', 'claude', 'personal', []],
      ['ChatGPT (sales)', 'chatgpt', 'shared', ['203.0.113.0/24', '2001:db8::/32']],
    ]);
    const chatgptId = listed[1].client_id as string;
    const table = await runCli(['integrations', 'list'], env);
    expect(table.stdout.split('\n')[0]).toMatch(/^client_id\s+name\s+preset\s+access\s+scopes\s+client\s+redirect_uris\s+ip_allow\s+status\s+registered_at$/);
    for (const output of [list.stdout, table.stdout]) for (const secret of secrets) expect(output).not.toContain(secret);

    const updated = await runCli(['integrations', 'update', chatgptId, '--add-redirect-uri', 'https://chatgpt.com/connector_platform_oauth_redirect', '--clear-ip-allow', '--json'], env);
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({
      integration: { client_id: chatgptId, redirect_uris: ['https://chatgpt.com/connector_platform_oauth_redirect'], ip_allow_list: [] },
      changes: [
        { field: 'redirect_uris', from: [], to: ['https://chatgpt.com/connector_platform_oauth_redirect'] },
        { field: 'ip_allow_list', from: ['203.0.113.0/24', '2001:db8::/32'], to: [] },
      ],
    });

    const shown = await runCli(['integrations', 'show', chatgptId], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('redirect_uri                https://chatgpt.com/connector_platform_oauth_redirect\n');
    expect(shown.stdout).toContain('access_context              shared\n');
    for (const secret of secrets) expect(shown.stdout).not.toContain(secret);
  }, 60_000);

  it('rotates a secret with a grace period or at once, and disables and enables', async () => {
    const rotated = await runCli(['integrations', 'rotate-secret', claude.client_id, '--json'], env);
    expect(rotated.code).toBe(0);
    const body = JSON.parse(rotated.stdout) as { client_id: string; client_secret: string; previous_secrets_valid_until: string };
    secrets.push(body.client_secret);
    expect(Date.parse(body.previous_secrets_valid_until) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    later();
    expect(await server.verifyClientSecret(claude.client_id, claude.client_secret)).not.toBeNull();
    expect(await server.verifyClientSecret(claude.client_id, body.client_secret)).not.toBeNull();

    const now = await runCli(['integrations', 'rotate-secret', claude.client_id, '--now'], env);
    expect(now.code).toBe(0);
    expect(now.stderr).toContain('The previous secret stopped working now.');
    const newest = now.stdout.trim().split(/\s+/)[1];
    secrets.push(newest);
    later();
    expect(await server.verifyClientSecret(claude.client_id, claude.client_secret)).toBeNull();
    expect(await server.verifyClientSecret(claude.client_id, body.client_secret)).toBeNull();
    expect(await server.verifyClientSecret(claude.client_id, newest)).not.toBeNull();

    const disabled = await runCli(['integrations', 'disable', claude.client_id], env);
    expect(disabled.code).toBe(0);
    expect(disabled.stderr).toBe(`Integration ${claude.client_id} is now disabled.\n`);
    later();
    expect(await server.checkClientSecret(claude.client_id, newest)).toEqual({ ok: false, reason: 'disabled' });
    expect((await runCli(['integrations', 'enable', claude.client_id], env)).code).toBe(0);
    later();
    expect(await server.verifyClientSecret(claude.client_id, newest)).not.toBeNull();

    const events = JSON.stringify(await store.readAll());
    for (const secret of secrets) expect(events).not.toContain(secret);
  }, 60_000);

  it.each([
    [
      ['add', '--name', 'X', '--preset', 'custom', '--redirect-uri', 'javascript:alert(1)'],
      'csmcp: redirect URI "javascript:alert(1)" has the scheme javascript: which is not allowed; use an https URL, or http on 127.0.0.1, [::1] or localhost\n',
    ],
    [
      ['add', '--name', 'X', '--preset', 'custom', '--redirect-uri', 'http://app.example.com/cb'],
      'csmcp: redirect URI "http://app.example.com/cb" uses http on app.example.com; http is allowed only on 127.0.0.1, [::1] or localhost: use https\n',
    ],
    [
      ['add', '--name', 'X', '--preset', 'custom'],
      "csmcp: a custom client integration needs at least one redirect URI for authorization_code (the MCP client's documentation gives its callback URL); give it with --redirect-uri\n",
    ],
    [['add', '--name', 'X', '--preset', 'claude', '--scopes', 'cs:read cs:delete'], 'csmcp: scopes: unknown "cs:delete"; allowed are cs:read, cs:write, admin\n'],
    [
      ['add', '--name', 'X', '--preset', 'claude', '--ip-allow', '10.0.0.0/33'],
      'csmcp: IP range "10.0.0.0/33" has the prefix length /33; an IPv4 prefix is a whole number from 0 to 32\n',
    ],
    [
      ['add', '--name', 'X', '--preset', 'custom', '--grant-types', 'client_credentials'],
      'csmcp: client_credentials is only for shared-context machine clients (no user signs in, so there is no personal view); use --access shared or leave client_credentials out\n',
    ],
    [['show', 'csmcp_int_nope'], 'csmcp: no integration has client id csmcp_int_nope; csmcp integrations list shows them\n'],
    [['rotate-secret', 'csmcp_int_nope'], 'csmcp: no integration has client id csmcp_int_nope; csmcp integrations list shows them\n'],
  ])('refuses %j as wrong usage (exit 2), writing nothing', async (args, stderr) => {
    const before = (await store.readAll()).length;
    const result = await runCli(['integrations', ...args], env);
    expect(result.stderr).toBe(stderr);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect((await store.readAll()).length).toBe(before);
  }, 60_000);

  it('refuses an unknown preset and a change of access context with what is allowed', async () => {
    const preset = await runCli(['integrations', 'add', '--name', 'X', '--preset', 'gemini'], env);
    expect(preset.code).toBe(2);
    expect(preset.stderr).toContain("argument 'gemini' is invalid. Allowed choices are chatgpt, claude, copilot_studio, custom.");
    const access = await runCli(['integrations', 'update', claude.client_id, '--access', 'shared'], env);
    expect(access.code).toBe(2);
    expect(access.stderr).toBe(
      `csmcp: the access context of integration ${claude.client_id} is personal and cannot be changed once created; register a new integration with --access shared and disable this one\n`,
    );
  }, 60_000);
});
