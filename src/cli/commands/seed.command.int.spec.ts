import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore, RecordedEvent } from '@csmcp/event-store';
import { PostgresEventStore } from '@csmcp/event-store/postgres/postgres-event-store';
import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { DATABASE_URL, dropSchema, freshSchemaName } from '../../../libs/projections/test/support/postgres';
import { runCli } from '../../../test/support/cli';
import type { SeedSummary } from './seed/seed-demo';

/** `csmcp seed demo` through the real CLI (from the sources) on a temporary store. */

async function allEvents(store: EventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after: events.at(-1)?.position ?? null, maxCount: 10_000 });
    if (page.length === 0) return events;
    events.push(...page);
  }
}

const countBy = (events: RecordedEvent[], key: (e: RecordedEvent) => string) =>
  events.reduce<Record<string, number>>((n, e) => ({ ...n, [key(e)]: (n[key(e)] ?? 0) + 1 }), {});

describe('csmcp seed demo (SQLite)', () => {
  const dirs: string[] = [];
  const freshDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'csmcp-seed-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  const seed = (dir: string, ...args: string[]) => runCli(['seed', 'demo', '--companies', '20', '--as-of', '2025-06-01', '--json', ...args], { DATA_DIR: dir });
  const read = async (dir: string) => {
    const store = new SqliteEventStore({ filename: join(dir, 'events.db') });
    try {
      return await allEvents(store);
    } finally {
      await store.close();
    }
  };

  it('writes a book of business through the admin and MCP commands, the same for the same seed', async () => {
    const [a, b] = [freshDir(), freshDir()];
    const first = await seed(a);
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout) as SeedSummary;
    expect(summary.counts).toMatchObject({ users: 3, companies: 20 });
    expect(summary.counts.contacts).toBeGreaterThanOrEqual(40);
    expect(summary.counts.scorecards).toBeGreaterThanOrEqual(60);
    expect(summary.counts.ctas).toBeGreaterThan(0);
    expect(summary.counts.timelineActivities).toBeGreaterThan(200);
    expect(first.stderr).toContain('seed demo: 20/20 companies (100%)');
    expect(first.stderr).toContain('csmcp projections rebuild');

    const events = await read(a);
    expect(events).toHaveLength(summary.events);
    const types = countBy(events, (e) => e.type);
    expect(types).toMatchObject({
      UserEmailReserved: 3,
      UserRegistered: 3,
      CompanyImported: 20,
      ContactImported: summary.counts.contacts,
      ScorecardRecorded: summary.counts.scorecards,
      CtaCreated: summary.counts.ctas,
      CtaTaskCreated: summary.counts.ctaTasks,
      CtaUpdated: summary.counts.ctaUpdates,
      SuccessPlanCreated: summary.counts.successPlans,
      TimelineActivityCreated: summary.counts.timelineActivities,
    });
    // Nothing was refused: the seed writes only what the write policy allows.
    expect(events.filter((e) => e.type === 'WriteRefused')).toEqual([]);

    // MCP writes are the CSM's, at the time they happened; reference data is the admin's.
    const cta = events.find((e) => e.type === 'CtaCreated')!;
    const company = events.find((e) => e.type === 'CompanyImported')!;
    expect(cta.metadata).toMatchObject({ actor: { type: 'user', id: company.data.ownerId }, toolName: 'seed', accessContext: 'shared' });
    expect(String(cta.data.createdAt) < '2025-06-01').toBe(true);
    expect(company.metadata).toMatchObject({ actor: { type: 'user', email: 'admin@example.com' }, toolName: 'seed' });

    // Same seed, same day: the same companies, contacts and scores.
    expect((await seed(b)).code).toBe(0);
    const reference = (es: RecordedEvent[]) =>
      es
        .filter((e) => ['CompanyImported', 'ContactImported', 'ScorecardRecorded', 'UserRegistered'].includes(e.type))
        .map((e) => JSON.stringify([e.streamName, e.data]))
        .sort();
    expect(reference(await read(b))).toEqual(reference(events));
  });

  it('refuses to seed a store that holds demo data already, and wrong flags', async () => {
    const dir = freshDir();
    expect((await seed(dir, '--companies', '1', '--activities', '0')).code).toBe(0);
    const again = await seed(dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('this store already holds demo data (company demo-000001)');
    const wrong = await runCli(['seed', 'demo', '--companies', 'many'], { DATA_DIR: dir });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--companies must be a whole number from 1 to 1000000; got "many"');
  });
});

describe('csmcp seed demo (PostgreSQL)', () => {
  const schema = freshSchemaName('seed_cli');
  afterAll(() => dropSchema(schema));

  it('seeds through the same commands', async () => {
    const result = await runCli(['seed', 'demo', '--companies', '20', '--as-of', '2025-06-01', '--json'], { DATABASE_URL, DATABASE_SCHEMA: schema });
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as SeedSummary;
    const store = new PostgresEventStore({ connectionString: DATABASE_URL, schema });
    try {
      const events = await allEvents(store);
      expect(events).toHaveLength(summary.events);
      expect(countBy(events, (e) => e.type)).toMatchObject({ CompanyImported: 20, TimelineActivityCreated: summary.counts.timelineActivities });
    } finally {
      await store.close();
    }
  });
});
