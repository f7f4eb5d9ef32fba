import type { GetPromptResult, Prompt, PromptMessage } from '@modelcontextprotocol/sdk/types.js';
import type { AnalysisQuery } from '../../customer-success/analysis/analysis-query';
import { GetCompanyQuery } from '../../customer-success/queries/get-company/get-company.query';
import { SearchCompaniesQuery } from '../../customer-success/queries/search-companies/search-companies.query';
import { MAX_TEXT } from '../../customer-success/queries/shared/input';
import { QueryError } from '../../customer-success/queries/shared/query-error';
import type { CompanyView } from '../../customer-success/queries/shared/views';
import { completeCompanyName, completeOwnerId } from '../completion/completers';
import { ACCOUNT_SUMMARY_TEMPLATE, ANALYSIS_GUIDE_URI, readResource, resourceUri } from '../resources/cs-resources';
import type { ReadContext } from '../resources/resource-definition';
import { renewalRiskQuery, renewalRiskTotalsQuery, weeklyPortfolioQueries } from './prompt-analysis-queries';
import {
  checkPromptArguments,
  describePrompt,
  PromptArgumentError,
  PromptNotFoundError,
  type PromptDefinition,
} from './prompt-definition';

function say(text: string): PromptMessage {
  return { role: 'user', content: { type: 'text', text } };
}

/** A query as the model should pass it to analyze_accounts, in a fenced block it can copy. */
function queryBlock(query: AnalysisQuery): string {
  return ['```json', JSON.stringify(query), '```'].join('\n');
}

const AMBIGUOUS_SHOWN = 10;

/**
 * A company from what a person typed: its id, else its name (exact, any case), else the one name that
 * contains it. Never reveals a company the caller cannot see: those answer as if they did not exist.
 */
async function resolveCompany(prompt: string, argument: string, typed: string, context: ReadContext): Promise<CompanyView> {
  if (!/\s/.test(typed) && typed.length <= 200) {
    try {
      context.signal.throwIfAborted();
      return await context.queries.execute(new GetCompanyQuery(context.viewer, { companyId: typed, ...(context.after ? { after: context.after } : {}) }));
    } catch (error) {
      if (!(error instanceof QueryError && error.code === 'NOT_FOUND')) throw error;
    }
  }
  const notFound = () =>
    new PromptArgumentError(
      prompt,
      argument,
      `there is no company named or with id ${JSON.stringify(typed)} that you can see; type part of its name and pick one of the suggestions`,
    );
  if (typed.length > MAX_TEXT) throw notFound();
  context.signal.throwIfAborted();
  const page = await context.queries.execute(
    new SearchCompaniesQuery(context.viewer, { text: typed, sort: 'name', limit: 100, ...(context.after ? { after: context.after } : {}) }),
  );
  const exact = page.items.filter((c) => c.name.toLowerCase() === typed.toLowerCase());
  const candidates = exact.length > 0 ? exact : page.items;
  if (candidates.length === 0) throw notFound();
  if (candidates.length === 1) return candidates[0];
  const shown = candidates.slice(0, AMBIGUOUS_SHOWN).map((c) => `${c.name} (id ${c.companyId})`);
  const more = page.nextCursor !== null || candidates.length > AMBIGUOUS_SHOWN ? ', and more' : '';
  throw new PromptArgumentError(prompt, argument, `${JSON.stringify(typed)} matches several companies: ${shown.join('; ')}${more}. Give the full name or the id`);
}

