import type { CommandBus } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import { CLI_ACTOR, type AdminContext } from '../../../customer-success/companies/commands/admin-context';
import type { ImportResult, ImportRow } from '../../../customer-success/companies/commands/import-batch';
import { ImportCompaniesCommand } from '../../../customer-success/companies/commands/import-companies/import-companies.command';
import { ImportContactsCommand } from '../../../customer-success/companies/commands/import-contacts/import-contacts.command';
import { ImportRelationshipsCommand } from '../../../customer-success/companies/commands/import-relationships/import-relationships.command';
import { companyStream } from '../../../customer-success/companies/company.events';
import { CreateCtaTaskCommand } from '../../../customer-success/ctas/commands/create-cta-task/create-cta-task.command';
import { CreateCtaCommand } from '../../../customer-success/ctas/commands/create-cta/create-cta.command';
import { UpdateCtaCommand } from '../../../customer-success/ctas/commands/update-cta/update-cta.command';
import { RecordScorecardCommand } from '../../../customer-success/scorecards/commands/record-scorecard/record-scorecard.command';
import { DomainError } from '../../../customer-success/shared/domain-error';
import { CreateSuccessPlanCommand } from '../../../customer-success/success-plans/commands/create-success-plan/create-success-plan.command';
import { UpdateSuccessPlanCommand } from '../../../customer-success/success-plans/commands/update-success-plan/update-success-plan.command';
import { CreateTimelineActivityCommand } from '../../../customer-success/timeline/commands/create-timeline-activity/create-timeline-activity.command';
import { forEachLimit } from '../../../customer-success/companies/commands/pool';
import { deterministicUuid } from '../../../customer-success/write/deterministic-id';
import type { WriteContext, WriteResult } from '../../../customer-success/write/write-context';
import { RegisterUserCommand } from '../../../users/commands/register-user/register-user.command';
import { userEmailStream } from '../../../users/commands/user.decider';
import { UsageError } from '../../errors';
import { demoCompany, demoCompanyId, demoScript, demoUsers, type DemoCompany, type DemoOptions, type DemoStep, type DemoUser } from './demo-book';
import type { Progress } from './progress';

/**
 * Loads a demo book of business through the same commands as real data: users with RegisterUser,
 * companies, relationships, contacts and scorecards with the admin import commands, and each
 * company's CTAs, tasks, success plans and timeline with the MCP write commands, as its CSM (role
 * csm, shared access, tool "seed") at the time each write happened. Commands are dispatched with
 * bounded concurrency so that the store batches appends (group commit); each company's own writes
 * go one after the other, in the order they happened.
 */

export interface SeedOptions extends DemoOptions {
  /** Commands in flight at once. */
  readonly concurrency: number;
}

export interface SeedCounts {
  users: number;
  companies: number;
  relationships: number;
  contacts: number;
  scorecards: number;
  ctas: number;
  ctaTasks: number;
  ctaUpdates: number;
  successPlans: number;
  successPlanUpdates: number;
  timelineActivities: number;
}

export interface SeedSummary {
  readonly seed: number;
  readonly asOf: string;
  readonly counts: SeedCounts;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly companiesPerSecond: number;
}

/** Companies generated, imported and scripted together: bounds memory, keeps progress moving. */
const CHUNK = 2_000;
const DAY = 86_400_000;

export class DemoSeeder {
  private events = 0;
  private readonly counts: SeedCounts = {
    users: 0,
    companies: 0,
    relationships: 0,
    contacts: 0,
    scorecards: 0,
    ctas: 0,
    ctaTasks: 0,
    ctaUpdates: 0,
    successPlans: 0,
    successPlanUpdates: 0,
    timelineActivities: 0,
  };

  constructor(
    private readonly bus: CommandBus,
    private readonly store: EventStore,
    private readonly options: SeedOptions,
  ) {}

  /** Events written so far (for progress). */
  get eventCount(): number {
    return this.events;
  }

