import { join } from 'node:path';

/**
 * Where the console's browser sources are and where `npm run build` puts the bundle. This file runs
 * from src/admin-console (the TypeScript sources: tests, swc-node) or from dist/src/admin-console (the
 * build); the package root is two or three folders up.
 */
export interface ConsolePaths {
  /** True when running from the TypeScript sources: the bundle is then built from them, in memory. */
  readonly fromSource: boolean;
  /** The browser app's sources (src/admin-console/web). */
  readonly web: string;
  /** The built bundle (dist/admin-console). */
  readonly bundle: string;
}

export function consolePaths(file = __filename): ConsolePaths {
  const fromSource = file.endsWith('.ts');
  const root = fromSource ? join(file, '..', '..', '..') : join(file, '..', '..', '..', '..');
  return { fromSource, web: join(root, 'src', 'admin-console', 'web'), bundle: join(root, 'dist', 'admin-console') };
}
