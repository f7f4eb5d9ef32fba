import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { formatPosition, type EventStore, type Position, type Subscription } from '@csmcp/event-store';
import type { ReadModelDatabase, SqlExecutor } from '@csmcp/projections';
import { AppModule } from '../src/app.module';
import { loadConfig, type AppConfig } from '../src/config/config';
import { CreateCtaCommand } from '../src/customer-success/ctas/commands/create-cta/create-cta.command';
import { UpdateCtaCommand } from '../src/customer-success/ctas/commands/update-cta/update-cta.command';
import { READ_SIDE_PROJECTIONS } from '../src/customer-success/queries/shared/read-model-reader';
import { CreateTimelineActivityCommand } from '../src/customer-success/timeline/commands/create-timeline-activity/create-timeline-activity.command';
import type { WriteContext, WriteResult } from '../src/customer-success/write/write-context';
import { ProjectionHost } from '../src/infrastructure/infrastructure.module';
import { EVENT_STORE, READ_MODEL_DB } from '../src/infrastructure/tokens';
import { forEachConcurrently, latencyOf, type Latency } from './latency';

/**
 * Projection lag, from an acknowledged MCP write to the moment a read can see it: the whole
 * application (command bus, write policy, deciders, store, projection runner with every projection)
 * on a fresh store, `writers` concurrent writers each issuing create_cta / update_cta /
 * create_timeline_activity commands back to back for a bounded time. For every acknowledged write:
 * the time until `runner.waitForPosition(position)` resolves for the read-side projections (what a
 * query given that position waits for), then until the written row is read back with a SELECT.
 * Writers do not wait for visibility: the load does not slow down when the projection falls behind.
 *
 * Floor: a bare `subscribeToAll` on the same store under the same load, before the projection runner
 * starts, recording when each event reaches its handler: the store's own delivery latency, which no
 * projection can beat. It keeps watching during the projected phase (`floorWhileProjecting`).
 */

export interface LagBudget {
  readonly writers: number;
  /** Each phase starts with untimed load (JIT, statement caches, connections), then is timed. */
  readonly warmupMs: number;
  /** Timed load with the projections running. */
  readonly loadMs: number;
  /** Timed load before the projections start: the floor. */
  readonly floorMs: number;
  /** Companies the writers write about (each writer its own). */
  readonly companies: number;
}

export interface LagResult {
  readonly store: string;
  readonly details: Record<string, string>;
  readonly writers: number;
  /** The timed window, from its start to the last acknowledgement in it. */
  readonly seconds: number;
  readonly writes: Record<WriteKind, number>;
  readonly writesPerSecond: number;
  /** Command sent to command acknowledged. */
  readonly ack: Latency;
  /** Acknowledged to waitForPosition resolved: the figure the target is about. */
  readonly lag: Latency;
  /** Median lag of the writes acknowledged in each quarter of the timed window: growing = the projections fall behind. */
  readonly lagP50ByQuarter: number[];
  /** Acknowledged to the row read back by a SELECT on the read-model database. */
  readonly readBack: Latency;
  /** The floor: acknowledged to a bare subscription receiving the event (0 when it got there first), projections not running. */
  readonly floor: Latency;
  readonly floorWritesPerSecond: number;
  /** The same bare subscription during the projected phase: what the running projections do to the store's delivery. */
  readonly floorWhileProjecting: Latency;
  /** floor p99 / lag p99, and of p50: 1.00 is the store's own delivery latency. */
  readonly ratioP50: number;
  readonly ratioP99: number;
  /** Writes whose row was not (or not yet as written) in the read model once waitForPosition resolved. */
  readonly notVisible: number;
  /** waitForPosition timed out (10 s). */
  readonly timeouts: number;
  readonly warnings: string[];
  readonly error?: string;
}

type WriteKind = 'create_cta' | 'update_cta' | 'create_timeline_activity';
/** The mix: 40 % create_cta, 30 % update_cta, 30 % create_timeline_activity. */
const MIX: readonly WriteKind[] = [
  'create_cta', 'create_timeline_activity', 'update_cta', 'create_cta', 'create_timeline_activity',
  'update_cta', 'create_cta', 'create_timeline_activity', 'update_cta', 'create_cta',
];
const CTA_TYPES = ['Risk', 'Expansion', 'Renewal', 'Lifecycle', 'Activity'] as const;
const PRIORITIES = ['Low', 'Medium', 'High', 'Urgent'] as const;

interface App {
  readonly app: INestApplicationContext;
  readonly store: EventStore;
  readonly commands: CommandBus;
  readonly host: ProjectionHost;
  readonly db: ReadModelDatabase;
  close(): Promise<void>;
}

