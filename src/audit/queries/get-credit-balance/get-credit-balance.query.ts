import { Query } from '@nestjs/cqrs';
import type { BalanceView } from '../../credits/credits.service';

/** The organisation's balance and prices, and the caller's (and its integration's) use this month. */
export class GetCreditBalanceQuery extends Query<BalanceView> {
  constructor(
    readonly caller: { readonly userId: string; readonly integrationId: string | null } | null,
    readonly now: Date = new Date(),
  ) {
    super();
  }
}
