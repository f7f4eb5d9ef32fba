import { Query } from '@nestjs/cqrs';

export const USAGE_DIMENSIONS = ['user', 'integration', 'tool'] as const;
export type UsageDimension = (typeof USAGE_DIMENSIONS)[number];
export const USAGE_PERIODS = ['day', 'week', 'month', 'total'] as const;
export type UsagePeriod = (typeof USAGE_PERIODS)[number];

export interface GetCreditUsageInput {
  /** Inclusive: a date (YYYY-MM-DD, UTC) or an ISO date-time. Default: the first day of this month. */
  readonly since?: string;
  /** Inclusive: default now. */
  readonly until?: string;
  /** Default ['user']. An empty list gives one row per period. */
  readonly groupBy?: UsageDimension[];
  /** Default total. Weeks start on Monday and are named by that day. */
  readonly period?: UsagePeriod;
}

export interface UsageRow {
  /** The day (YYYY-MM-DD), the week's Monday, the month (YYYY-MM), or null for the whole range. */
  readonly period: string | null;
  readonly user?: { readonly id: string; readonly email: string | null };
  readonly integration?: { readonly id: string | null; readonly name: string | null };
  readonly tool?: string;
  readonly calls: number;
  readonly chargedCalls: number;
  readonly refusedCalls: number;
  readonly failedCalls: number;
  readonly credits: number;
}

export interface CreditUsageResult {
  readonly since: string;
  readonly until: string;
  readonly groupBy: UsageDimension[];
  readonly period: UsagePeriod;
  readonly rows: UsageRow[];
  readonly totals: { readonly calls: number; readonly credits: number };
}

/** Credits charged and calls made, by user / integration / tool and day / week / month. Admins only. */
export class GetCreditUsageQuery extends Query<CreditUsageResult> {
  constructor(
    readonly input: GetCreditUsageInput = {},
    readonly now: Date = new Date(),
  ) {
    super();
  }
}
