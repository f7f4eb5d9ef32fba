import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

/**
 * The MCP conformance suite's client scenarios (@modelcontextprotocol/conformance, pinned in
 * devDependencies) against csmcp's connector code: the suite starts its own MCP and authorization
 * servers per scenario and runs `npm run -s conformance:client -- <server-url>`
 * (test/conformance/connector-client.ts: the production registry, state database, SDK auth() over
 * ConnectorOAuthProvider and ConnectorClient over the guarded fetch; authorization completed headlessly).
 *
 * Each scenario runs on its own (the suite's own verdict, client exit code included); the ones listed
 * in test/conformance/expected-client-failures.yml run against that baseline, which fails when they
 * fail differently or pass (a stale entry). The auth scenarios are read from the suite's own list, so
 * a new version's scenarios are not silently skipped.
 */
const ROOT = join(__dirname, '..', '..');
const RUNNER = join(ROOT, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const BASELINE = join(ROOT, 'test', 'conformance', 'expected-client-failures.yml');
const COMMAND = 'npm run -s conformance:client --';
/** Per scenario: the client boots Node with swc on a loaded machine. */
const SCENARIO_TIMEOUT_MS = 120_000;

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

const expectedFailures = readFileSync(BASELINE, 'utf8')
  .split('\n')
  .map((line) => /^\s*-\s*(\S+)\s*$/.exec(line)?.[1])
  .filter((name): name is string => name !== undefined);

describe('MCP conformance client scenarios against csmcp connectors', () => {
  let authScenarios: string[] = [];

  beforeAll(async () => {
    const list = await conformance(['list']);
    const client = list.output.split('Client scenarios')[1] ?? '';
    authScenarios = [...client.matchAll(/^\s+-\s+(auth\/\S+)$/gm)].map((m) => m[1]);
  }, 60_000);

  it('finds the auth scenarios in the suite’s own list (metadata variants, CIMD, scopes, token endpoint auth, pre-registration, client credentials)', () => {
    expect(authScenarios).toEqual(
      expect.arrayContaining([
        'auth/metadata-default',
        'auth/metadata-var1',
        'auth/metadata-var2',
        'auth/metadata-var3',
        'auth/basic-cimd',
        'auth/scope-step-up',
        'auth/token-endpoint-auth-basic',
        'auth/token-endpoint-auth-post',
        'auth/token-endpoint-auth-none',
        'auth/pre-registration',
        'auth/client-credentials-basic',
      ]),
    );
  });

  it('lists only scenarios it runs as expected failures', () => {
    for (const name of expectedFailures) expect(authScenarios).toContain(name);
  });

  const run = async (scenario: string) => {
    const baseline = expectedFailures.includes(scenario);
    const args = ['client', '--command', COMMAND, '--scenario', scenario, '--timeout', String(SCENARIO_TIMEOUT_MS), ...(baseline ? ['--expected-failures', BASELINE] : [])];
    const result = await conformance(args);
    if (result.code !== 0) throw new Error(`scenario ${scenario}${baseline ? ' (expected to fail as listed)' : ''}: the runner exited with ${result.code}; its output:\n${result.output}`);
    expect(result.code).toBe(0);
  };

  it.each(['initialize', 'tools_call'])('passes %s', run, SCENARIO_TIMEOUT_MS + 30_000);

  it('passes every auth scenario, or fails exactly as the baseline says', async () => {
    const failures: string[] = [];
    for (const scenario of authScenarios) {
      try {
        await run(scenario);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
    if (failures.length > 0) throw new Error(failures.join('\n\n'));
  }, 40 * 60_000);
});
