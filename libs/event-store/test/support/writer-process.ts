/**
 * A second (and third) process writing to the same store while a test subscribes: the situation of
 * the CLI writing while the server runs, or of two server instances. Appends `count` events spread
 * over shared streams, each with an exact expected revision, retrying on ConcurrencyError, and prints
 * the ids it got acknowledged as one JSON line.
 * Usage: node -r @swc-node/register writer-process.ts '<json: { locator, streams, count, label }>'
 */
import { ConcurrencyError } from '../../src/errors';
import { openStore, type StoreLocator } from './open-store';

interface WriterJob {
  readonly locator: StoreLocator;
  readonly streams: string[];
  readonly count: number;
  readonly label: string;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as WriterJob;
  const store = await openStore(job.locator);
  const acknowledged: string[] = [];
  let conflicts = 0;
  for (let i = 0; i < job.count; i++) {
    const streamName = job.streams[i % job.streams.length];
    for (;;) {
      const events = await store.readStream(streamName);
      const expectedRevision = events.length === 0 ? 'no_stream' : events[events.length - 1].revision;
      try {
        await store.appendToStream(streamName, [{ type: 'Written', data: { by: job.label, i } }], { expectedRevision });
        break;
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        conflicts++;
      }
    }
    acknowledged.push(`${job.label}:${i}`);
  }
  await store.close();
  process.stdout.write(`${JSON.stringify({ acknowledged: acknowledged.length, conflicts })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
