/** The floors as targets: raw node:http and the bare SDK in each transport mode, each its own process. */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { floorCallBody, type FloorMode } from './floor-tool';
import type { McpBenchTarget, StartedTarget } from './types';

export const RAW_FLOOR = 'node:http';
export const SDK_FLOOR = 'bare SDK';

export function floorTargets(): McpBenchTarget[] {
  const sdk = (mode: Exclude<FloorMode, 'raw'>): McpBenchTarget => ({
    name: `${SDK_FLOOR} ${mode}`,
    modes: [mode],
    start: () => startFloor(mode),
    calls: [{ label: 'echo (trivial tool)', body: floorCallBody }],
  });
  return [
    { name: RAW_FLOOR, modes: ['raw'], start: () => startFloor('raw'), calls: [{ label: 'echo (same result body)', body: floorCallBody }] },
    sdk('stateless'),
    sdk('session-json'),
    sdk('session-sse'),
  ];
}

/** The floor server next to this file: .js when built (dist/bench/mcp), .ts under a TS loader. */
function floorServerPath(): string {
  const js = join(__dirname, 'floor-server.js');
  return existsSync(js) ? js : join(__dirname, 'floor-server.ts');
}

async function startFloor(mode: FloorMode): Promise<StartedTarget> {
  const child = fork(floorServerPath(), [mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`floor server (${mode}) did not report its port within 15 s`)), 15_000);
    child.once('message', (message: { port?: number }) => {
      clearTimeout(timer);
      if (typeof message.port === 'number') resolve(message.port);
      else reject(new Error(`floor server (${mode}) sent ${JSON.stringify(message)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`floor server (${mode}) exited with ${code} before listening`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    headers: {},
    pid: child.pid!,
    stop: () => stopChild(child),
    details: mode === 'raw' ? `node:http ${process.version}` : `@modelcontextprotocol/sdk ${sdkVersion()}, ${mode}`,
  };
}

/** SIGTERM, then SIGKILL after 5 s: a floor must never outlive the bench. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function sdkVersion(): string {
  try {
    // The package's exports map hides package.json; its path beside the resolved entry is stable.
    const entry = require.resolve('@modelcontextprotocol/sdk/server/mcp.js');
    const root = entry.slice(0, entry.lastIndexOf(join('dist', 'cjs')));
    return (require(join(root, 'package.json')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
