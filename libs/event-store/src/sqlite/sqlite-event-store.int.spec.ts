import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEventStoreContract } from '../../test/event-store.contract';
import { SqliteEventStore } from './sqlite-event-store';

const dir = mkdtempSync(join(tmpdir(), 'csmcp-sqlite-contract-'));
const filename = join(dir, 'events.db');

runEventStoreContract(
  'sqlite',
  async () => ({
    store: new SqliteEventStore({ filename }),
    locator: { adapter: 'sqlite', filename },
    openAnother: async () => new SqliteEventStore({ filename }),
    globallyUniqueEventIds: true,
  }),
  async () => rmSync(dir, { recursive: true, force: true }),
);
