/**
 * Crash soak (issue 9, Faults: Crash). MCP writes from real SDK clients with a real bearer token while
 * the csmcp server process is SIGKILLed at random moments, on the embedded store and on PostgreSQL.
 * After each restart, before new load:
 * - writes in flight at the kill are all there or not at all, and their retry with the same
 *   idempotency key says which (replayed exactly when they had landed): never a duplicate;
 * - every write the client saw acknowledged is in the store exactly once, with one audit entry that
 *   lists its events and charges it; no event without its entry, no entry without its events;
 * - the read models equal a rebuild from the first event, and the audit chain verifies;
 * - the last round's CTAs are found through the read tools.
 * At the end, with the server stopped: `csmcp projections rebuild` leaves the read models as they
 * were, `csmcp audit verify` passes, and `csmcp credits balance` shows exactly the charges found.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { checkWrites, landed, openProbe, PROJECTED_TABLES, rebuildComparison, rowsOf, verifyAudit, WRITE_PRICE, type StoreProbe, type WriteRecord, type RebuildComparison } from './support/crash-checks';
import { connectWriter, sendWrite, startLoad, type LoadTargets } from './support/crash-load';
import { seedSoakBook, soakPostgresStore, soakSqliteStore, startBuiltServer, untilCaughtUp, type BuiltServer, type SoakBook, type SoakStore } from './support/server-process';
import { soakScale, soakTimeout } from './support/soak-mode';

/** SIGKILLs per store. */
const KILLS = soakScale(20, 200);
/** Concurrent MCP clients writing. */
const WRITERS = soakScale(3, 4);
/** The longest wait after the first acknowledged write before the kill (a random moment up to this). */
const MAX_KILL_DELAY_MS = soakScale(600, 1_500);
const GRANT = 1_000_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each([
  ['the embedded store (SQLite)', 'sqlite' as const],
  ['PostgreSQL', 'postgres' as const],
])('csmcp serve SIGKILLed under MCP writes, on %s', (_label, kind) => {
  let store: SoakStore;
  let book: SoakBook;
  let probe: StoreProbe;
  let rebuild: RebuildComparison;
  let server: BuiltServer | null = null;
  const journal: WriteRecord[] = [];

  beforeAll(async () => {
    store = kind === 'sqlite' ? soakSqliteStore() : soakPostgresStore('crash_soak');
    book = await seedSoakBook(store, 10);
    await store.cli(['credits', 'grant', '--amount', String(GRANT), '--reason', 'crash soak']);
    probe = openProbe(store);
    rebuild = rebuildComparison(store);
  }, 300_000);

  afterAll(async () => {
    await server?.kill('SIGKILL');
    await probe?.close();
    await rebuild?.dispose();
    await store?.dispose();
  }, 120_000);

  /** Restart, retry what was in flight, and check everything; returns the server, running and idle. */
  async function restartAndCheck(round: number, figures: { inFlight: number; landedBeforeRetry: number }): Promise<BuiltServer> {
    const started = await startBuiltServer(store.env);
    server = started; // killed by afterAll if a check below fails
    await untilCaughtUp(started.url);
    const mcp = `${started.url}/mcp`;

    const inFlight = journal.filter((r) => r.state === 'unknown');
    if (inFlight.length > 0) {
      const before = await probe.allEvents();
      // All or nothing (landed() throws on a half write), recorded before the retry can write it.
      for (const r of inFlight) r.landedBeforeRetry = landed(before, r.key);
      const client = await connectWriter(mcp, book.ann.token);
      try {
        for (const r of inFlight) {
          await sendWrite(client, r);
          expect([r.key, r.tool, r.state, r.error]).toEqual([r.key, r.tool, 'acked', undefined]);
          // Replayed exactly when the first attempt had landed: the retry never writes twice.
          expect([r.key, r.result!.replayed]).toEqual([r.key, r.landedBeforeRetry]);
        }
      } finally {
        await client.close();
      }
      figures.inFlight += inFlight.length;
      figures.landedBeforeRetry += inFlight.filter((r) => r.landedBeforeRetry).length;
      await untilCaughtUp(started.url);
    }

    const refused = journal.filter((r) => r.state === 'refused');
    expect(refused.map((r) => `${r.tool}: ${r.error}`)).toEqual([]);
    const check = checkWrites(await probe.allEvents(), journal);
    expect(check.problems).toEqual([]);
    expect(await rebuild.compare(probe)).toEqual([]);
    const audit = await verifyAudit(probe);
    expect(audit.broken).toBeNull();
    expect(audit.ok).toBe(true);

    // The previous round's acknowledged CTAs, through the read tools.
    const ctas = journal.filter((r) => r.round === round - 1 && r.tool === 'create_cta' && r.state === 'acked');
    if (ctas.length > 0) {
      const reader = await connectWriter(mcp, book.ann.token);
      try {
        for (const r of ctas) {
          const got = (await reader.client.callTool({ name: 'get_cta', arguments: { cta_id: r.result!.entity_id } })) as CallToolResult;
          expect(got.isError).not.toBe(true);
          expect(got.structuredContent).toMatchObject({ cta_id: r.result!.entity_id, name: r.args.name });
        }
      } finally {
        await reader.close();
      }
    }
    return started;
  }

  it(
    `survives ${KILLS} SIGKILLs: nothing acknowledged lost or doubled, no half write, read models as rebuilt, audit chain intact`,
    async () => {
      const targets: LoadTargets = { companies: book.annCompanies, ctas: [], plans: [] };
      const figures = { kills: 0, inFlight: 0, landedBeforeRetry: 0, killedBeforeFirstAck: 0 };
      for (let round = 1; round <= KILLS; round++) {
        server = await restartAndCheck(round, figures);
        const mcp = `${server.url}/mcp`;
        const load = startLoad({ writers: WRITERS, connect: () => connectWriter(mcp, book.ann.token), targets, journal, round });
        // Mostly a random moment after writes are flowing; sometimes while the clients are still connecting.
        if (Math.random() < 0.15) {
          await sleep(Math.random() * 300);
          if (load.acked() === 0) figures.killedBeforeFirstAck++;
        } else {
          await load.firstAck;
          await sleep(Math.random() * MAX_KILL_DELAY_MS);
        }
        const end = await server.kill('SIGKILL');
        expect(end.signal).toBe('SIGKILL');
        server = null;
        figures.kills++;
        await load.abort();
        expect(journal.filter((r) => r.state === 'pending')).toEqual([]);
      }
      server = await restartAndCheck(KILLS + 1, figures);
      const final = checkWrites(await probe.allEvents(), journal);
      await server.kill('SIGTERM');
      server = null;

      // The CLI, as an operator runs it after an incident: rebuild the read models, verify the log.
      const before = await Promise.all(PROJECTED_TABLES.map((t) => rowsOf(probe.readModels, t)));
      await store.cli(['projections', 'rebuild', '--json']);
      const after = await Promise.all(PROJECTED_TABLES.map((t) => rowsOf(probe.readModels, t)));
      PROJECTED_TABLES.forEach((table, i) => expect([table, after[i].length, after[i]]).toEqual([table, before[i].length, before[i]]));
      const verified = await store.cliRaw(['audit', 'verify', '--json']);
      expect([verified.code, verified.stderr]).toEqual([0, '']);
      expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, broken: null });
      const balance = JSON.parse(await store.cli(['credits', 'balance', '--json'])) as { balance: number; granted: number; charged: number };
      expect(balance).toMatchObject({ granted: GRANT, charged: final.charged, balance: GRANT - final.charged });

      const acked = journal.filter((r) => r.state === 'acked');
      const writes = acked.filter((r) => !r.result!.replayed || r.landedBeforeRetry).length;
      expect(final.charged).toBeGreaterThanOrEqual(writes * WRITE_PRICE);
      const summary = {
        store: kind,
        kills: figures.kills,
        writesSent: journal.length,
        writesAcknowledged: acked.length,
        inFlightAtKills: figures.inFlight,
        inFlightThatHadLanded: figures.landedBeforeRetry,
        killsBeforeFirstAck: figures.killedBeforeFirstAck,
        mcpWriteEvents: final.domainEvents,
        auditEntries: final.auditEntries,
        lost: 0,
        duplicated: 0,
        halfApplied: 0,
      };
      console.log(`crash soak ${JSON.stringify(summary)}`);
    },
    soakTimeout(900_000, 6 * 3_600_000),
  );
});
