import type { WriteCaller } from './write-context';

/** What the write pipeline asks the write policy about one write. */
export interface PolicyQuestion {
  readonly toolName: string;
  readonly operation: 'create' | 'update' | 'delete';
  readonly entity: 'cta' | 'cta_task' | 'success_plan' | 'timeline_activity' | 'company' | 'relationship' | 'contact' | 'scorecard' | 'admin_config';
  readonly entityId?: string;
  readonly companyId?: string;
  readonly relationshipId?: string | null;
  readonly ownerIds?: readonly string[];
  /** For CTA updates and tasks: the CTA concerned. */
  readonly ctaId?: string;
  readonly successPlanId?: string;
  /** For a CTA update: the status asked for (reopening a closed CTA is the policy's call). */
  readonly requestedCtaStatus?: string;
  /** For timeline activities: where it is attached. */
  readonly contextKind?: string;
  readonly contextId?: string;
}

export interface PolicyRefusal {
  readonly code: string;
  readonly message: string;
}

export interface WritePolicyPort {
  /** null when the write may go ahead. */
  check(question: PolicyQuestion, caller: WriteCaller): Promise<PolicyRefusal | null>;
  /** Whether an LLM may reopen a closed CTA (the decider needs the answer as `allowReopen`). */
  mayReopenCta(caller: WriteCaller): boolean;
}

export const WRITE_POLICY = Symbol('WRITE_POLICY');
