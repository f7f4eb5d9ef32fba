/**
 * Two instances soak (issue 9, Faults: Two instances). Two `csmcp serve` processes on one PostgreSQL
 * schema behind a round-robin load balancer (no sticky sessions: consecutive requests of one MCP
 * session go to different instances, which restore it from the shared state store). ann and bob
 * write through both with real SDK clients until their credits run out (a small organisation balance,
 * and a monthly limit for bob), and instance A is SIGKILLed in the middle of it. Afterwards:
 * - no acknowledged write lost or doubled, nothing half-applied, in-flight writes all or nothing and
 *   retried without duplicates (the same checks as the crash soak);
 * - the credits were never overspent, at any entry of the ledger, and both limits were reached;
 * - a session opened before the kill keeps working on the survivor;
 * - A restarted: both instances answer the same reads, and the read models equal a rebuild.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { RecordedEvent } from '@csmcp/event-store';
import { checkWrites, landed, ledgerOverspends, openProbe, rebuildComparison, verifyAudit, WRITE_PRICE, type RebuildComparison, type StoreProbe, type WriteRecord } from './support/crash-checks';
import { connectWriter, sendWrite, startLoad, type LoadTargets } from './support/crash-load';
import { startRoundRobin, type RoundRobinProxy } from './support/crash-proxy';
import { seedSoakBook, soakPostgresStore, startBuiltServer, untilCaughtUp, type BuiltServer, type SoakBook, type SoakStore } from './support/server-process';
import { soakScale, soakTimeout } from './support/soak-mode';

/** The organisation's credits: what ann and bob spend between them (a write costs WRITE_PRICE). */
const BALANCE = soakScale(160, 2_000);
/** bob's monthly limit, reached before the balance. */
const BOB_LIMIT = soakScale(40, 600);
/** Writers per user. */
const WRITERS_EACH = soakScale(2, 3);
const CREDIT_CODES = ['INSUFFICIENT_CREDITS', 'USER_MONTHLY_LIMIT'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The user id the audit log records for an email (the ledger counts a month per user id). */
function actorIdOf(all: readonly RecordedEvent[], email: string): string {
  for (const e of all) {
    const actor = (e.data as { body?: { actor?: { email?: string; id: string } } }).body?.actor;
    if (e.streamName === 'audit-log' && actor?.email === email) return actor.id;
  }
  throw new Error(`no audit entry by ${email}`);
}

describe('two csmcp instances on one PostgreSQL schema behind round robin, one SIGKILLed mid-load', () => {
  let store: SoakStore;
  let book: SoakBook;
  let probe: StoreProbe;
  let rebuild: RebuildComparison;
  let a: BuiltServer | null = null;
  let b: BuiltServer | null = null;
  let proxy: RoundRobinProxy | null = null;
  const journal: WriteRecord[] = [];

  beforeAll(async () => {
    store = soakPostgresStore('two_inst_soak');
    book = await seedSoakBook(store, 10);
    await store.cli(['credits', 'grant', '--amount', String(BALANCE), '--reason', 'two-instance soak']);
    await store.cli(['credits', 'limit', '--user', book.bob.email, '--monthly', String(BOB_LIMIT), '--reason', 'two-instance soak']);
    probe = openProbe(store);
    rebuild = rebuildComparison(store);
  }, 300_000);

  afterAll(async () => {
    await Promise.allSettled([a?.kill('SIGKILL'), b?.kill('SIGKILL'), proxy?.close()]);
    await probe?.close();
    await rebuild?.dispose();
    await store?.dispose();
  }, 120_000);

  it(
    'loses and doubles nothing, never overspends, keeps sessions on the survivor, and both instances agree',
    async () => {
      [a, b] = await Promise.all([startBuiltServer(store.env), startBuiltServer(store.env)]);
      await Promise.all([untilCaughtUp(a.url), untilCaughtUp(b.url)]);
      proxy = await startRoundRobin([a.url, b.url]);
      const mcp = `${proxy.url}/mcp`;

      // A session opened (through the balancer) before the kill, used again after it.
      const early = await connectWriter(mcp, book.ann.token);
      await early.client.listTools();
      const earlySession = early.transport.sessionId!;

      const annTargets: LoadTargets = { companies: book.annCompanies, ctas: [], plans: [] };
      const bobTargets: LoadTargets = { companies: book.bobCompanies, ctas: [], plans: [] };
      const tokenOf = (w: number) => (w < WRITERS_EACH ? book.ann.token : book.bob.token);
      const load = startLoad({
        writers: 2 * WRITERS_EACH,
        connect: (w) => connectWriter(mcp, tokenOf(w)),
        targets: (w) => (w < WRITERS_EACH ? annTargets : bobTargets),
        journal,
        round: 1,
        continueAfterUnknown: true,
        // Until the credits have surely run out for every writer.
        maxRefusals: 3,
      });

      // Kill A at a random moment once writes flow through both, well before the credits run out.
      const killAfter = 5 + Math.floor(Math.random() * (BOB_LIMIT / WRITE_PRICE / 2));
      while (load.acked() < killAfter && !load.finished() && journal.filter((r) => r.state === 'refused').length === 0) await sleep(20);
      const servedByABeforeKill = proxy.served.get(a.url)!;
      const end = await a.kill('SIGKILL');
      expect(end.signal).toBe('SIGKILL');
      const ackedAtKill = load.acked();
      // The load goes on through the balancer, now all on B, until every writer's credits have run out.
      const deadline = Date.now() + soakScale(300_000, 1_800_000);
      while (!load.finished() && Date.now() < deadline) await sleep(100);
      expect(load.finished()).toBe(true);
      await load.stop();

      // The session opened before the kill works on the survivor, through the balancer and on B directly.
      const balance = (await early.client.callTool({ name: 'get_credit_balance', arguments: {} })) as CallToolResult;
      expect(balance.isError).not.toBe(true);
      expect(early.transport.sessionId).toBe(earlySession);
      const onB = await connectWriter(`${b.url}/mcp`, book.ann.token, earlySession);
      expect((await onB.client.callTool({ name: 'get_credit_balance', arguments: {} })).isError).not.toBe(true);
      await Promise.all([early.close(), onB.close()]);

      // Writes cut off by the kill: all there or not at all; their retry (now on B) replays exactly those that landed.
      const inFlight = journal.filter((r) => r.state === 'unknown');
      const before = await probe.allEvents();
      for (const r of inFlight) r.landedBeforeRetry = landed(before, r.key);
      const annRetry = await connectWriter(mcp, book.ann.token);
      const bobRetry = await connectWriter(mcp, book.bob.token);
      for (const r of inFlight) {
        await sendWrite(r.writer! < WRITERS_EACH ? annRetry : bobRetry, r);
        if (r.landedBeforeRetry) expect([r.key, r.state, r.result?.replayed]).toEqual([r.key, 'acked', true]);
        // One that had not landed runs now, or is refused for credits: never written twice.
        else if (r.state === 'acked') expect([r.key, r.result!.replayed]).toEqual([r.key, false]);
        else expect([r.key, r.state, CREDIT_CODES.some((c) => r.error!.startsWith(c))]).toEqual([r.key, 'refused', true]);
      }
      await Promise.all([annRetry.close(), bobRetry.close()]);

      // Refused writes were refused for credits only, and wrote nothing (checkWrites).
      const refused = journal.filter((r) => r.state === 'refused');
      expect(refused.filter((r) => !CREDIT_CODES.some((c) => r.error!.startsWith(c))).map((r) => `${r.tool}: ${r.error}`)).toEqual([]);
      const all = await probe.allEvents();
      const check = checkWrites(all, journal);
      expect(check.problems).toEqual([]);
      const ledger = ledgerOverspends(all);
      expect(ledger.problems).toEqual([]);
      // Both limits reached: the balance cannot pay for one more write, nor bob's month.
      expect(ledger.ledger.balance).toBeGreaterThanOrEqual(0);
      expect(ledger.ledger.balance).toBeLessThan(WRITE_PRICE);
      const bobId = actorIdOf(all, book.bob.email);
      const bobUsed = [...ledger.ledger.userMonth].filter(([k]) => k.endsWith(`|${bobId}`)).reduce((s, [, v]) => s + v, 0);
      expect(bobUsed).toBeLessThanOrEqual(BOB_LIMIT);
      expect(bobUsed).toBeGreaterThan(BOB_LIMIT - WRITE_PRICE);
      expect(refused.some((r) => r.error!.startsWith('USER_MONTHLY_LIMIT'))).toBe(true);
      expect(refused.some((r) => r.error!.startsWith('INSUFFICIENT_CREDITS'))).toBe(true);

      // A back: both instances caught up, the read models as a rebuild gives them, the chain intact.
      a = await startBuiltServer(store.env);
      await Promise.all([untilCaughtUp(a.url), untilCaughtUp(b.url)]);
      expect(await rebuild.compare(probe)).toEqual([]);
      const audit = await verifyAudit(probe);
      expect(audit.broken).toBeNull();

      // Reads cost credits and there are none left: an admin tops up, then both instances answer alike.
      await store.cli(['credits', 'grant', '--amount', '10000', '--reason', 'reads after the soak']);
      const [readA, readB] = await Promise.all([connectWriter(`${a.url}/mcp`, book.ann.token), connectWriter(`${b.url}/mcp`, book.ann.token)]);
      try {
        for (const company of book.annCompanies)
          for (const [tool, args] of [
            ['list_ctas', { company_id: company, limit: 100 }],
            ['list_success_plans', { company_id: company, limit: 100 }],
            ['list_timeline_activities', { company_id: company, limit: 100 }],
          ] as const) {
            const [x, y] = (await Promise.all([readA.client.callTool({ name: tool, arguments: args }), readB.client.callTool({ name: tool, arguments: args })])) as CallToolResult[];
            expect(x.isError).not.toBe(true);
            expect([tool, company, x.structuredContent]).toEqual([tool, company, y.structuredContent]);
          }
      } finally {
        await Promise.all([readA.close(), readB.close()]);
      }

      const acked = journal.filter((r) => r.state === 'acked');
      const summary = {
        instances: 2,
        killed: 1,
        writesSent: journal.length,
        writesAcknowledged: acked.length,
        acknowledgedBeforeKill: ackedAtKill,
        inFlightAtKill: inFlight.length,
        inFlightThatHadLanded: inFlight.filter((r) => r.landedBeforeRetry).length,
        refusedForCredits: refused.length,
        requestsServedByA: servedByABeforeKill,
        requestsServedByB: proxy.served.get(b.url),
        balanceLeft: ledger.ledger.balance,
        bobUsedOfLimit: `${bobUsed}/${BOB_LIMIT}`,
        lost: 0,
        duplicated: 0,
        overspent: 0,
      };
      console.log(`two-instances soak ${JSON.stringify(summary)}`);
    },
    soakTimeout(600_000, 3_600_000),
  );
});
