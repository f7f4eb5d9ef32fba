/**
 * `csmcp serve` with its data dir on a small filesystem of its own, so a test can fill it (disk
 * full: ENOSPC) or remount it read-only (EROFS) under a running server, and lift the fault again.
 *
 * Why a tmpfs in a private mount namespace: CI runs as root, and root ignores file modes, so chmod
 * makes nothing read-only; `chattr +i` needs ext4 and does not give "disk full". A tmpfs with a
 * size limit is a real filesystem that really runs out of space, a read-only remount is a real
 * read-only filesystem, and both hold for root. `unshare -m` gives the server a mount namespace of
 * its own, so nothing is mounted on the machine; the test reaches the files through
 * /proc/<pid>/root (the server's view). When the server exits, the shell
 * that started it copies the data dir back out, for `csmcp audit verify` and an integrity check.
 * Needs CAP_SYS_ADMIN (root) or unprivileged user namespaces: `diskFaultsSupported()` says which.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'test', 'support', 'csmcp-from-source.ts');

/** The unshare arguments that work here (root: a mount namespace; otherwise a user namespace too), or why none does. */
export function diskFaultsSupported(): { args: string[] } | { reason: string } {
  const tries = process.getuid?.() === 0 ? [['-m'], ['-Urm']] : [['-Urm']];
  const errors: string[] = [];
  for (const args of tries) {
    const dir = mkdtempSync(join(tmpdir(), 'csmcp-mount-probe-'));
    try {
      execFileSync('unshare', [...args, 'sh', '-c', `mount -t tmpfs -o size=1m tmpfs '${dir}' && mount -o remount,ro '${dir}'`], { stdio: 'pipe' });
      return { args };
    } catch (error) {
      errors.push(`unshare ${args.join(' ')}: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { reason: `cannot mount a tmpfs in a private mount namespace (${errors.join('; ')})` };
}

export interface DiskFaultServer {
  readonly url: string;
  readonly child: ChildProcess;
  /** The data dir as the server sees it, reachable from the test. */
  readonly liveDataDir: string;
  logs(): string;
  /** Writes a file of zeros until the filesystem is full; returns its size in bytes. */
  fill(): number;
  /** Deletes the filler: space again. */
  unfill(): void;
  /** Stops the server (SIGTERM); the data dir has then been copied back to `dataDir`. */
  stop(): Promise<number | null>;
}

/**
 * Starts `csmcp serve` on a copy of `dataDir` on a tmpfs of `sizeMb` (mounted read-only before the
 * server starts with `readOnly`); on exit the tmpfs's content is copied back over `dataDir`.
 * A running server's filesystem cannot be remounted read-only: the kernel refuses (EBUSY) while
 * files are open for writing, which SQLite's are.
 */
export function startDiskFaultServer(
  unshareArgs: string[],
  dataDir: string,
  sizeMb: number,
  env: NodeJS.ProcessEnv,
  options: { readOnly?: boolean; timeoutMs?: number } = {},
): Promise<DiskFaultServer> {
  const timeoutMs = options.timeoutMs ?? 90_000;
  const mountPoint = mkdtempSync(join(tmpdir(), 'csmcp-tmpfs-'));
  const node = [process.execPath, '-r', '@swc-node/register', ENTRY, 'serve', '--port', '0'].map(quote).join(' ');
  // Not exec: the shell outlives the server to copy the data out of the namespace before it goes.
  const script = [
    'set -e',
    `mount -t tmpfs -o size=${sizeMb}m tmpfs ${quote(mountPoint)}`,
    `cp -a ${quote(dataDir)}/. ${quote(mountPoint)}/`,
    ...(options.readOnly ? [`mount -o remount,ro ${quote(mountPoint)}`] : []),
    `trap 'kill -TERM $pid 2>/dev/null' TERM INT`,
    `${node} & pid=$!`,
    'set +e',
    'wait $pid; code=$?',
    // A TERM to the shell interrupts the first wait: wait again for the server to finish stopping.
    'if kill -0 $pid 2>/dev/null; then wait $pid; code=$?; fi',
    `mount -o remount,rw ${quote(mountPoint)}`,
    `rm -f ${quote(mountPoint)}/fault-filler`,
    `cp -a ${quote(mountPoint)}/. ${quote(dataDir)}/`,
    'exit $code',
  ].join('\n');
  const child = spawn('unshare', [...unshareArgs, 'sh', '-c', script], {
    cwd: ROOT,
    env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.json'), LOG_LEVEL: 'info', ...env, DATA_DIR: mountPoint },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const live = `/proc/${child.pid}/root${mountPoint}`;
  const filler = join(live, 'fault-filler');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /"msg":"csmcp is listening","url":"(http:\/\/[^"]+)"/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.stdout!.on('data', (d) => (output += d));
      child.stderr!.on('data', (d) => (output += d));
      resolve({
        url: match[1],
        child,
        liveDataDir: live,
        logs: () => output,
        fill() {
          const fd = openSync(filler, 'w');
          const block = Buffer.alloc(64 * 1024);
          let written = 0;
          try {
            for (;;) written += writeSync(fd, block);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          } finally {
            closeSync(fd);
          }
          // The last few bytes too: a page SQLite wants must not fit anywhere.
          if (statfsSync(live).bavail !== 0) throw new Error('the filesystem is not full after filling it');
          return written;
        },
        unfill: () => unlinkSync(filler),
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          const code = await exited;
          rmSync(mountPoint, { recursive: true, force: true });
          return code;
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
