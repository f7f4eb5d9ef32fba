/**
 * The whole application on a real store (test/support/app-harness) with a small book for the MCP read
 * surface: Ann (a CSM with a personal access token) owns some companies, Bob owns others. Reference data
 * is appended the way an import writes it; CTAs, plans and activities go through the real commands.
 */
import type { JsonObject } from '@csmcp/event-store';
import { context, givenReferenceData, startApp, type AppHarness, type StoreKind } from '../../../../test/support/app-harness';
import { viewerOf, type Principal } from '../../../auth/principal';
import { companyStream, contactStream } from '../../../customer-success/companies/company.events';
import { CreateCtaTaskCommand } from '../../../customer-success/ctas/commands/create-cta-task/create-cta-task.command';
import { CreateCtaCommand } from '../../../customer-success/ctas/commands/create-cta/create-cta.command';
import { colorOf, scorecardStream } from '../../../customer-success/scorecards/scorecard.events';
import { CreateSuccessPlanCommand } from '../../../customer-success/success-plans/commands/create-success-plan/create-success-plan.command';
import { CreateTimelineActivityCommand } from '../../../customer-success/timeline/commands/create-timeline-activity/create-timeline-activity.command';
import type { ReadContext } from '../resource-definition';

export const STORE_KINDS: StoreKind[] = ['sqlite', 'postgres'];

export function principal(userId: string, overrides: Partial<Principal> = {}): Principal {
  return {
    userId,
    email: `${userId.replace(/^u-/, '')}@example.com`,
    name: userId,
    role: 'csm',
    scopes: ['cs:read', 'cs:write'],
    accessContext: 'personal',
    tokenId: `tok-${userId}`,
    tokenKind: 'personal_access_token',
    integrationId: null,
    integrationName: null,
    expiresAt: null,
    ...overrides,
  };
}

/** What the MCP server builds for a request, from the Principal its bearer token verified to. */
export function readContext(h: AppHarness, who: Principal, signal: AbortSignal = new AbortController().signal): ReadContext {
  return { principal: who, viewer: viewerOf(who), queries: h.queries, after: undefined, signal };
}

export interface ReadBook {
  readonly h: AppHarness;
  /**
   * Ann, personal access: sees c-acme (Red, an open Risk CTA, renews 2027-03-31), c-acme-labs,
   * c-bigacme (renews in 60 days) and c-pipe; none but Acme has any activity.
   */
  readonly ann: ReadContext;
  /** Bob, personal access: sees c-globex and c-acme-rival (renews in 10 days). */
  readonly bob: ReadContext;
  /** An admin: sees everything. */
  readonly admin: ReadContext;
  readonly annCta: string;
  readonly bobCta: string;
  readonly annPlan: string;
  readonly bobPlan: string;
  close(): Promise<void>;
}

const IMPORTED_AT = '2026-01-01T00:00:00.000Z';

/** A UTC date `days` from today: renewals the day-count analyses find whatever day the suite runs on. */
export function daysFromToday(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

export async function openReadBook(kind: StoreKind): Promise<ReadBook> {
  const h = await startApp(kind, { runProjections: true });
  try {
    // u-ann, u-bob, u-vic; c-acme "Acme" (Ann), c-globex "Globex" (Bob).
    await givenReferenceData(h.store);
    const company = (companyId: string, name: string, ownerId: string, extra: Partial<JsonObject> = {}) =>
      h.store.appendToStream(
        companyStream(companyId),
        [
          {
            type: 'CompanyImported',
            data: {
              companyId, name, externalId: null, industry: 'Software', segment: 'MidMarket', lifecycleStage: 'Adoption', region: 'EMEA',
              employees: 80, arr: 50000, renewalDate: null, ownerId, importedAt: IMPORTED_AT, ...extra,
            },
          },
        ],
        { expectedRevision: 'no_stream' },
      );
    await company('c-acme-labs', 'Acme Labs', 'u-ann');
    await company('c-bigacme', 'Big Acme Holdings', 'u-ann', { renewalDate: daysFromToday(60) });
    await company('c-pipe', 'Pipe | *Star*', 'u-ann');
    await company('c-acme-rival', 'Acme Rival', 'u-bob', { renewalDate: daysFromToday(10) });
    await h.store.appendToStream(
      scorecardStream('c-acme'),
      [55, 32].map((overallScore, i) => ({
        type: 'ScorecardRecorded',
        data: {
          companyId: 'c-acme',
          asOf: `2026-0${i + 1}-01`,
          overallScore,
          overallColor: colorOf(overallScore),
          measures: [
            { name: 'Adoption', score: overallScore - 10, color: colorOf(overallScore - 10), comment: 'Logins down' },
            { name: 'Support', score: 80, color: 'Green', comment: null },
          ],
          recordedAt: IMPORTED_AT,
        },
      })),
      { expectedRevision: 'any' },
    );
    await h.store.appendToStream(
      contactStream('p-road'),
      [
        {
          type: 'ContactImported',
          data: {
            contactId: 'p-road', companyId: 'c-acme', name: 'Road Runner', email: 'rr@acme.test', title: 'VP Ops', role: 'Champion',
            sentiment: 'Positive', isPrimary: true, importedAt: IMPORTED_AT,
          },
        },
      ],
      { expectedRevision: 'no_stream' },
    );

    const annCta = await h.commands.execute(
      new CreateCtaCommand(
        { company_id: 'c-acme', name: 'Usage dropped', type: 'Risk', priority: 'High', due_date: '2020-01-01', reason: 'Logins halved' },
        context('create_cta'),
      ),
    );
    await h.commands.execute(new CreateCtaTaskCommand({ cta_id: annCta.entityId, title: 'Call the champion' }, context('create_cta_task')));
    const bobCta = await h.commands.execute(
      new CreateCtaCommand({ company_id: 'c-globex', name: 'Globex risk', type: 'Risk', owner_id: 'u-bob' }, context('create_cta')),
    );
    const annPlan = await h.commands.execute(
      new CreateSuccessPlanCommand({ company_id: 'c-acme', name: 'Adoption plan', status: 'Active', due_date: '2026-12-31' }, context('create_success_plan')),
    );
    const bobPlan = await h.commands.execute(
      new CreateSuccessPlanCommand({ company_id: 'c-globex', name: 'Globex plan', owner_id: 'u-bob' }, context('create_success_plan')),
    );
    await h.commands.execute(
      new CreateTimelineActivityCommand(
        { company_id: 'c-acme', type: 'Meeting', subject: 'Kick-off', notes: 'Agreed on\nthe plan', occurred_at: '2026-01-15T10:00:00Z' },
        context('create_timeline_activity'),
      ),
    );
    // Everything read below (the analysis too, which does not wait on positions) sees the book.
    const head = await h.store.headPosition();
    if (head) await h.projections.runner.waitForPosition(head);

    return {
      h,
      ann: readContext(h, principal('u-ann')),
      bob: readContext(h, principal('u-bob')),
      admin: readContext(h, principal('u-admin', { role: 'admin', accessContext: 'shared' })),
      annCta: annCta.entityId,
      bobCta: bobCta.entityId,
      annPlan: annPlan.entityId,
      bobPlan: bobPlan.entityId,
      close: () => h.close(),
    };
  } catch (error) {
    await h.close();
    throw error;
  }
}
