import type { ListResourcesResult, ReadResourceResult, Resource, ResourceTemplate } from '@modelcontextprotocol/sdk/types.js';
import type { Query } from '@nestjs/cqrs';
import { analysisGuide } from '../../customer-success/analysis/analysis-guide';
import { GetAccountSummaryQuery } from '../../customer-success/queries/get-account-summary/get-account-summary.query';
import { GetCompanyQuery } from '../../customer-success/queries/get-company/get-company.query';
import { GetCtaQuery } from '../../customer-success/queries/get-cta/get-cta.query';
import { GetScorecardQuery } from '../../customer-success/queries/get-scorecard/get-scorecard.query';
import { GetSuccessPlanQuery } from '../../customer-success/queries/get-success-plan/get-success-plan.query';
import { ListTimelineActivitiesQuery } from '../../customer-success/queries/list-timeline-activities/list-timeline-activities.query';
import { SearchCompaniesQuery, type SearchCompaniesResult } from '../../customer-success/queries/search-companies/search-companies.query';
import { QueryError } from '../../customer-success/queries/shared/query-error';
import { completeCompanyId, completeCtaId, completeSuccessPlanId, type Completer } from '../completion/completers';
import { accountSummaryMarkdown, ctaMarkdown, scorecardMarkdown, successPlanMarkdown, timelineMarkdown } from './markdown';
import {
  InvalidParamsError,
  ResourceNotFoundError,
  type ReadContext,
  type ResourceDefinition,
  type ResourceMatch,
  type ResourceTemplateDefinition,
  type StaticResourceDefinition,
} from './resource-definition';
import { uriTemplate } from './uri-template';

const MARKDOWN = 'text/markdown';
const JSON_TYPE = 'application/json';

/** Activities in the timeline resource; older ones are one list_timeline_activities call away. */
export const TIMELINE_RESOURCE_ACTIVITIES = 50;
/** Readings of history per measure in the scorecard resource. */
export const SCORECARD_RESOURCE_HISTORY = 12;

function text(uri: string, mimeType: string, body: string): ReadResourceResult {
  return { contents: [{ uri, mimeType, text: body }] };
}

function json(uri: string, value: unknown): ReadResourceResult {
  return text(uri, JSON_TYPE, JSON.stringify(value, null, 2));
}

/** Passes `after` only when the session has written: the session reads its own writes. */
function after(context: ReadContext): { after?: NonNullable<ReadContext['after']> } {
  return context.after ? { after: context.after } : {};
}

/** Runs a query unless the client has given up on the request. */
async function ask<T>(context: ReadContext, query: Query<T>): Promise<T> {
  context.signal.throwIfAborted();
  return context.queries.execute(query);
}

function template(
  def: Omit<ResourceTemplateDefinition, 'kind' | 'variables' | 'completions'> & { completions?: Record<string, Completer> },
): ResourceTemplateDefinition {
  return { kind: 'template', ...def, variables: uriTemplate(def.uriTemplate).variables, completions: def.completions ?? {} };
}

const summary = (context: ReadContext, companyId: string) =>
  ask(context, new GetAccountSummaryQuery(context.viewer, { companyId, ...after(context) }));

export const ACCOUNT_SUMMARY_TEMPLATE = 'csmcp://companies/{company_id}/summary';
export const ACCOUNT_SUMMARY_JSON_TEMPLATE = 'csmcp://companies/{company_id}/summary.json';

/**
 * The account summary comes as two resources, not two contents of one: clients attach or embed every
 * content item of a read, and the same summary twice (Markdown and JSON) only costs context.
 */
