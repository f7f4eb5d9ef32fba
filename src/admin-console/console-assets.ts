import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleConsole, CONSOLE_FILES, type ConsoleFiles } from './console-bundle';
import { consolePaths, type ConsolePaths } from './console-paths';

export interface ConsoleAsset {
  readonly body: Buffer;
  readonly contentType: string;
  /** A strong ETag (SHA-256 of the body): browsers revalidate, nothing stale is ever used. */
  readonly etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

/** The console was not built: `nest build` alone leaves it out. Says how to build it. */
export class ConsoleNotBuiltError extends Error {
  constructor(dir: string, missing: string) {
    super(`The admin console is not built (${join(dir, missing)} is missing): run \`npm run build\``);
    this.name = 'ConsoleNotBuiltError';
  }
}

/**
 * The console's bundle, loaded once: a built server reads dist/admin-console (`npm run build`); from
 * the TypeScript sources (tests, development) it is bundled from src/admin-console/web on first use,
 * so a test never serves a stale bundle.
 */
export class ConsoleAssets {
  private loading: Promise<ReadonlyMap<string, ConsoleAsset>> | null = null;

  constructor(private readonly paths: ConsolePaths = consolePaths()) {}

  async get(name: string): Promise<ConsoleAsset | undefined> {
    return (await this.all()).get(name);
  }

  /** Names and ETags, for the page to reference (a changed bundle gets a new URL). */
  async versions(): Promise<Record<string, string>> {
    const all = await this.all();
    return Object.fromEntries([...all].map(([name, asset]) => [name, asset.etag.slice(1, 13)]));
  }

  private all(): Promise<ReadonlyMap<string, ConsoleAsset>> {
    if (!this.loading) {
      this.loading = this.load().then(withMetadata);
      // A failed load is tried again on the next request (a build may have finished since).
      this.loading.catch(() => (this.loading = null));
    }
    return this.loading;
  }

  private async load(): Promise<ConsoleFiles> {
    if (this.paths.fromSource) return bundleConsole(this.paths.web);
    const files = new Map<string, Buffer>();
    for (const name of CONSOLE_FILES) {
      const file = join(this.paths.bundle, name);
      if (!existsSync(file)) throw new ConsoleNotBuiltError(this.paths.bundle, name);
      files.set(name, readFileSync(file));
    }
    return files;
  }
}

function withMetadata(files: ConsoleFiles): ReadonlyMap<string, ConsoleAsset> {
  return new Map(
    [...files].map(([name, body]) => [
      name,
      { body, contentType: CONTENT_TYPES[name] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url')}"` },
    ]),
  );
}
