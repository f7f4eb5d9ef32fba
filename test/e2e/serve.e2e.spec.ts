import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startServerProcess, type ServerProcess } from '../support/cli';

describe('csmcp serve (embedded store)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'csmcp-serve-'));
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServerProcess({ DATA_DIR: dataDir });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers /healthz', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('is ready on /readyz once the store answers and projections caught up', async () => {
    const res = await fetch(`${server.url}/readyz`);
    const body = await res.json();
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ status: 'ready', store: { kind: 'sqlite' } });
  });

  it('echoes a caller request id and makes one up otherwise; logs are JSON lines carrying it', async () => {
    const given = await fetch(`${server.url}/healthz/nope`, { headers: { 'X-Request-Id': 'trace-abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-abc-123');
    const made = await fetch(`${server.url}/healthz/nope`, { headers: { 'X-Request-Id': 'bad id with spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 300));
    const lines = server.logs().split('\n').filter((l) => l.startsWith('{'));
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.req?.id === 'trace-abc-123');
    expect(logged).toMatchObject({ req: { method: 'GET', url: '/healthz/nope' }, res: { statusCode: 404 } });
  });

  it('creates the embedded store under DATA_DIR', async () => {
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(dataDir, 'events.db'))).toBe(true);
    expect(existsSync(join(dataDir, 'read-models.db'))).toBe(true);
  });

  it('stops cleanly on SIGTERM', async () => {
    const other = await startServerProcess({ DATA_DIR: mkdtempSync(join(tmpdir(), 'csmcp-serve-term-')) });
    expect(await other.stop('SIGTERM')).toBe(0);
  });
});

describe('csmcp configuration', () => {
  it('refuses a wrong variable at start, naming it and what is allowed', async () => {
    const result = await runCli(['serve'], { PORT: 'eighty', LOG_LEVEL: 'chatty' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PORT must be an integer from 0 to 65535 (0 picks a free port) (got "eighty")');
    expect(result.stderr).toContain('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "chatty")');
    expect(result.stderr).not.toMatch(/at \S+ \(/); // no stack trace
  });

  it('lists its commands with --help', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/serve\s/);
    expect(result.stdout).toMatch(/projections\s/);
  });

  it('refuses an unknown command', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
  });
});
