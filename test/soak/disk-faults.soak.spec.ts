/**
 * Disk full and a read-only data dir under the embedded store (issue 9, Faults). The server's data
 * dir is a small tmpfs in a mount namespace of its own (see support/fault-disk.ts for why: root
 * ignores chmod); the test fills it to the last byte, then remounts it read-only, each time under a
 * load of MCP reads and writes. Writes must be refused with a clear error (never a hang, a crash or
 * an INTERNAL error), and once the fault is lifted everything must work again without a restart:
 * the refused writes succeed when retried with their idempotency key. At the end, on the stopped
 * store: `csmcp audit verify` passes, every SQLite file passes PRAGMA integrity_check, and every
 * acknowledged write is in the event log exactly once.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectStreamable, type ConnectedClient } from '../support/mcp-clients';
import { sqliteStore, untilCaughtUp } from '../support/mcp-stack';
import { seedFaultBook, type FaultPerson } from './support/fault-seed';
import { diskFaultsSupported, startDiskFaultServer, type DiskFaultServer } from './support/fault-disk';
import { FaultLoad, HANG_MS, sleep, summarize, type CallRecord } from './support/fault-load';
import { soakScale, soakTimeout } from './support/soak-mode';

const FAULT_MS = soakScale(3_000, 10_000);
const LOAD_MS = soakScale(1_500, 5_000);
const RECOVERY_MS = 60_000;
/**
 * Room on the tmpfs beyond the seeded data, for the filler and for what the server grows into: three
 * WAL files of about 4 MiB each (events, read models, and the MCP state store, which keeps every SSE
 * message for resumption), and the database files their checkpoints grow. 16 MiB left under 1 MiB
 * free once the filler was gone, and the disk was full again after the fault was lifted.
 */
const HEADROOM_MB = 64;

const support = diskFaultsSupported();
if ('reason' in support) console.warn(`disk-faults soak skipped: ${support.reason}`);
const describeIfMountable = 'args' in support ? describe : describe.skip;


