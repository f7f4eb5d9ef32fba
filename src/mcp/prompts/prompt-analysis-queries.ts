import type { AnalysisQuery, FilterCondition, FilterNode } from '../../customer-success/analysis/analysis-query';

/**
 * The analyze_accounts queries the prompts hand the model. Built here, not written into the prompt
 * text by hand, so a unit test can run each through the real validator and compiler: a prompt must
 * never teach the model a query the server refuses.
 */

function allOf(conditions: readonly FilterNode[]): FilterNode {
  return conditions.length === 1 ? conditions[0] : { all: [...conditions] };
}

const RISK_FIELDS = [
  'company_id', 'name', 'owner_id', 'arr', 'renewal_date', 'renewal_in_days', 'health_score', 'health_color',
  'open_risk_cta_count', 'overdue_cta_count', 'days_since_last_activity',
];

/** A renewal is at risk when health is not green, a Risk CTA is open, or nobody has touched the account in 30 days. */
function renewalRiskFilter(withinDays: number): FilterNode {
  return allOf([
    { field: 'renewal_in_days', op: 'between', value: [0, withinDays] },
    {
      any: [
        { field: 'health_color', op: 'in', value: ['Red', 'Yellow'] },
        { field: 'open_risk_cta_count', op: 'gte', value: 1 },
        { field: 'days_since_last_activity', op: 'gte', value: 30 },
      ],
    },
  ]);
}

/** Accounts renewing within `withinDays` that show a risk signal, soonest renewal first. */
export function renewalRiskQuery(withinDays: number): AnalysisQuery {
  return {
    entity: 'companies',
    filter: renewalRiskFilter(withinDays),
    fields: RISK_FIELDS,
    sort: [
      { by: 'renewal_in_days', dir: 'asc' },
      { by: 'arr', dir: 'desc' },
    ],
    limit: 200,
  };
}

/** The same accounts in totals by health color: the headline (how much ARR is at risk). */
export function renewalRiskTotalsQuery(withinDays: number): AnalysisQuery {
  return {
    entity: 'companies',
    filter: renewalRiskFilter(withinDays),
    group_by: ['health_color'],
    metrics: [
      { fn: 'count', as: 'accounts' },
      { fn: 'sum', field: 'arr', as: 'arr_at_risk' },
    ],
    sort: [{ by: 'arr_at_risk', dir: 'desc' }],
  };
}

export interface WeeklyQueries {
  readonly overdueCtas: AnalysisQuery;
  readonly redAccounts: AnalysisQuery;
  readonly renewalsIn30Days: AnalysisQuery;
  readonly staleAccounts: AnalysisQuery;
}

/** The four checks of the weekly portfolio review; `ownerId` narrows them to one CSM's accounts. */
export function weeklyPortfolioQueries(ownerId: string | null): WeeklyQueries {
  const owner = (field: string): FilterCondition[] => (ownerId === null ? [] : [{ field, op: 'eq', value: ownerId }]);
  return {
    overdueCtas: {
      entity: 'ctas',
      // days_overdue exists only for open CTAs: >= 1 is "open and past its due date".
      filter: allOf([{ field: 'days_overdue', op: 'gte', value: 1 }, ...owner('company.owner_id')]),
      fields: ['cta_id', 'name', 'type', 'priority', 'status', 'owner_id', 'due_date', 'days_overdue', 'company_id', 'company.name'],
      sort: [{ by: 'days_overdue', dir: 'desc' }],
      limit: 100,
    },
    redAccounts: {
      entity: 'companies',
      filter: allOf([{ field: 'health_color', op: 'eq', value: 'Red' }, ...owner('owner_id')]),
      fields: ['company_id', 'name', 'owner_id', 'arr', 'health_score', 'health_as_of', 'renewal_date', 'open_risk_cta_count'],
      sort: [{ by: 'arr', dir: 'desc' }],
      limit: 100,
    },
    renewalsIn30Days: {
      entity: 'companies',
      filter: allOf([{ field: 'renewal_in_days', op: 'between', value: [0, 30] }, ...owner('owner_id')]),
      fields: ['company_id', 'name', 'owner_id', 'arr', 'renewal_date', 'renewal_in_days', 'health_color', 'open_cta_count'],
      sort: [{ by: 'renewal_in_days', dir: 'asc' }],
      limit: 100,
    },
    staleAccounts: {
      entity: 'companies',
      // An account never touched counts as infinitely stale: gte matches it.
      filter: allOf([{ field: 'days_since_last_activity', op: 'gte', value: 30 }, ...owner('owner_id')]),
      fields: ['company_id', 'name', 'owner_id', 'arr', 'last_activity_at', 'days_since_last_activity', 'health_color'],
      sort: [{ by: 'arr', dir: 'desc' }],
      limit: 100,
    },
  };
}
