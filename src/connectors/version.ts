import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | null = null;

/** csmcp's version (package.json), as it introduces itself to MCP servers; found from src/ and dist/src/ alike. */
export function packageVersion(): string {
  if (cached) return cached;
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (cached = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version);
  }
  return (cached = '0.0.0');
}