export const CS_RESOURCE_TEMPLATES: readonly ResourceTemplateDefinition[] = [
  template({
    uriTemplate: ACCOUNT_SUMMARY_TEMPLATE,
    name: 'account_summary',
    title: 'Account summary',
    description:
      'One account at a glance, in Markdown: profile, owner, ARR and renewal countdown, health with its measures, open CTAs ' +
      '(overdue flagged), active success plans, the 10 most recent timeline activities and contacts. Read it before a call, ' +
      'a QBR or a renewal conversation. The same data as JSON: csmcp://companies/{company_id}/summary.json.',
    mimeType: MARKDOWN,
    completions: { company_id: completeCompanyId },
    read: async (uri, { company_id }, context) => text(uri, MARKDOWN, accountSummaryMarkdown(await summary(context, company_id))),
  }),
  template({
    uriTemplate: ACCOUNT_SUMMARY_JSON_TEMPLATE,
    name: 'account_summary_json',
    title: 'Account summary (JSON)',
    description:
      'The account summary as JSON (the get_account_summary tool\'s data): company, health, openCtas, activeSuccessPlans, ' +
      'recentTimeline, contacts, renewal, today. For programs and for exact figures; people read .../summary.',
    mimeType: JSON_TYPE,
    completions: { company_id: completeCompanyId },
    read: async (uri, { company_id }, context) => json(uri, await summary(context, company_id)),
  }),
  template({
    uriTemplate: 'csmcp://companies/{company_id}/timeline',
    name: 'company_timeline',
    title: 'Company timeline',
    description:
      `The ${TIMELINE_RESOURCE_ACTIVITIES} most recent timeline activities of a company (calls, meetings, emails, updates, ` +
      'milestones), newest first, in Markdown. For older ones or filters use list_timeline_activities.',
    mimeType: MARKDOWN,
    completions: { company_id: completeCompanyId },
    read: async (uri, { company_id }, context) => {
      // The company first: the list alone would answer an invisible company with an empty timeline.
      const company = await ask(context, new GetCompanyQuery(context.viewer, { companyId: company_id, ...after(context) }));
      const page = await ask(
        context,
        new ListTimelineActivitiesQuery(context.viewer, { companyId: company_id, limit: TIMELINE_RESOURCE_ACTIVITIES, ...after(context) }),
      );
      return text(uri, MARKDOWN, timelineMarkdown(company, page.items, page.nextCursor !== null));
    },
  }),
  template({
    uriTemplate: 'csmcp://companies/{company_id}/scorecard',
    name: 'company_scorecard',
    title: 'Company scorecard',
    description:
      'A company\'s health scorecard in Markdown: overall score and color with trend, each measure\'s latest reading, comment, ' +
      `trend and last ${SCORECARD_RESOURCE_HISTORY} readings.`,
    mimeType: MARKDOWN,
    completions: { company_id: completeCompanyId },
    read: async (uri, { company_id }, context) =>
      text(
        uri,
        MARKDOWN,
        scorecardMarkdown(
          await ask(
            context,
            new GetScorecardQuery(context.viewer, { companyId: company_id, historyLimit: SCORECARD_RESOURCE_HISTORY, ...after(context) }),
          ),
        ),
      ),
  }),
  template({
    uriTemplate: 'csmcp://ctas/{cta_id}',
    name: 'cta',
    title: 'CTA',
    description: 'One CTA (call to action) with its tasks, in Markdown: type, priority, status, owner, due date, reason, comments.',
    mimeType: MARKDOWN,
    completions: { cta_id: completeCtaId },
    read: async (uri, { cta_id }, context) =>
      text(uri, MARKDOWN, ctaMarkdown(await ask(context, new GetCtaQuery(context.viewer, { ctaId: cta_id, ...after(context) })))),
  }),
  template({
    uriTemplate: 'csmcp://success-plans/{success_plan_id}',
    name: 'success_plan',
    title: 'Success plan',
    description: 'One success plan with its objectives (CTAs of type Objective), in Markdown: status, owner, dates, description.',
    mimeType: MARKDOWN,
    completions: { success_plan_id: completeSuccessPlanId },
    read: async (uri, { success_plan_id }, context) =>
      text(
        uri,
        MARKDOWN,
        successPlanMarkdown(
          await ask(context, new GetSuccessPlanQuery(context.viewer, { successPlanId: success_plan_id, ...after(context) })),
        ),
      ),
  }),
];

export const ANALYSIS_GUIDE_URI = 'csmcp://guides/analysis';

export const CS_STATIC_RESOURCES: readonly StaticResourceDefinition[] = [
  {
    kind: 'static',
    uri: ANALYSIS_GUIDE_URI,
    name: 'analysis_guide',
    title: 'Cross-account analysis guide',
    description:
      'How to write analyze_accounts queries: the JSON query language, its operators and limits, and every entity and field ' +
      'it accepts. Read it before writing a non-trivial analysis.',
    mimeType: MARKDOWN,
    read: async (uri) => text(uri, MARKDOWN, `# Cross-account analysis (analyze_accounts)\n\n${analysisGuide()}\n`),
  },
];

