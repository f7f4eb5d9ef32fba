/**
 * PostgreSQL unreachable under load (issue 9, Faults: database down). csmcp serve reaches the
 * database through a TCP proxy the test cuts, so the machine's real server keeps running for
 * everyone else: first refused connections (the database process gone), then a blackhole where
 * packets vanish (the case that hangs a client without timeouts). While it is cut, SDK clients keep
 * reading and writing: every call must end within bounds with ok or a clear "temporarily
 * unavailable", the process must stay up and /readyz must say 503. When the proxy lets traffic
 * through again, everything must recover by itself: readiness green, reads and writes succeed, the
 * writes that failed succeed when retried with their idempotency key, and every acknowledged write
 * is in the store exactly once and visible through the projections.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startServerProcess, type ServerProcess } from '../support/cli';
import { connectStreamable, rawPost, toolCallMessage, type ConnectedClient } from '../support/mcp-clients';
import { DATABASE_URL, postgresStore, untilCaughtUp } from '../support/mcp-stack';
import { seedFaultBook, type FaultPerson } from './support/fault-seed';
import { FaultLoad, HANG_MS, sleep, summarize, type WriteAttempt } from './support/fault-load';
import { soakScale, soakTimeout } from './support/soak-mode';
import { startTcpProxy, type CutMode, type TcpProxy } from './support/tcp-proxy';

const DOWN_MS = soakScale(4_000, 10_000);
const LOAD_MS = soakScale(1_500, 5_000);
/** Long enough for a busy machine: this is a bound on "recovers by itself", not a speed test. */
const RECOVERY_MS = 60_000;

interface Figures {
  mode: CutMode;
  downMs: number;
  underFault: ReturnType<typeof summarize>;
  readyzDuringFault: number[];
  recoveredInMs: number;
  retriedWrites: number;
  acknowledgedWrites: number;
  lost: number;
}