  async run(progress: Progress): Promise<SeedSummary> {
    const started = Date.now();
    const { options } = this;
    const [first] = await this.store.readStream(companyStream(demoCompanyId(0)), { maxCount: 1 });
    if (first)
      throw new UsageError(
        `this store already holds demo data (company ${demoCompanyId(0)}); seed an empty store (another DATA_DIR or DATABASE_SCHEMA)`,
      );

    const anchor = Date.parse(`${options.asOf}T00:00:00Z`);
    const correlationId = deterministicUuid(`seed|${options.seed}|${options.companies}|${options.asOf}`);
    // Reference data "was imported" a little over a year before the day the book is as of.
    const importedAt = new Date(anchor - 400 * DAY);
    const users = await this.registerUsers(demoUsers(options), { actor: CLI_ACTOR, toolName: 'seed', correlationId, now: importedAt });
    const admin = users.get(demoUsers(options)[0].email)!;
    const adminContext = (now: Date): AdminContext => ({ actor: { type: 'user', id: admin.userId, email: admin.email }, toolName: 'seed', correlationId, now });
    const csms = demoUsers(options).filter((u) => u.role === 'csm');

    progress.start(options.companies);
    for (let from = 0; from < options.companies; from += CHUNK) {
      const companies = Array.from({ length: Math.min(CHUNK, options.companies - from) }, (_, i) => demoCompany(options, from + i, csms));
      const batch = (kind: string) => ({ batchId: `seed|${options.seed}|${options.asOf}|${kind}|${from}`, concurrency: options.concurrency });
      const numbered = (rows: Array<Record<string, unknown>>): ImportRow[] => rows.map((data, i) => ({ row: i + 1, data }));

      this.imported('companies', await this.bus.execute(new ImportCompaniesCommand(numbered(companies.map((c) => c.row)), adminContext(importedAt), batch('companies'))));
      this.imported(
        'relationships',
        await this.bus.execute(new ImportRelationshipsCommand(numbered(companies.flatMap((c) => c.relationships)), adminContext(importedAt), batch('relationships'))),
      );
      this.imported(
        'contacts',
        await this.bus.execute(new ImportContactsCommand(numbered(companies.flatMap((c) => c.contacts)), adminContext(importedAt), batch('contacts'))),
      );
      this.imported(
        'scorecards',
        await this.bus.execute(new RecordScorecardCommand(numbered(companies.flatMap((c) => c.scorecards)), adminContext(new Date(anchor - 60_000)), batch('scorecards'))),
      );

      await forEachLimit(companies, options.concurrency, async (company) => {
        await this.playScript(company, users.get(company.ownerEmail)!, correlationId);
        progress.tick();
      });
    }
    progress.stop();

    const seconds = (Date.now() - started) / 1000;
    return {
      seed: options.seed,
      asOf: options.asOf,
      counts: this.counts,
      events: this.events,
      seconds: round(seconds, 2),
      eventsPerSecond: Math.round(this.events / Math.max(seconds, 0.001)),
      companiesPerSecond: round(options.companies / Math.max(seconds, 0.001), 1),
    };
  }

  private async registerUsers(users: DemoUser[], context: AdminContext): Promise<Map<string, { userId: string; email: string }>> {
    const byEmail = new Map<string, { userId: string; email: string }>();
    let actor: AdminContext['actor'] = context.actor;
    for (const user of users) {
      try {
        const result = await this.bus.execute(new RegisterUserCommand({ email: user.email, name: user.name, role: user.role }, { ...context, actor }));
        byEmail.set(user.email, { userId: result.userId, email: result.email });
        this.events += 2;
        this.counts.users++;
      } catch (error) {
        // Someone with this email is registered already (an earlier seed, a real admin): they play the part.
        if (!(error instanceof DomainError) || error.code !== 'ALREADY_EXISTS') throw error;
        const [reserved] = await this.store.readStream(userEmailStream(user.email), { maxCount: 1 });
        byEmail.set(user.email, { userId: String(reserved.data.userId), email: user.email });
      }
      // The admin registers everybody after itself.
      if (user.role === 'admin') actor = { type: 'user', id: byEmail.get(user.email)!.userId, email: user.email };
    }
    return byEmail;
  }

  private imported(kind: 'companies' | 'relationships' | 'contacts' | 'scorecards', result: ImportResult): void {
    this.events += result.events;
    this.counts[kind] += result.created;
  }

  /** One company's MCP writes, in order, each as its CSM at the time it happened. */
  private async playScript(company: DemoCompany, owner: { userId: string; email: string }, correlationId: string): Promise<void> {
    const ids = new Map<string, string>();
    const idOf = (key: string) => ids.get(key)!;
    for (const step of demoScript(this.options, company)) {
      const context: WriteContext = {
        caller: {
          userId: owner.userId,
          email: owner.email,
          role: 'csm',
          accessContext: 'shared',
          integrationId: null,
          integrationName: null,
          visibleOwnerIds: null,
        },
        request: { toolName: 'seed', correlationId },
        now: new Date(step.at),
      };
      let result: WriteResult;
      try {
        result = await this.bus.execute(this.command(step, idOf, context));
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`seed: ${step.tool} for company ${company.companyId} was refused: ${reason}`, { cause: error });
      }
      this.events += result.events.length;
      this.count(step);
      if ('key' in step) ids.set(step.key, result.entityId);
    }
  }

  private command(step: DemoStep, idOf: (key: string) => string, context: WriteContext) {
    switch (step.tool) {
      case 'create_success_plan':
        return new CreateSuccessPlanCommand(step.input, context);
      case 'update_success_plan':
        return new UpdateSuccessPlanCommand({ success_plan_id: idOf(step.plan), ...step.input }, context);
      case 'create_cta':
        return new CreateCtaCommand({ ...step.input, ...(step.plan ? { success_plan_id: idOf(step.plan) } : {}) }, context);
      case 'update_cta':
        return new UpdateCtaCommand({ cta_id: idOf(step.cta), ...step.input }, context);
      case 'create_cta_task':
        return new CreateCtaTaskCommand({ cta_id: idOf(step.cta), ...step.input }, context);
      case 'create_timeline_activity':
        return new CreateTimelineActivityCommand(
          { ...step.input, ...(step.context ? { context_kind: step.context.kind, context_id: idOf(step.context.key) } : {}) },
          context,
        );
    }
  }

  private count(step: DemoStep): void {
    const field = {
      create_success_plan: 'successPlans',
      update_success_plan: 'successPlanUpdates',
      create_cta: 'ctas',
      update_cta: 'ctaUpdates',
      create_cta_task: 'ctaTasks',
      create_timeline_activity: 'timelineActivities',
    } as const satisfies Record<DemoStep['tool'], keyof SeedCounts>;
    this.counts[field[step.tool]]++;
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
