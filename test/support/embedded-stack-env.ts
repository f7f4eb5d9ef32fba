import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort } from './free-port';

/**
 * The environment of a csmcp on the embedded store in `dir`/data, on a free port (its public URL
 * the same), with a fresh connector token key, whatever the machine's own DATABASE_URL or
 * EVENTSTORE_URL say: the connector e2e specs start csmcp and its CLI with it.
 */
export async function embeddedStackEnv(dir: string): Promise<NodeJS.ProcessEnv> {
  const port = await freePort();
  return {
    DATA_DIR: join(dir, 'data'),
    DATABASE_URL: undefined,
    DATABASE_SCHEMA: undefined,
    EVENTSTORE_URL: undefined,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    CONNECTOR_TOKEN_KEY: randomBytes(32).toString('base64'),
  };
}