const qbrPreparation: PromptDefinition = {
  name: 'qbr_preparation',
  title: 'Prepare a QBR',
  description:
    'Prepare a quarterly business review for one account: starts from its account summary and has the assistant gather ' +
    'health trends, CTAs, success plan progress and recent timeline into a QBR outline.',
  arguments: [
    {
      name: 'company',
      title: 'Company',
      description: 'The account: its name (or part of it, if only one company matches) or its company id.',
      required: true,
      complete: completeCompanyName,
    },
  ],
  async get(args, context) {
    const company = await resolveCompany('qbr_preparation', 'company', args.company, context);
    const uri = resourceUri(ACCOUNT_SUMMARY_TEMPLATE, { company_id: company.companyId });
    const summary = await readResource(uri, context);
    const id = company.companyId;
    const instructions = [
      `Prepare a quarterly business review (QBR) for ${company.name} (company_id ${JSON.stringify(id)}). Its account summary is attached.`,
      '',
      'Gather what the summary does not hold, with these tools (read-only):',
      `1. get_scorecard with company_id ${JSON.stringify(id)}: the overall score and each measure with its trend and history over the quarter.`,
      `2. list_ctas with company_id ${JSON.stringify(id)}: open CTAs (risks, expansions, renewal steps) and those closed this quarter (wins to report).`,
      `3. list_success_plans with company_id ${JSON.stringify(id)}, then get_success_plan for each active one: objectives met, open and late.`,
      `4. list_timeline_activities with company_id ${JSON.stringify(id)} for the last 90 days: meetings, calls, milestones, who was involved.`,
      '',
      'Then draft the QBR deck as an outline, one section per slide:',
      '- Executive summary: the state of the account in three sentences.',
      '- Value delivered this quarter: outcomes against the success plan objectives, milestones reached.',
      '- Health and adoption: overall score and measures with their trends; what moved and why.',
      '- Risks and open issues: open Risk CTAs, overdue CTAs, red or declining measures, each with an owner and a next step.',
      '- Relationship map: key contacts, their roles and sentiment, the champion, gaps in executive coverage.',
      '- Renewal and commercials: ARR, renewal date and days to go, expansion opportunities (Expansion CTAs).',
      '- Plan for next quarter: objectives, owners, dates, and what we ask of the customer.',
      '',
      'Quote figures exactly as the tools return them and say when data is missing (no scorecard, no recent activity) ' +
        'instead of guessing. Do not create or change any record unless I ask you to.',
    ].join('\n');
    return {
      description: `QBR preparation for ${company.name}`,
      messages: [{ role: 'user', content: { type: 'resource', resource: summary.contents[0] } }, say(instructions)],
    };
  },
};

const MAX_WINDOW_DAYS = 730;

function withinDaysOf(value: string | undefined): number {
  if (value === undefined) return 90;
  const days = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(days >= 1 && days <= MAX_WINDOW_DAYS))
    throw new PromptArgumentError('renewal_risk_review', 'within_days', `within_days must be a whole number of days from 1 to ${MAX_WINDOW_DAYS}; got ${JSON.stringify(value)}`);
  return days;
}

const renewalRiskReview: PromptDefinition = {
  name: 'renewal_risk_review',
  title: 'Review renewal risk',
  description:
    'Find the accounts renewing soon that show risk (health not green, an open Risk CTA, or no activity for 30 days), ' +
    'rank them, and create a Risk CTA for each one that has none yet.',
  arguments: [
    {
      name: 'within_days',
      title: 'Renewing within (days)',
      description: `Look at renewals from today to this many days ahead: a whole number from 1 to ${MAX_WINDOW_DAYS}. Default 90.`,
      required: false,
    },
  ],
  async get(args) {
    const days = withinDaysOf(args.within_days);
    const text = [
      `Review renewal risk across the accounts I can see that renew in the next ${days} days.`,
      '',
      `1. Call analyze_accounts with this query (an account counts as at risk when its health is Red or Yellow, it has an open Risk CTA, or nobody logged any activity in 30 days):`,
      queryBlock(renewalRiskQuery(days)),
      '   and, for the headline (accounts and ARR at risk by health color):',
      queryBlock(renewalRiskTotalsQuery(days)),
      `   If you need other fields or filters, the query language is described in the resource ${ANALYSIS_GUIDE_URI}. If the result is truncated, say so.`,
      '2. Present the at-risk accounts as a table (account, owner, ARR, renewal date and days to go, health, open Risk CTAs, ' +
        'days since last activity), soonest renewal first, and name the main risk signal of each.',
      '3. For each account with open_risk_cta_count 0, create a Risk CTA with create_cta:',
      '   - company_id: the account\'s company_id; owner_id: its owner_id; type: "Risk";',
      '   - name: "Renewal risk: <renewal_date>"; priority: "High" when health is Red or the renewal is within 30 days, else "Medium";',
      '   - due_date: 14 days from today, or the day before the renewal if that is sooner (YYYY-MM-DD);',
      '   - reason: the signals that put it on this list, with their figures;',
      '   - idempotency_key: "renewal-risk-<company_id>-<renewal_date>", so running this review again never creates a second CTA for the same renewal.',
      '   Show me the list of CTAs you are about to create and wait for my go-ahead before creating them.',
      '4. Finish with what you created (CTA ids), what you skipped and why, and the total ARR at risk.',
    ].join('\n');
    return { description: `Renewal risk review, renewals in the next ${days} days`, messages: [say(text)] };
  },
};

