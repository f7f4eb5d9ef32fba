import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProjectionRunnerSuite } from '../test/projection-runner.suite';
import { SqliteReadModelDatabase } from './sqlite-read-model-database';

runProjectionRunnerSuite(
  'sqlite',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'csmcp-read-models-'));
    const filename = join(dir, 'read-models.db');
    return {
      open: async () => new SqliteReadModelDatabase({ filename }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  { rebuildEvents: 20_000 },
);
