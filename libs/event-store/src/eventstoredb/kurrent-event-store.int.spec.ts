/**
 * The store contract against a live EventStoreDB / KurrentDB, e.g. the one of docker-compose.yml:
 *   docker compose up -d kurrentdb
 *   EVENTSTORE_URL='esdb://localhost:2113?tls=false' npx jest libs/event-store/src/eventstoredb
 * Skipped when EVENTSTORE_URL is not set. The suite uses fresh stream names and positions relative
 * to the head, so it can run again and again against the same database.
 * The appendToStreams tests need KurrentDB 25.1 or later (multi-stream append); on EventStoreDB
 * 24.x they fail with the adapter's "needs KurrentDB 25.1 or later" error.
 */
import { runEventStoreContract } from '../../test/event-store.contract';
import { KurrentEventStore } from './kurrent-event-store';

const connectionString = process.env.EVENTSTORE_URL;
const SKIP_REASON = "EVENTSTORE_URL is not set (e.g. EVENTSTORE_URL='esdb://localhost:2113?tls=false' after `docker compose up -d kurrentdb`)";

if (!connectionString) {
  console.info(`EventStoreDB contract skipped: ${SKIP_REASON}`);
  describe.skip(`EventStore contract: eventstoredb (skipped: ${SKIP_REASON})`, () => {
    it('runs the event store contract against a live EventStoreDB / KurrentDB', () => undefined);
  });
} else {
  // A networked store: round trips, the 50-racer tests and the child writers take longer than the embedded one.
  jest.setTimeout(60_000);

  runEventStoreContract(
    'eventstoredb',
    async () => {
      const store = new KurrentEventStore({ connectionString });
      // Fail the whole suite at once, with the reason, when the server is not reachable.
      await store.ping();
      return {
        store,
        locator: { adapter: 'eventstoredb', connectionString },
        openAnother: async () => new KurrentEventStore({ connectionString }),
        // EventStoreDB deduplicates event ids within a stream only.
        globallyUniqueEventIds: false,
      };
    },
    // Streams cannot be wiped; every run uses new stream names instead.
    async () => undefined,
  );
}