const MATCHERS = CS_RESOURCE_TEMPLATES.map((definition) => ({ definition, template: uriTemplate(definition.uriTemplate) }));

/** The definition a URI names and its decoded variables; null when no resource has this form. */
export function matchResource(uri: string): ResourceMatch | null {
  const fixed = CS_STATIC_RESOURCES.find((r) => r.uri === uri);
  if (fixed) return { definition: fixed, params: {} };
  for (const { definition, template } of MATCHERS) {
    const params = template.match(uri);
    if (params) return { definition, params };
  }
  return null;
}

/** The URI of a template for these values (each percent-encoded). */
export function resourceUri(uriTemplateText: string, values: Readonly<Record<string, string>>): string {
  return uriTemplate(uriTemplateText).expand(values);
}

/**
 * resources/read. A URI of no known form, a record that does not exist and one the caller may not
 * see all throw ResourceNotFoundError (-32002); the last two with the query's own message, the same
 * for both.
 */
export async function readResource(uri: string, context: ReadContext): Promise<ReadResourceResult> {
  const match = matchResource(uri);
  if (!match)
    throw new ResourceNotFoundError(
      uri,
      `No resource has the URI ${JSON.stringify(uri)}. Resources: ${CS_STATIC_RESOURCES.map((r) => r.uri).join(', ')}; ` +
        `templates: ${CS_RESOURCE_TEMPLATES.map((t) => t.uriTemplate).join(', ')}.`,
    );
  try {
    return await match.definition.read(uri, match.params, context);
  } catch (error) {
    // An id no query accepts (spaces, too long) names no record either.
    if (error instanceof QueryError && (error.code === 'NOT_FOUND' || error.code === 'INVALID_QUERY'))
      throw new ResourceNotFoundError(uri, error.message);
    throw error;
  }
}

function describeResource(d: ResourceDefinition): Omit<Resource, 'uri'> {
  return { name: d.name, title: d.title, description: d.description, mimeType: d.mimeType };
}

/** resources/templates/list (one page: there are few). */
export function listResourceTemplates(): ResourceTemplate[] {
  return CS_RESOURCE_TEMPLATES.map((t) => ({ uriTemplate: t.uriTemplate, ...describeResource(t) }));
}

/** Companies per resources/list page. */
export const RESOURCE_LIST_PAGE = 100;

/**
 * resources/list: the static resources, then the account summary of each company the caller can
 * see, by name, a page at a time (clients that offer listed resources as attachments, and not
 * templates, can then attach an account). `cursor` is the previous page's nextCursor; a cursor that
 * is not one of ours is InvalidParamsError (-32602). `companies: false` lists the static resources only.
 */
export async function listResources(
  context: ReadContext,
  cursor?: string,
  options: { companies?: boolean } = {},
): Promise<ListResourcesResult> {
  if (options.companies === false) return { resources: CS_STATIC_RESOURCES.map((r) => ({ uri: r.uri, ...describeResource(r) })) };
  let page: SearchCompaniesResult;
  try {
    page = await ask(
      context,
      new SearchCompaniesQuery(context.viewer, { sort: 'name', limit: RESOURCE_LIST_PAGE, ...(cursor ? { cursor } : {}), ...after(context) }),
    );
  } catch (error) {
    if (error instanceof QueryError && error.code === 'INVALID_CURSOR') throw new InvalidParamsError(error.message, { cursor });
    throw error;
  }
  const resources: Resource[] = [
    ...(cursor ? [] : CS_STATIC_RESOURCES.map((r) => ({ uri: r.uri, ...describeResource(r) }))),
    ...page.items.map((c) => ({
      uri: resourceUri(ACCOUNT_SUMMARY_TEMPLATE, { company_id: c.companyId }),
      name: `account_summary:${c.companyId}`,
      title: `${c.name}: account summary`,
      description: `Account summary of ${c.name} (${c.segment ?? 'no segment'}, renewal ${c.renewalDate ?? 'not set'}, health ${c.healthColor ?? 'unknown'}).`,
      mimeType: MARKDOWN,
    })),
  ];
  return { resources, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
}
