import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { CreditsService, type BalanceView } from '../../credits/credits.service';
import { GetCreditBalanceQuery } from './get-credit-balance.query';

/** From the ledger itself (the audit-log stream, re-read), not a read model: a grant counts at once. */
@QueryHandler(GetCreditBalanceQuery)
export class GetCreditBalanceHandler implements IQueryHandler<GetCreditBalanceQuery> {
  constructor(private readonly credits: CreditsService) {}

  execute(query: GetCreditBalanceQuery): Promise<BalanceView> {
    return this.credits.balance(query.caller, query.now);
  }
}