describeIfMountable('disk full and a read-only data dir under the embedded store', () => {
  const store = sqliteStore();
  let server: DiskFaultServer;
  let starting: Promise<DiskFaultServer> | undefined;
  let people: FaultPerson[];
  const connected: ConnectedClient[] = [];
  let load: FaultLoad;
  const figures: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    people = await seedFaultBook(store);
    const dataDir = store.env.DATA_DIR!;
    const usedMb = Math.ceil(readdirSync(dataDir).reduce((n, f) => n + statSync(join(dataDir, f)).size, 0) / 1024 / 1024);
    starting = startDiskFaultServer((support as { args: string[] }).args, dataDir, usedMb + HEADROOM_MB, store.env);
    server = await starting;
    await untilCaughtUp(server.url, 90_000);
    for (const person of people) connected.push(await connectStreamable(`${server.url}/mcp`, person.token));
    load = new FaultLoad(people.map((p, i) => ({ client: connected[i].client, companies: p.companies })));
  }, 400_000);

  afterAll(async () => {
    try {
      if (figures.length > 0) console.log(`disk-faults figures:\n${JSON.stringify(figures, null, 2)}`);
      await Promise.allSettled(connected.map((c) => c.close()));
      // Also a server still starting when beforeAll gave up: it must not outlive the test.
      await (await starting?.catch(() => undefined))?.stop();
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

  it('disk full: writes are refused clearly, nothing hangs or crashes, and writes work again once space is back', async () => {
      const fault = 'disk full';
      const before = load.calls.length;
      load.start(`before ${fault}`);
      await sleep(LOAD_MS);
      await load.stop();
      expect(load.since(before).filter((c) => c.outcome !== 'ok')).toEqual([]);

      const writesFrom = load.writes.length;
      const from = load.calls.length;
      const filled = server.fill();
      load.start(`during ${fault}`);
      await sleep(FAULT_MS);
      await load.stop();
      const during = load.since(from);
      const readyzDuring = await readyz();
      // Readiness shows the full disk (and comes back by itself below, once space is freed).
      expect(readyzDuring).toBe(503);
      const byTool = (records: CallRecord[], write: boolean) => summarize(records.filter((c) => (c.tool === 'create_cta') === write));
      const writesDuring = byTool(during, true);
      const readsDuring = byTool(during, false);
      expect(during.filter((c) => c.outcome === 'other')).toEqual([]);
      expect(writesDuring.unavailable).toBeGreaterThan(0);
      // The refusal names the cause the database gave (SQLITE_FULL), so the caller can tell an operator.
      const refusedWrite = during.find((c) => c.tool === 'create_cta' && c.outcome === 'unavailable');
      expect(refusedWrite?.detail).toContain('its disk is full');
      expect(during.every((c) => c.ms < HANG_MS)).toBe(true);
      expect(server.child.exitCode).toBeNull();

      server.unfill();
      const liftedAt = Date.now();
      while ((await readyz()) !== 200) {
        if (Date.now() - liftedAt > RECOVERY_MS) throw new Error(`not ready ${RECOVERY_MS} ms after the fault was lifted`);
        await sleep(100);
      }

      const after = load.calls.length;
      load.start(`after ${fault}`);
      await sleep(LOAD_MS);
      await load.stop();
      expect(load.since(after).filter((c) => c.outcome !== 'ok')).toEqual([]);

      const refused = load.writes.slice(writesFrom).filter((w) => w.outcome !== 'ok');
      for (const w of refused) {
        const { record } = await load.call(ownerOf(w.companyId), 'create_cta', { company_id: w.companyId, name: w.name, type: 'Risk', idempotency_key: w.idempotencyKey });
        expect(record).toMatchObject({ outcome: 'ok' });
      }
      const firstRefusal = (write: boolean) => during.find((c) => (c.tool === 'create_cta') === write && c.outcome !== 'ok')?.detail;
      figures.push({
        fault,
        faultMs: FAULT_MS,
        fillerBytes: filled,
        writesDuring,
        readsDuring,
        readyzDuring,
        retriedWrites: refused.length,
        writeRefusal: firstRefusal(true),
        readRefusal: firstRefusal(false),
      });
  }, soakTimeout(240_000, 600_000));

  it('read-only data dir: the server refuses to start, says why, and changes nothing', async () => {
    await untilCaughtUp(server.url, RECOVERY_MS);
    await Promise.allSettled(connected.splice(0).map((c) => c.close()));
    expect(await server.stop()).toBe(0);
    const dataDir = store.env.DATA_DIR!;
    const before = Object.fromEntries(readdirSync(dataDir).map((f) => [f, statSync(join(dataDir, f)).mtimeMs]));
    const usedMb = Math.ceil(readdirSync(dataDir).reduce((n, f) => n + statSync(join(dataDir, f)).size, 0) / 1024 / 1024);
    const started = startDiskFaultServer((support as { args: string[] }).args, dataDir, usedMb + HEADROOM_MB, store.env, { readOnly: true });
    const refusal = (await started.then(
      (s) => s.stop().then(() => new Error(`it started on a read-only data dir: ${s.url}`)),
      (error: Error) => error,
    )) as Error;
    expect(refusal.message).toMatch(/exited with [1-9]\d* before listening/);
    // The cause named: the database file it cannot open, and that the store is unavailable.
    expect(refusal.message).toMatch(/temporarily unavailable/i);
    expect(refusal.message).toMatch(/SQLITE_(CANTOPEN|READONLY)/);
    expect(refusal.message).toMatch(/is read-only \(EROFS/);
    expect(refusal.message).toMatch(/Make the data directory writable/);
    // One line that says it, not Nest's exception handler with a stack trace.
    expect(refusal.message).not.toMatch(/\n\s+at |ExceptionHandler/);
    figures.push({ readOnlyStartRefusal: /Event store temporarily unavailable[^\n]*/.exec(refusal.message)?.[0] });
    expect(Object.fromEntries(readdirSync(dataDir).map((f) => [f, statSync(join(dataDir, f)).mtimeMs]))).toEqual(before);
  }, 180_000);

  it('leaves nothing corrupted: audit verify passes, every SQLite file is intact, every acknowledged write is there once', async () => {
    const dataDir = store.env.DATA_DIR!;

    await store.cli(['audit', 'verify']);
    const files = readdirSync(dataDir).filter((f) => f.endsWith('.db'));
    expect(files).toContain('events.db');
    for (const file of files) {
      const db = new Database(join(dataDir, file), { readonly: true, fileMustExist: true });
      try {
        expect({ file, integrity: db.pragma('integrity_check', { simple: true }) }).toEqual({ file, integrity: 'ok' });
      } finally {
        db.close();
      }
    }
    // Acknowledged: ok the first time, or ok when retried with the same key (the retries are in load.calls too).
    const acknowledged = load.writes.map((w) => w.name);
    const notOnce: string[] = [];
    for (const name of acknowledged) if ((await store.events.count('CtaCreated', 'name', name)) !== 1) notOnce.push(name);
    expect(notOnce).toEqual([]);
    figures.push({ acknowledgedWrites: acknowledged.length, lost: notOnce.length });
  }, 180_000);
});
