import type { DomainCommand } from '../shared/decider';
import type { CtaStatus, CtaType, Priority, TaskStatus } from '../shared/values';

/**
 * Command data as the handler hands it over. Optional fields may be left out; text is trimmed and
 * blank optional text counts as none. The decider validates every field again (types, enums, dates, lengths).
 */
export type CreateCta = DomainCommand<
  'CreateCta',
  {
    ctaId: string;
    companyId: string;
    relationshipId?: string | null;
    /** Required for type Objective (the plan the objective belongs to), refused for other types. */
    successPlanId?: string | null;
    name: string;
    type: CtaType;
    /** Default Medium. */
    priority?: Priority;
    /** New (default) or WorkInProgress: a CTA is created open. */
    status?: CtaStatus;
    ownerId: string;
    /** YYYY-MM-DD. */
    dueDate?: string | null;
    reason?: string | null;
    comments?: string | null;
  }
>;

/**
 * Only the fields to change. Left out (undefined) = unchanged; null clears an optional field.
 * Type, company, relationship and success plan are fixed at creation.
 */
export type UpdateCta = DomainCommand<
  'UpdateCta',
  {
    ctaId: string;
    name?: string;
    priority?: Priority;
    status?: CtaStatus;
    ownerId?: string;
    dueDate?: string | null;
    reason?: string | null;
    comments?: string | null;
    /** Granted by the write policy: lets this update move a closed CTA back to New or WorkInProgress. */
    allowReopen?: boolean;
  }
>;

export type CreateCtaTask = DomainCommand<
  'CreateCtaTask',
  {
    ctaId: string;
    taskId: string;
    title: string;
    description?: string | null;
    /** Default: the CTA's owner. */
    ownerId?: string;
    dueDate?: string | null;
    /** Default: the CTA's priority. */
    priority?: Priority;
    /** Default Open. */
    status?: TaskStatus;
  }
>;

export type CtaCommand = CreateCta | UpdateCta | CreateCtaTask;
