/**
 * The read side on real stores for integration specs: the embedded SQLite event store in a temp dir,
 * the real ProjectionRunner with both projections, into a SQLite file or a fresh PostgreSQL schema
 * (127.0.0.1:5432 trust, db `test`, or DATABASE_URL). Writes go through the real deciders.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventMetadataInput, JsonObject, Position } from '@csmcp/event-store';
import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { PostgresReadModelDatabase, ProjectionRunner, SqliteReadModelDatabase, type ReadModelDatabase } from '@csmcp/projections';
import { DATABASE_URL, dropSchema, freshSchemaName } from '../../../../libs/projections/test/support/postgres';
import { handleCommand, type DeciderLike } from '../../../infrastructure/aggregate-store';
import {
  companyStream,
  contactStream,
  relationshipStream,
  type CompanyProfile,
  type ContactProfile,
  type RelationshipProfile,
} from '../../companies/company.events';
import type { CreateCta, CreateCtaTask, UpdateCta } from '../../ctas/cta.commands';
import { ctaDecider } from '../../ctas/cta.decider';
import { ctaStreamName } from '../../ctas/cta.events';
import { CustomerSuccessProjection } from '../../read-models/customer-success.projection';
import { UsersProjection } from '../../read-models/users.projection';
import { colorOf, scorecardStream, type ScorecardMeasure } from '../../scorecards/scorecard.events';
import type { CreateSuccessPlan, UpdateSuccessPlan } from '../../success-plans/success-plan.commands';
import { successPlanDecider } from '../../success-plans/success-plan.decider';
import { successPlanStreamName } from '../../success-plans/success-plan.events';
import type { CreateTimelineActivity, UpdateTimelineActivity } from '../../timeline/timeline-activity.commands';
import { timelineActivityDecider } from '../../timeline/timeline-activity.decider';
import { timelineActivityStreamName } from '../../timeline/timeline-activity.events';
import { userStream, type UserRole } from '../../../users/user.events';
import { ReadModelReader } from '../shared/read-model-reader';

export type DbKind = 'sqlite' | 'postgres';
export const DB_KINDS: DbKind[] = ['sqlite', 'postgres'];

const ADMIN: EventMetadataInput = { actor: { type: 'system', id: 'test-import' } };
const LLM: EventMetadataInput = { actor: { type: 'user', id: 'u-writer', email: 'writer@example.com' }, toolName: 'test' };

export class ReadSideFixture {
  /** The clock the commands run at; each command moves it on by a minute. */
  private clockMs = Date.parse('2025-01-01T09:00:00.000Z');

  private constructor(
    readonly kind: DbKind,
    readonly store: SqliteEventStore,
    readonly db: ReadModelDatabase,
    readonly runner: ProjectionRunner,
    private readonly cleanup: () => Promise<void>,
  ) {}

  /** A reader on this read-model database that waits on this runner. */
  reader(): ReadModelReader {
    return new ReadModelReader(this.db, { runner: this.runner });
  }

  static async open(kind: DbKind, options: { start?: boolean } = {}): Promise<ReadSideFixture> {
    const dir = mkdtempSync(join(tmpdir(), 'csmcp-read-side-'));
    const store = new SqliteEventStore({ filename: join(dir, 'events.db') });
    let db: ReadModelDatabase;
    let dropDb = async () => undefined as void;
    if (kind === 'sqlite') {
      db = new SqliteReadModelDatabase({ filename: join(dir, 'read-models.db') });
    } else {
      const schema = freshSchemaName('csmcp_read_side');
      db = new PostgresReadModelDatabase({ connectionString: DATABASE_URL, schema, poolSize: 4 });
      dropDb = () => dropSchema(schema);
    }
    const runner = new ProjectionRunner({
      store,
      db,
      projections: [new CustomerSuccessProjection(), new UsersProjection()],
      retryDelayMs: 50,
      waitTimeoutMs: 10_000,
    });
    const fixture = new ReadSideFixture(kind, store, db, runner, async () => {
      await runner.stop();
      await db.close();
      await store.close();
      await dropDb();
      rmSync(dir, { recursive: true, force: true });
    });
    if (options.start !== false) await runner.start();
    return fixture;
  }

  async close(): Promise<void> {
    await this.cleanup();
  }

  /** Waits until both projections have applied everything written so far. */
  async settle(): Promise<void> {
    const head = await this.store.headPosition();
    if (head) await this.runner.waitForPosition(head);
  }

  now(): string {
    this.clockMs += 60_000;
    return new Date(this.clockMs).toISOString();
  }

  /** Moves the command clock to a given instant. */
  setClock(iso: string): void {
    this.clockMs = Date.parse(iso) - 60_000;
  }

  // --- reference data (admin import) -------------------------------------------------------------

  async registerUser(userId: string, role: UserRole = 'csm'): Promise<Position> {
    return this.appendRaw(userStream(userId), 'UserRegistered', {
      userId,
      email: `${userId}@example.com`,
      name: `User ${userId}`,
      role,
      registeredAt: this.now(),
    });
  }

  async importCompany(profile: Partial<CompanyProfile> & { companyId: string }): Promise<Position> {
    const data: CompanyProfile & { importedAt: string } = {
      name: profile.companyId,
      externalId: null,
      industry: null,
      segment: null,
      lifecycleStage: null,
      region: null,
      employees: null,
      arr: 0,
      renewalDate: null,
      ownerId: null,
      ...profile,
      importedAt: this.now(),
    };
    return this.appendRaw(companyStream(profile.companyId), 'CompanyImported', data);
  }

  async changeCompany(companyId: string, changes: Array<{ field: string; from: unknown; to: unknown }>): Promise<Position> {
    return this.appendRaw(companyStream(companyId), 'CompanyProfileChanged', {
      companyId,
      changes: changes as JsonObject[],
      changedAt: this.now(),
    });
  }

  async importRelationship(profile: Partial<RelationshipProfile> & { relationshipId: string; companyId: string }): Promise<Position> {
    return this.appendRaw(relationshipStream(profile.relationshipId), 'RelationshipImported', {
      name: profile.relationshipId,
      type: null,
      arr: 0,
      renewalDate: null,
      ownerId: null,
      ...profile,
      importedAt: this.now(),
    });
  }

  async importContact(profile: Partial<ContactProfile> & { contactId: string; companyId: string }): Promise<Position> {
    return this.appendRaw(contactStream(profile.contactId), 'ContactImported', {
      name: profile.contactId,
      email: null,
      title: null,
      role: null,
      sentiment: 'Unknown',
      isPrimary: false,
      ...profile,
      importedAt: this.now(),
    });
  }

  async recordScorecard(companyId: string, asOf: string, overallScore: number, measures: Record<string, number> = {}): Promise<Position> {
    const list: ScorecardMeasure[] = Object.entries(measures).map(([name, score]) => ({ name, score, color: colorOf(score), comment: null }));
    return this.appendRaw(scorecardStream(companyId), 'ScorecardRecorded', {
      companyId,
      asOf,
      overallScore,
      overallColor: colorOf(overallScore),
      measures: list,
      recordedAt: this.now(),
    });
  }

  // --- writes through the deciders ---------------------------------------------------------------

  async createCta(data: CreateCta['data']): Promise<Position> {
    return this.command(ctaStreamName(data.ctaId), ctaDecider, { type: 'CreateCta', data, metadata: { now: this.now() } });
  }

  async updateCta(data: UpdateCta['data']): Promise<Position> {
    return this.command(ctaStreamName(data.ctaId), ctaDecider, { type: 'UpdateCta', data, metadata: { now: this.now() } });
  }

  async createTask(data: CreateCtaTask['data']): Promise<Position> {
    return this.command(ctaStreamName(data.ctaId), ctaDecider, { type: 'CreateCtaTask', data, metadata: { now: this.now() } });
  }

  async createPlan(data: CreateSuccessPlan['data']): Promise<Position> {
    return this.command(successPlanStreamName(data.successPlanId), successPlanDecider, {
      type: 'CreateSuccessPlan',
      data,
      metadata: { now: this.now() },
    });
  }

  async updatePlan(data: UpdateSuccessPlan['data']): Promise<Position> {
    return this.command(successPlanStreamName(data.successPlanId), successPlanDecider, {
      type: 'UpdateSuccessPlan',
      data,
      metadata: { now: this.now() },
    });
  }

  async logActivity(data: CreateTimelineActivity['data']): Promise<Position> {
    return this.command(timelineActivityStreamName(data.activityId), timelineActivityDecider, {
      type: 'CreateTimelineActivity',
      data,
      metadata: { now: this.now() },
    });
  }

  async updateActivity(data: UpdateTimelineActivity['data']): Promise<Position> {
    return this.command(timelineActivityStreamName(data.activityId), timelineActivityDecider, {
      type: 'UpdateTimelineActivity',
      data,
      metadata: { now: this.now() },
    });
  }

  private async command<Command, State, Event extends { type: string; data: object }>(
    stream: string,
    decider: DeciderLike<Command, State, Event>,
    command: Command,
  ): Promise<Position> {
    const { append } = await handleCommand(this.store, stream, decider, command, { metadata: LLM });
    return append!.position;
  }

  /** Appends one event as is (for events no decider would produce). */
  async append(stream: string, type: string, data: object): Promise<Position> {
    return this.appendRaw(stream, type, data);
  }

  private async appendRaw(stream: string, type: string, data: object): Promise<Position> {
    const { position } = await this.store.appendToStream(stream, [{ type, data: data as JsonObject }], {
      expectedRevision: 'any',
      metadata: ADMIN,
    });
    return position;
  }
}

/** Runs `body` once per read-model database, each with its own fixture opened before and closed after. */
export function describeOnEachDatabase(name: string, body: (get: () => ReadSideFixture) => void): void {
  describe.each(DB_KINDS)(`${name} (%s read models)`, (kind) => {
    let fixture: ReadSideFixture;
    beforeAll(async () => {
      fixture = await ReadSideFixture.open(kind);
    });
    afterAll(async () => {
      await fixture?.close();
    });
    body(() => fixture);
  });
}
