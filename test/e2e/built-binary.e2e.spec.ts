import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm start` runs the compiled binary, not the sources: this catches what only the build breaks
 * (path aliases, missing files). `npm test` builds first (pretest), so dist/ is never stale here.
 */
describe('the built csmcp binary (what npm start runs)', () => {
  const root = join(__dirname, '..', '..');
  const dataDir = mkdtempSync(join(tmpdir(), 'csmcp-built-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves /readyz on the embedded store', async () => {
    const child = spawn(process.execPath, [join(root, 'bin', 'csmcp.js'), 'serve', '--port', '0'], {
      env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no listening line within 20 s:\n${out}`)), 20_000);
        const onData = (d: Buffer) => {
          out += d;
          const m = /"msg":"csmcp is listening","url":"([^"]+)"/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)));
      });
      const res = await fetch(`${url}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ready', store: { kind: 'sqlite' } });
    } finally {
      child.kill('SIGTERM');
    }
  });
});