describe('PostgreSQL unreachable under load (TCP proxy cut between csmcp and the database)', () => {
  const store = postgresStore('fault_dbdown');
  let proxy: TcpProxy;
  let server: ServerProcess;
  let starting: Promise<ServerProcess> | undefined;
  let people: FaultPerson[];
  const connected: ConnectedClient[] = [];
  let load: FaultLoad;
  const figures: Figures[] = [];

  beforeAll(async () => {
    people = await seedFaultBook(store);
    const target = new URL(DATABASE_URL);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    starting = startServerProcess({ ...store.env, DATABASE_URL: proxy.url(DATABASE_URL) }, 90_000);
    server = await starting;
    await untilCaughtUp(server.url, 90_000);
    for (const person of people) connected.push(await connectStreamable(`${server.url}/mcp`, person.token));
    load = new FaultLoad(people.map((p, i) => ({ client: connected[i].client, companies: p.companies })));
  }, 400_000);

  afterAll(async () => {
    try {
      if (figures.length > 0) console.log(`db-down figures:\n${JSON.stringify(figures, null, 2)}`);
      await Promise.allSettled(connected.map((c) => c.close()));
      // Also a server still starting when beforeAll gave up: it must not outlive the test.
      await (await starting?.catch(() => undefined))?.stop();
      // The server's log, for a failure to be looked into (it says which error became which answer).
      if (server) writeFileSync(join(tmpdir(), 'csmcp-db-down-server.log'), server.logs());
      await proxy?.close();
    } finally {
      await store.dispose();
    }
  }, 150_000);

  const readyz = async (): Promise<number> => {
    const response = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(HANG_MS) });
    await response.text();
    return response.status;
  };
  const ownerOf = (companyId: string): Client => connected[people.findIndex((p) => p.companies.includes(companyId))].client;
  const healthz = async (): Promise<number> => (await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(HANG_MS) })).status;

  it.each<CutMode>(['refuse', 'blackhole'])(
    '%s: calls fail fast as temporarily unavailable, readiness goes red, and everything recovers by itself',
    async (mode) => {
      // Before: all well.
      const before = load.calls.length;
      load.start(`before ${mode}`);
      await sleep(LOAD_MS);
      await load.stop();
      expect(summarize(load.since(before))).toMatchObject({ other: 0, unavailable: 0 });
      const writesBefore = load.writes.length;

      // Cut, under load; readiness polled meanwhile.
      const fromFault = load.calls.length;
      await proxy.cut(mode);
      load.start(`during ${mode}`);
      const readyzStatuses: number[] = [];
      const livenessStatuses: number[] = [];
      const rawAnswers: Array<{ status: number; retryAfter: string | null; body: string }> = [];
      const downUntil = Date.now() + DOWN_MS;
      while (Date.now() < downUntil) {
        readyzStatuses.push(await readyz());
        livenessStatuses.push(await healthz());
        // What a plain HTTP client sees: 503 with Retry-After, or the tool's own UNAVAILABLE error.
        const raw = await rawPost(`${server.url}/mcp`, people[0].token, toolCallMessage('get_company', { company_id: people[0].companies[0] }), {}, AbortSignal.timeout(HANG_MS));
        rawAnswers.push({ status: raw.status, retryAfter: raw.headers.get('retry-after'), body: await raw.text() });
        await sleep(250);
      }
      // Traffic back, then the calls in flight are allowed to end (they are bounded by HANG_MS).
      await proxy.restore();
      await load.stop();
      const underFault = summarize(load.since(fromFault));
      const odd = load.since(fromFault).filter((c) => c.outcome === 'other');
      expect(odd).toEqual([]);
      expect(underFault.unavailable).toBeGreaterThan(0);
      expect(underFault.maxMs).toBeLessThan(HANG_MS);
      expect(readyzStatuses).toContain(503);
      const refusedOverHttp = rawAnswers.filter((a) => a.status === 503);
      expect(refusedOverHttp.length).toBeGreaterThan(0);
      for (const answer of refusedOverHttp) {
        expect(answer.retryAfter).toMatch(/^\d+$/);
        expect(answer.body).toMatch(/temporarily[ _]unavailable/i);
      }
      // Any other answer is the tool's own UNAVAILABLE error (HTTP 200): the caller's token was still in
      // the verifier's 1 s cache, so the request got as far as the tool's read.
      const toolRefusal = (a: { status: number; body: string }) => {
        try {
          return a.status === 200 && (JSON.parse(a.body) as { result?: { _meta?: { 'csmcp/error'?: { code?: string } } } }).result?._meta?.['csmcp/error']?.code === 'UNAVAILABLE';
        } catch {
          return false;
        }
      };
      expect(rawAnswers.filter((a) => a.status !== 503 && a.status !== 400 && !toolRefusal(a))).toEqual([]);
      expect(livenessStatuses.every((s) => s === 200)).toBe(true);
      expect(server.child.exitCode).toBeNull();

      // Recovery, by itself: readiness green within a bound.
      const restoredAt = Date.now();
      while ((await readyz()) !== 200) {
        if (Date.now() - restoredAt > RECOVERY_MS) throw new Error(`not ready ${RECOVERY_MS} ms after the database came back`);
        await sleep(100);
      }
      const recoveredInMs = Date.now() - restoredAt;

      // After: reads and writes succeed again.
      const after = load.calls.length;
      load.start(`after ${mode}`);
      await sleep(LOAD_MS);
      await load.stop();
      const afterFault = load.since(after);
      expect(afterFault.filter((c) => c.outcome !== 'ok')).toEqual([]);
      expect(afterFault.length).toBeGreaterThan(0);

      // The writes refused during the fault, retried with the same idempotency key, succeed.
      const failed = load.writes.slice(writesBefore).filter((w) => w.outcome !== 'ok');
      for (const w of failed) {
        const { record } = await load.call(ownerOf(w.companyId), 'create_cta', { company_id: w.companyId, name: w.name, type: 'Risk', idempotency_key: w.idempotencyKey });
        expect(record).toMatchObject({ outcome: 'ok' });
      }

      // Nothing acknowledged is lost or doubled, and the projections show every write.
      await untilCaughtUp(server.url, RECOVERY_MS);
      const acknowledged: WriteAttempt[] = [...load.writes.filter((w) => w.outcome === 'ok'), ...failed];
      let lost = 0;
      for (const w of acknowledged) {
        const n = await store.events.count('CtaCreated', 'name', w.name);
        if (n !== 1) lost++;
        expect({ name: w.name, events: n }).toEqual({ name: w.name, events: 1 });
      }
      const visible = new Set<string>();
      // Every page: both modes' writes together pass 100 CTAs on a company.
      for (const companyId of people.flatMap((p) => p.companies)) for (const name of await load.ctaNames(ownerOf(companyId), companyId)) visible.add(name);
      expect(acknowledged.filter((w) => !visible.has(w.name)).map((w) => w.name)).toEqual([]);

      figures.push({
        mode,
        downMs: DOWN_MS,
        underFault,
        readyzDuringFault: readyzStatuses,
        recoveredInMs,
        retriedWrites: failed.length,
        acknowledgedWrites: acknowledged.length,
        lost,
      });
    },
    soakTimeout(300_000, 600_000),
  );
});
