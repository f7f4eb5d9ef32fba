import type { DomainCommand } from '../shared/decider';
import type { SuccessPlanStatus } from '../shared/values';

export type CreateSuccessPlan = DomainCommand<
  'CreateSuccessPlan',
  {
    successPlanId: string;
    companyId: string;
    relationshipId?: string | null;
    name: string;
    /** Free text, at most 100 characters: Onboarding, Adoption, Renewal, ... */
    planType?: string | null;
    /** Draft (default) or Active: a plan is not created finished. */
    status?: SuccessPlanStatus;
    ownerId: string;
    /** YYYY-MM-DD. */
    startDate?: string | null;
    /** YYYY-MM-DD, not before startDate. */
    dueDate?: string | null;
    description?: string | null;
  }
>;

/** Only the fields to change. Left out = unchanged; null clears an optional field. Company and relationship are fixed. */
export type UpdateSuccessPlan = DomainCommand<
  'UpdateSuccessPlan',
  {
    successPlanId: string;
    name?: string;
    planType?: string | null;
    status?: SuccessPlanStatus;
    ownerId?: string;
    startDate?: string | null;
    dueDate?: string | null;
    description?: string | null;
  }
>;

export type SuccessPlanCommand = CreateSuccessPlan | UpdateSuccessPlan;