/** The application as `csmcp serve` builds it (minus HTTP), on a fresh SQLite directory or PostgreSQL schema. */
export async function bootApp(kind: 'sqlite' | 'postgres', databaseUrl: string, dropSchema: (schema: string) => Promise<void>): Promise<App & { where: string }> {
  let config: AppConfig;
  let cleanup: () => Promise<void>;
  let where: string;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'csmcp-bench-lag-'));
    config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent' });
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
    where = `events and read models in ${dir}`;
  } else {
    const schema = `bench_${randomBytes(6).toString('hex')}_lag`;
    config = loadConfig({ DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema, LOG_LEVEL: 'silent' });
    cleanup = () => dropSchema(schema);
    where = `events and read models in schema ${schema} (dropped afterwards)`;
  }
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, { server: false }), { logger: false, abortOnError: false });
  return {
    app,
    where,
    store: app.get<EventStore>(EVENT_STORE),
    commands: app.get(CommandBus),
    host: app.get(ProjectionHost),
    db: app.get<ReadModelDatabase>(READ_MODEL_DB),
    async close() {
      try {
        await app.close();
      } finally {
        await cleanup();
      }
    },
  };
}

const writerUser = (w: number) => `u-bench-writer-${w}`;
const writerCompany = (w: number, k: number) => `co-bench-w${w}-${k}`;

/** Users and companies the way an import writes them; each writer owns `companies / writers` companies. */
async function givenBook(store: EventStore, writers: number, companies: number): Promise<void> {
  const at = '2026-01-01T00:00:00.000Z';
  const metadata = { actor: { type: 'system' as const, id: 'csmcp-bench' }, accessContext: 'admin', toolName: 'bench' };
  const appends: Array<() => Promise<unknown>> = [];
  for (let w = 0; w < writers; w++) {
    const userId = writerUser(w);
    appends.push(() =>
      store.appendToStream(
        `user-${userId}`,
        [{ type: 'UserRegistered', data: { userId, email: `${userId}@example.com`, name: `Writer ${w}`, role: 'csm', registeredAt: at } }],
        { expectedRevision: 'no_stream', metadata },
      ),
    );
    for (let k = 0; k < Math.ceil(companies / writers); k++) {
      const companyId = writerCompany(w, k);
      appends.push(() =>
        store.appendToStream(
          `company-${companyId}`,
          [
            {
              type: 'CompanyImported',
              data: {
                companyId, name: `Bench company ${w}-${k}`, externalId: null, industry: 'Software', segment: 'MidMarket', lifecycleStage: 'Adoption',
                region: 'EMEA', employees: 250, arr: 48_000 + k * 100, renewalDate: '2027-06-30', ownerId: userId, importedAt: at,
              },
            },
          ],
          { expectedRevision: 'no_stream', metadata },
        ),
      );
    }
  }
  await forEachConcurrently(appends, 32, async (append) => {
    await append();
  });
}

interface Sample {
  readonly kind: WriteKind;
  readonly timed: boolean;
  readonly sentAt: number;
  readonly ackedAt: number;
  readonly position: Position;
  visibleAt?: number;
  readBackAt?: number;
}

type Log = (line: string) => void;
type Check = (db: SqlExecutor) => Promise<boolean>;

/**
 * `writers` loops issuing the write mix back to back for `warmupMs + loadMs`; `onAck` sees every
 * acknowledged write with a check that its row is in the read model. Writes sent during the warm-up,
 * or acknowledged after the end, are not timed.
 */
