import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { consolePaths } from './console-paths';

/** The files of the console's bundle, by name: console.js (the app, ES module) and console.css. */
export type ConsoleFiles = ReadonlyMap<string, Buffer>;

export const CONSOLE_FILES = ['console.js', 'console.css'] as const;

/**
 * Bundles the browser app (web/main.tsx: Preact, Chart.js, oauth4webapi, Pico CSS) with esbuild into
 * one ES module and one stylesheet: every asset is served by csmcp itself, nothing from a CDN.
 * esbuild is a build-time dependency: loaded only here, never by a built server.
 */
export async function bundleConsole(webDir = consolePaths().web): Promise<ConsoleFiles> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: { console: join(webDir, 'main.tsx') },
    tsconfig: join(webDir, 'tsconfig.json'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome111', 'firefox115', 'safari16.4'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'eof',
    charset: 'utf8',
    define: { 'process.env.NODE_ENV': '"production"' },
    write: false,
    outdir: '/out',
    logLevel: 'silent',
  });
  const files = new Map<string, Buffer>();
  for (const out of result.outputFiles) files.set(out.path.slice('/out/'.length), Buffer.from(out.contents));
  for (const name of CONSOLE_FILES) if (!files.has(name)) throw new Error(`the console bundle has no ${name}: ${[...files.keys()].join(', ')}`);
  return files;
}

/** `npm run build`, after `nest build`: writes the bundle to dist/admin-console. */
export async function writeConsoleBundle(outDir = consolePaths().bundle): Promise<string[]> {
  const files = await bundleConsole();
  mkdirSync(outDir, { recursive: true });
  for (const [name, contents] of files) writeFileSync(join(outDir, name), contents);
  return [...files.keys()].map((name) => `${name} ${(files.get(name)!.length / 1024).toFixed(0)} KiB`);
}

if (require.main === module) {
  writeConsoleBundle().then(
    (written) => process.stdout.write(`admin console: ${written.join(', ')}\n`),
    (error: unknown) => {
      process.stderr.write(`admin console bundle failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
