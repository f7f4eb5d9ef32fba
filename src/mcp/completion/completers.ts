import { AnalyzeAccountsQuery } from '../../customer-success/analysis/analyze-accounts.query';
import type { AnalysisResult } from '../../customer-success/analysis/analysis-query';
import { ListCtasQuery } from '../../customer-success/queries/list-ctas/list-ctas.query';
import { ListSuccessPlansQuery } from '../../customer-success/queries/list-success-plans/list-success-plans.query';
import { MAX_TEXT } from '../../customer-success/queries/shared/input';
import { MAX_LIMIT } from '../../customer-success/queries/shared/pagination';
import { SearchCompaniesQuery, type SearchCompaniesResult } from '../../customer-success/queries/search-companies/search-companies.query';
import type { CompanyView, CtaView, SuccessPlanView } from '../../customer-success/queries/shared/views';
import type { ReadContext } from '../resources/resource-definition';

/** completion/complete's `completion` object: at most 100 values (MCP spec 2025-11-25). */
export interface CompletionValues {
  readonly values: string[];
  /** All the matches there are, when we know it; hasMore says when there are more than `values`. */
  readonly total?: number;
  readonly hasMore: boolean;
}

/**
 * Completes one argument from what the caller typed so far. `resolved` holds the arguments the client
 * already filled in (completion/complete `context.arguments`). Every completer reads through the
 * viewer's scope, so it never suggests a record the caller could not read.
 */
export type Completer = (value: string, context: ReadContext, resolved: Readonly<Record<string, string>>) => Promise<CompletionValues>;

export const MAX_COMPLETIONS = 100;
export const NO_COMPLETIONS: CompletionValues = { values: [], total: 0, hasMore: false };

/** Pages of name matches read for one completion: ranking needs every match, but a keystroke must stay cheap. */
const NAME_SCAN_PAGES = 5;

function answer(values: readonly string[], complete: boolean): CompletionValues {
  const unique = [...new Set(values)];
  const hasMore = unique.length > MAX_COMPLETIONS || !complete;
  return { values: unique.slice(0, MAX_COMPLETIONS), ...(complete ? { total: unique.length } : {}), hasMore };
}

/** Case-insensitive prefix matches first, then the other matches, each in the order given. */
function prefixFirst<T>(items: readonly T[], key: (item: T) => string, typed: string): T[] {
  const lower = typed.toLowerCase();
  const starts = items.filter((item) => key(item).toLowerCase().startsWith(lower));
  return [...starts, ...items.filter((item) => !key(item).toLowerCase().startsWith(lower))];
}

/** Text a search accepts; longer input can match no name (names are limited to it too). */
function typedText(value: string): string | null {
  const text = value.trim();
  return text.length > MAX_TEXT ? null : text;
}

/** Visible companies whose name contains `text` (any case), name-prefix matches first. */
async function companiesNamed(text: string, context: ReadContext): Promise<{ companies: CompanyView[]; complete: boolean }> {
  const companies: CompanyView[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < NAME_SCAN_PAGES; page++) {
    context.signal.throwIfAborted();
    const result: SearchCompaniesResult = await context.queries.execute(
      new SearchCompaniesQuery(context.viewer, {
        ...(text === '' ? {} : { text }),
        sort: 'name',
        limit: MAX_LIMIT,
        ...(cursor ? { cursor } : {}),
        ...(context.after ? { after: context.after } : {}),
      }),
    );
    companies.push(...result.items);
    if (result.nextCursor === null) return { companies: prefixFirst(companies, (c) => c.name, text), complete: true };
    // Without text every company matches and name order is the ranking: one page is enough.
    if (text === '') return { companies, complete: false };
    cursor = result.nextCursor;
  }
  return { companies: prefixFirst(companies, (c) => c.name, text), complete: false };
}