async function writeLoad(
  commands: CommandBus,
  budget: LagBudget,
  writers: WriterState[],
  loadMs: number,
  onAck: (sample: Sample, check: Check) => void,
): Promise<{ timedFrom: number; samples: Sample[] }> {
  const samples: Sample[] = [];
  const timedFrom = performance.now() + budget.warmupMs;
  const deadline = timedFrom + loadMs;
  const companiesPerWriter = Math.ceil(budget.companies / budget.writers);
  const writer = async (state: WriterState) => {
    const { w, ctas } = state;
    const userId = writerUser(w);
    while (performance.now() < deadline) {
      const i = state.next++;
      let kind = MIX[i % MIX.length];
      if (kind === 'update_cta' && ctas.length === 0) kind = 'create_cta';
      const now = new Date();
      const context: WriteContext = {
        caller: { userId, email: `${userId}@example.com`, role: 'csm', accessContext: 'shared', integrationId: 'bench', integrationName: 'Bench', visibleOwnerIds: null },
        request: { toolName: kind, mcpSessionId: `bench-${w}`, mcpRequestId: i, correlationId: randomUUID(), sourceIp: '127.0.0.1', idempotencyKey: null },
        now,
      };
      const companyId = writerCompany(w, i % companiesPerWriter);
      const sentAt = performance.now();
      let written: WriteResult;
      let check: (db: SqlExecutor, id: string) => Promise<boolean>;
      if (kind === 'create_cta') {
        written = await commands.execute(
          new CreateCtaCommand(
            { company_id: companyId, name: `Follow up ${w}-${i}`, type: CTA_TYPES[i % CTA_TYPES.length], priority: 'Medium', due_date: '2026-12-15', reason: 'Usage dropped 30% this month' },
            context,
          ),
        );
        ctas.push({ id: written.entityId, priority: 'Medium' });
        check = async (db, id) => (await db.get('SELECT cta_id FROM cs_ctas WHERE cta_id = ?', [id])) !== undefined;
      } else if (kind === 'update_cta') {
        const cta = ctas[i % ctas.length];
        const priority = PRIORITIES[(PRIORITIES.indexOf(cta.priority) + 1) % PRIORITIES.length];
        cta.priority = priority;
        written = await commands.execute(new UpdateCtaCommand({ cta_id: cta.id, priority, comments: `Escalated by writer ${w} (${i})` }, context));
        // This update or a later one of the same CTA: updated_at is at least this write's time.
        const at = now.toISOString();
        check = async (db, id) => ((await db.get<{ updated_at: string }>('SELECT updated_at FROM cs_ctas WHERE cta_id = ?', [id]))?.updated_at ?? '') >= at;
      } else {
        written = await commands.execute(
          new CreateTimelineActivityCommand(
            { company_id: companyId, type: 'Call', subject: `Check-in call ${w}-${i}`, notes: 'Talked through adoption and the renewal timeline.', participants: ['champion@example.com'] },
            context,
          ),
        );
        check = async (db, id) => (await db.get('SELECT activity_id FROM cs_timeline_activities WHERE activity_id = ?', [id])) !== undefined;
      }
      const ackedAt = performance.now();
      const sample: Sample = { kind, timed: sentAt >= timedFrom && ackedAt <= deadline, sentAt, ackedAt, position: written.position };
      samples.push(sample);
      const id = written.entityId;
      onAck(sample, (db) => check(db, id));
    }
  };
  await Promise.all(writers.map(writer));
  return { timedFrom, samples };
}

interface WriterState {
  readonly w: number;
  next: number;
  /** The CTAs it created, with their current priority (an update always changes it). */
  readonly ctas: Array<{ id: string; priority: (typeof PRIORITIES)[number] }>;
}

/**
 * Two phases under the same write load, both watched by a bare subscription:
 * 1. the floor: projection runner not started yet, so the subscription alone reads the log;
 * 2. the runner started (and caught up): every acknowledged write waited for, then read back.
 */
