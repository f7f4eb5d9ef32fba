import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startServerProcess, type ServerProcess } from '../support/cli';

/**
 * The CLI works on the same embedded store as a running server: what it writes reaches the server's
 * projections (another process's commits wake them), and a rebuild from the CLI is safe meanwhile.
 */
describe('the CLI on the store of a running server (embedded SQLite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'csmcp-cli-server-'));
  const env = { DATA_DIR: dataDir };
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServerProcess(env);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function readyz(): Promise<{ status: string; store: { head: string }; projections: Array<{ name: string; position: string }> }> {
    return (await (await fetch(`${server.url}/readyz`)).json()) as Awaited<ReturnType<typeof readyz>>;
  }

  async function untilCaughtUp(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const body = await readyz();
      if (body.status === 'ready' && body.projections.every((p) => p.position === body.store.head)) return;
      if (Date.now() > deadline) throw new Error(`server projections did not catch up: ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('seeds through the CLI while the server runs, and the server catches up by itself', async () => {
    const seeded = await runCli(['seed', 'demo', '--companies', '6', '--activities', '3', '--json'], env);
    expect(seeded.code).toBe(0);
    expect(JSON.parse(seeded.stdout.slice(seeded.stdout.indexOf('{')))).toMatchObject({ counts: { companies: 6 } });
    await untilCaughtUp();
    const body = await readyz();
    expect(body.projections.map((p) => p.name).sort()).toEqual(['audit', 'customer_success', 'users']);
    expect(body.store.head).not.toBe('start');
  }, 120_000);

  it('rebuilds the read models from the CLI while the server runs, and both end at the head', async () => {
    const rebuilt = await runCli(['projections', 'rebuild', '--json'], env);
    expect(rebuilt.code).toBe(0);
    const rows = JSON.parse(rebuilt.stdout) as Array<{ name: string; events: number }>;
    expect(rows.map((r) => r.name).sort()).toEqual(['audit', 'customer_success', 'users']);
    // The seed writes through the commands, not MCP: nothing for the audit log.
    for (const row of rows.filter((r) => r.name !== 'audit')) expect(row.events).toBeGreaterThan(0);

    const status = await runCli(['projections', 'status', '--json'], env);
    expect(status.code).toBe(0);
    for (const p of JSON.parse(status.stdout) as Array<{ checkpoint: string; head: string }>) expect(p.checkpoint).toBe(p.head);
    await untilCaughtUp();
  }, 120_000);

  it('refuses to rebuild a projection that does not exist, naming the known ones', async () => {
    const result = await runCli(['projections', 'rebuild', 'nope'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Unknown projection "nope"; known: (?=.*customer_success)(?=.*users)(?=.*audit)/);
  });
});