/** Visible company ids starting with `text` (any case), by id. The analysis is the only scoped read that filters on ids. */
async function companyIdsStartingWith(text: string, context: ReadContext): Promise<{ ids: string[]; complete: boolean }> {
  if (text === '' || /\s/.test(text)) return { ids: [], complete: true };
  context.signal.throwIfAborted();
  const result: AnalysisResult = await context.queries.execute(
    new AnalyzeAccountsQuery({
      query: {
        entity: 'companies',
        filter: { field: 'company_id', op: 'contains', value: text },
        fields: ['company_id'],
        sort: [{ by: 'company_id', dir: 'asc' }],
        limit: 1000,
      },
      viewer: context.viewer,
    }),
  );
  const lower = text.toLowerCase();
  const ids = result.rows.map((row) => String(row.company_id)).filter((id) => id.toLowerCase().startsWith(lower));
  const exact = ids.filter((id) => id === text);
  return { ids: [...exact, ...ids.filter((id) => id !== text)], complete: !result.truncated };
}

/**
 * For a `{company_id}` URI variable: ids, since the client puts the value into the URI. Found by id
 * prefix (a pasted or half-typed id) and by the company's name (what people type), in that order.
 */
export const completeCompanyId: Completer = async (value, context) => {
  const text = typedText(value);
  if (text === null) return NO_COMPLETIONS;
  const [byId, byName] = await Promise.all([companyIdsStartingWith(text, context), companiesNamed(text, context)]);
  return answer([...byId.ids, ...byName.companies.map((c) => c.companyId)], byId.complete && byName.complete);
};

/** For a prompt argument that takes a company by name: names (the prompt resolves a name, or an id, itself). */
export const completeCompanyName: Completer = async (value, context) => {
  const text = typedText(value);
  if (text === null) return NO_COMPLETIONS;
  const { companies, complete } = await companiesNamed(text, context);
  return answer(
    companies.map((c) => c.name),
    complete,
  );
};

/** Matches a record by id prefix or by name (contains), any case; id-prefix matches first. */
function idOrName<T>(items: readonly T[], id: (item: T) => string, name: (item: T) => string, typed: string): string[] {
  const lower = typed.trim().toLowerCase();
  const byId = items.filter((item) => id(item).toLowerCase().startsWith(lower));
  const byName = prefixFirst(
    items.filter((item) => name(item).toLowerCase().includes(lower)),
    name,
    lower,
  );
  return [...byId, ...byName].map(id);
}

/**
 * For `{cta_id}`: among the 100 most recently changed CTAs the caller can see (the CTA queries have no
 * text search), those whose id starts with or whose name contains what was typed.
 */
export const completeCtaId: Completer = async (value, context) => {
  context.signal.throwIfAborted();
  const page = await context.queries.execute(
    new ListCtasQuery(context.viewer, { sort: 'updatedAt', limit: MAX_LIMIT, ...(context.after ? { after: context.after } : {}) }),
  );
  const items: CtaView[] = page.items;
  return answer(
    idOrName(items, (c) => c.ctaId, (c) => c.name, value),
    page.nextCursor === null,
  );
};

/** For `{success_plan_id}`: as for CTAs, among the 100 most recently changed plans. */
export const completeSuccessPlanId: Completer = async (value, context) => {
  context.signal.throwIfAborted();
  const page = await context.queries.execute(
    new ListSuccessPlansQuery(context.viewer, { sort: 'updatedAt', limit: MAX_LIMIT, ...(context.after ? { after: context.after } : {}) }),
  );
  const items: SuccessPlanView[] = page.items;
  return answer(
    idOrName(items, (p) => p.successPlanId, (p) => p.name, value),
    page.nextCursor === null,
  );
};

/** For an `owner` argument: ids of the users owning companies the caller can see. */
export const completeOwnerId: Completer = async (value, context) => {
  context.signal.throwIfAborted();
  const result: AnalysisResult = await context.queries.execute(
    new AnalyzeAccountsQuery({
      query: {
        entity: 'companies',
        filter: { field: 'owner_id', op: 'is_not_null' },
        group_by: ['owner_id'],
        metrics: [{ fn: 'count', as: 'accounts' }],
        sort: [{ by: 'owner_id', dir: 'asc' }],
        limit: 1000,
      },
      viewer: context.viewer,
    }),
  );
  const lower = value.trim().toLowerCase();
  const owners = result.rows.map((row) => String(row.owner_id)).filter((id) => id.toLowerCase().startsWith(lower));
  return answer(owners, !result.truncated);
};
