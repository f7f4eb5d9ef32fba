import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startBearerProxy } from '../support/bearer-proxy';
import { startSeededServer, type SeededServer } from '../conformance/seeded-server';

/**
 * The MCP conformance suite (@modelcontextprotocol/conformance, pinned in devDependencies) against a
 * real `csmcp serve`: a seeded embedded store, a CSM and their token from `tokens issue`. The suite
 * sends no token, so a test-only proxy (test/support/bearer-proxy.ts) adds it; the product has no
 * auth-off switch. The full active suite must fail exactly the scenarios listed, with their reasons,
 * in test/conformance/expected-failures.yml (the runner exits non-zero on any other failure, and on
 * a listed scenario that now passes, so the baseline stays exact); the protocol-level scenarios csmcp
 * must pass are also run one by one, without a baseline.
 *
 * Run alone with `npm run test:conformance`.
 */
const ROOT = join(__dirname, '..', '..');
const RUNNER = join(ROOT, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const BASELINE = join(ROOT, 'test', 'conformance', 'expected-failures.yml');

/** Scenarios csmcp must pass on their own. */
const REQUIRED = ['server-initialize', 'ping', 'tools-list', 'logging-set-level', 'dns-rebinding-protection', 'server-sse-multiple-streams'] as const;

interface RunnerResult {
  readonly code: number | null;
  readonly output: string;
}

function conformance(args: string[]): Promise<RunnerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Exit 0, or a failure whose message is the suite's own report. */
function expectPassed(result: RunnerResult, what: string): void {
  if (result.code !== 0) throw new Error(`${what}: the conformance runner exited with ${result.code}; its output:\n${result.output}`);
  expect(result.code).toBe(0);
}

describe('MCP conformance suite against csmcp serve', () => {
  let csmcp: SeededServer;
  let proxy: Awaited<ReturnType<typeof startBearerProxy>>;
  let mcpUrl: string;

  beforeAll(async () => {
    csmcp = await startSeededServer({ prefix: 'csmcp-conformance-', companies: 10, activities: 3 });
    proxy = await startBearerProxy(csmcp.url, csmcp.token);
    mcpUrl = `${proxy.url}/mcp`;
  }, 180_000);

  afterAll(async () => {
    await proxy?.close();
    await csmcp?.stop();
  });

  it('fails exactly the scenarios of the baseline (test/conformance/expected-failures.yml) in the full active suite', async () => {
    const result = await conformance(['server', '--url', mcpUrl, '--expected-failures', BASELINE]);
    expectPassed(result, 'full active suite with the baseline');
  }, 600_000);

  it('is refused by csmcp itself without the proxy: the suite sends no token and auth stays on', async () => {
    const result = await conformance(['server', '--url', `${csmcp.url}/mcp`, '--scenario', 'server-initialize']);
    expect(result.code).toBe(1);
    expect(result.output).toContain('This endpoint needs an access token');
  }, 180_000);

  it.each(REQUIRED)('passes %s on its own', async (scenario) => {
    const result = await conformance(['server', '--url', mcpUrl, '--scenario', scenario]);
    expectPassed(result, `scenario ${scenario}`);
  }, 180_000);
});