/** An owner given as "me" is the caller. */
function ownerOf(value: string | undefined, context: ReadContext): string | null {
  if (value === undefined) return null;
  if (value.toLowerCase() === 'me') return context.principal.userId;
  if (/\s/.test(value) || value.length > 200)
    throw new PromptArgumentError('weekly_portfolio_check', 'owner', `owner must be a user id (or "me"), without spaces; got ${JSON.stringify(value)}`);
  return value;
}

const weeklyPortfolioCheck: PromptDefinition = {
  name: 'weekly_portfolio_check',
  title: 'Weekly portfolio check',
  description:
    'A weekly sweep of the book of business: overdue CTAs, red accounts, renewals in the next 30 days and accounts ' +
    'without activity for 30 days, with a prioritised to-do list.',
  arguments: [
    {
      name: 'owner',
      title: 'Owner',
      description: 'Only the accounts of this CSM: a user id, or "me". Default: every account you can see.',
      required: false,
      complete: completeOwnerId,
    },
  ],
  async get(args, context) {
    const owner = ownerOf(args.owner, context);
    const q = weeklyPortfolioQueries(owner);
    const scope = owner === null ? 'every account I can see' : `the accounts owned by ${owner}`;
    const text = [
      `Run my weekly portfolio check over ${scope}. Call analyze_accounts once per check with these queries:`,
      '',
      '1. Overdue CTAs (open, past their due date), most overdue first:',
      queryBlock(q.overdueCtas),
      '2. Red accounts (overall health Red), largest ARR first:',
      queryBlock(q.redAccounts),
      '3. Renewals in the next 30 days:',
      queryBlock(q.renewalsIn30Days),
      '4. Stale accounts: no timeline activity for 30 days or more (or never):',
      queryBlock(q.staleAccounts),
      '',
      'For detail on one account\'s CTAs use list_ctas with its company_id; for anything else the query language is described ' +
        `in the resource ${ANALYSIS_GUIDE_URI}.`,
      '',
      'Then report: one short section per check (a table; say when a result is truncated), then a prioritised to-do list for ' +
        'this week that puts accounts appearing in several checks first (for example red and renewing soon), each item with ' +
        'the account, why it is on the list and the next step. Do not create or change any record unless I ask you to.',
    ].join('\n');
    return { description: `Weekly portfolio check: ${scope}`, messages: [say(text)] };
  },
};

export const CS_PROMPTS: readonly PromptDefinition[] = [qbrPreparation, renewalRiskReview, weeklyPortfolioCheck];

export function findPrompt(name: string): PromptDefinition {
  const prompt = CS_PROMPTS.find((p) => p.name === name);
  if (!prompt)
    throw new PromptNotFoundError(
      name,
      CS_PROMPTS.map((p) => p.name),
    );
  return prompt;
}

/** prompts/list. */
export function listPrompts(): Prompt[] {
  return CS_PROMPTS.map(describePrompt);
}

/**
 * prompts/get. Throws PromptNotFoundError / PromptArgumentError (-32602) for an unknown prompt or a
 * missing, unknown or unusable argument.
 */
export async function getPrompt(name: string, args: Readonly<Record<string, unknown>> | undefined, context: ReadContext): Promise<GetPromptResult> {
  const prompt = findPrompt(name);
  return prompt.get(checkPromptArguments(prompt, args), context);
}