export async function measureProjectionLag(
  store: string,
  details: Record<string, string>,
  boot: () => Promise<App & { where: string }>,
  budget: LagBudget,
  log: Log,
): Promise<LagResult> {
  const say = (line: string) => log(`  ${store} · projection lag · ${line}`);
  const empty = latencyOf([]);
  const result: LagResult = {
    store, details, writers: budget.writers, seconds: 0, writes: { create_cta: 0, update_cta: 0, create_timeline_activity: 0 },
    writesPerSecond: 0, ack: empty, lag: empty, lagP50ByQuarter: [], readBack: empty, floor: empty, floorWhileProjecting: empty, floorWritesPerSecond: 0,
    ratioP50: NaN, ratioP99: NaN, notVisible: 0, timeouts: 0, warnings: [],
  };
  let app: (App & { where: string }) | null = null;
  let subscription: Subscription | null = null;
  try {
    app = await boot();
    const { host, db, commands } = app;
    details = { ...details, app: `AppModule (projections: ${host.runner.status().map((s) => s.name).join(', ')}); ${app.where}` };
    await givenBook(app.store, budget.writers, budget.companies);

    // When each event reaches a bare subscriber, from the book on.
    const delivered = new Map<string, number>();
    let subscriptionError: unknown = null;
    subscription = app.store.subscribeToAll({
      after: await app.store.headPosition(),
      handler: (events) => {
        const now = performance.now();
        for (const event of events) delivered.set(formatPosition(event.position), now);
      },
      onError: (error) => {
        subscriptionError = error;
      },
    });
    const deliveryAfterAck = (samples: readonly Sample[]) => {
      const lags: number[] = [];
      let undelivered = 0;
      for (const s of samples) {
        const at = delivered.get(formatPosition(s.position));
        if (at === undefined) undelivered++;
        // The subscriber can be handed the event before the writer's await resumes: no lag at all.
        else lags.push(Math.max(0, at - s.ackedAt));
      }
      if (undelivered > 0) result.warnings.push(`${undelivered} acknowledged writes never reached the bare subscription`);
      return latencyOf(lags);
    };
    const writers: WriterState[] = Array.from({ length: budget.writers }, (_, w) => ({ w, next: 0, ctas: [] }));

    // 1. The floor: the store delivering to a bare subscriber, no projection running.
    const floorLoad = await writeLoad(commands, budget, writers, budget.floorMs, () => undefined);
    const floorTimed = floorLoad.samples.filter((s) => s.timed);
    await waitUntil(() => floorTimed.every((s) => delivered.has(formatPosition(s.position))), 10_000);
    const floor = deliveryAfterAck(floorTimed);
    const floorSeconds = (Math.max(...floorTimed.map((s) => s.ackedAt)) - floorLoad.timedFrom) / 1000;

    // 2. The projections: started, caught up with everything so far, then the same load again.
    await host.runner.start();
    const head = await app.store.headPosition();
    if (head) await host.runner.waitForPosition(head, { timeoutMs: 120_000 });
    let timeouts = 0;
    let notVisible = 0;
    const follows: Array<Promise<void>> = [];
    const follow = async (sample: Sample, check: Check) => {
      try {
        await host.runner.waitForPosition(sample.position, { projections: [...READ_SIDE_PROJECTIONS] });
      } catch {
        timeouts++;
        return;
      }
      sample.visibleAt = performance.now();
      const visible = await check(db);
      sample.readBackAt = performance.now();
      if (!visible) notVisible++;
    };
    const load = await writeLoad(commands, budget, writers, budget.loadMs, (sample, check) => follows.push(follow(sample, check)));
    await Promise.all(follows);
    await subscription.stop();
    subscription = null;
    if (subscriptionError) throw subscriptionError;

    const timed = load.samples.filter((s) => s.timed);
    const seconds = (Math.max(...timed.map((s) => s.ackedAt)) - load.timedFrom) / 1000;
    const writes = { create_cta: 0, update_cta: 0, create_timeline_activity: 0 };
    for (const s of timed) writes[s.kind]++;
    const visible = timed.filter((s) => s.visibleAt !== undefined);
    const lag = latencyOf(visible.map((s) => s.visibleAt! - s.ackedAt));
    const quarter = (s: Sample) => Math.min(3, Math.floor(((s.ackedAt - load.timedFrom) / (seconds * 1000)) * 4));
    const lagP50ByQuarter = [0, 1, 2, 3].map((q) => latencyOf(visible.filter((s) => quarter(s) === q).map((s) => s.visibleAt! - s.ackedAt)).p50);
    if (timeouts > 0) result.warnings.push(`${timeouts} waitForPosition calls timed out`);
    if (notVisible > 0) result.warnings.push(`${notVisible} writes were not in the read model once waitForPosition resolved`);
    const measured: LagResult = {
      ...result,
      details,
      seconds,
      writes,
      writesPerSecond: timed.length / seconds,
      ack: latencyOf(timed.map((s) => s.ackedAt - s.sentAt)),
      lag,
      lagP50ByQuarter,
      readBack: latencyOf(timed.filter((s) => s.readBackAt !== undefined).map((s) => s.readBackAt! - s.ackedAt)),
      floor,
      floorWhileProjecting: deliveryAfterAck(timed),
      floorWritesPerSecond: floorTimed.length / floorSeconds,
      ratioP50: floor.p50 / lag.p50,
      ratioP99: floor.p99 / lag.p99,
      notVisible,
      timeouts,
    };
    say(
      `floor phase: ${floorTimed.length} writes (${Math.round(measured.floorWritesPerSecond)}/s), bare subscription p50 ${floor.p50.toFixed(2)} / p99 ${floor.p99.toFixed(2)} ms; ` +
        `projected phase: ${timed.length} writes in ${seconds.toFixed(1)} s (${Math.round(measured.writesPerSecond)}/s), ` +
        `lag p50 ${lag.p50.toFixed(2)} / p99 ${lag.p99.toFixed(2)} ms (p50 by quarter: ${lagP50ByQuarter.map((q) => q.toFixed(1)).join(', ')}), bare subscription meanwhile p50 ${measured.floorWhileProjecting.p50.toFixed(2)} / p99 ${measured.floorWhileProjecting.p99.toFixed(2)} ms`,
    );
    return measured;
  } catch (error) {
    say(`failed: ${(error as Error).stack ?? String(error)}`);
    return { ...result, details, error: String((error as Error).message ?? error) };
  } finally {
    await subscription?.stop().catch(() => undefined);
    await app?.close().catch((error) => say(`cleanup failed: ${(error as Error).message}`));
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}
