import type { CtaStatus } from '../../customer-success/shared/values';
import { WRITE_TOOLS, type CallerRole, type PolicyConfig, type WriteTool } from './policy-config';

export type WriteOperation = 'create' | 'update' | 'delete';

export const WRITE_ENTITIES = [
  'cta',
  'cta_task',
  'success_plan',
  'timeline_activity',
  'company',
  'relationship',
  'contact',
  'scorecard',
  'admin_config',
] as const;
export type WriteEntity = (typeof WRITE_ENTITIES)[number];

/** Who asks. The transport's verified caller (with more fields) can be passed as is. */
export interface PolicyCaller {
  /** A user (absent = user), or a machine client (client credentials): then userId is its client id. */
  readonly actor?: 'user' | 'client';
  readonly userId: string;
  readonly role: CallerRole;
  /** personal: a personal-access caller writes only to companies it may see. */
  readonly accessContext: 'shared' | 'personal';
  /** The integration (OAuth client) the call came through; null for a personal access token or the CLI. */
  readonly integrationId: string | null;
}

/**
 * One write an MCP caller asks for, as the policy needs it. Ids are the ones in the request; the
 * policy looks up the rest (a CTA's company and status, ...) itself.
 */
export interface WriteRequest {
  /** The MCP tool (or CLI command) that asked: for the record of a refusal. */
  readonly toolName: string;
  readonly operation: WriteOperation;
  readonly entity: WriteEntity;
  readonly caller: PolicyCaller;
  /** The record written: for updates (and deletes) the record's id. */
  readonly entityId?: string;
  /** For creates of CTAs, success plans and timeline activities: the company given. */
  readonly companyId?: string;
  readonly relationshipId?: string | null;
  /** For a CTA of type Objective: its success plan. */
  readonly successPlanId?: string | null;
  /** For create_cta_task: the CTA the task goes on (for update_cta, entityId is enough). */
  readonly ctaId?: string;
  /** Users named as owner (CTA, task, plan) by this write. */
  readonly ownerIds?: readonly string[];
  /** For update_cta: the status asked for, if any. */
  readonly requestedCtaStatus?: string;
  /** For timeline activities: where it is attached. */
  readonly contextKind?: string;
  readonly contextId?: string;
}

/**
 * What the policy may ask of the read side. Plain async functions (read models in production,
 * literals in specs); the policy never touches a database itself.
 */
export interface PolicyLookups {
  companyExists(companyId: string): Promise<boolean>;
  /** The company a relationship belongs to, or null if there is no such relationship. */
  companyOfRelationship(relationshipId: string): Promise<string | null>;
  findCta(ctaId: string): Promise<{ companyId: string; status: CtaStatus } | null>;
  findSuccessPlan(successPlanId: string): Promise<{ companyId: string } | null>;
  findTimelineActivity(activityId: string): Promise<{ companyId: string } | null>;
  userExists(userId: string): Promise<boolean>;
  /** Whether the caller may see the company (its own book of business for personal access). */
  canSeeCompany(caller: PolicyCaller, companyId: string): Promise<boolean>;
}

export interface PolicyContext {
  readonly config: PolicyConfig;
  readonly lookups: PolicyLookups;
}

/** Stable codes of write-policy refusals: clients may branch on them; never rename one. */
export type PolicyRefusalCode =
  | 'NO_DELETES'
  | 'NO_ADMIN_CONFIGURATION'
  | 'NO_COMPANY_UPDATES'
  | 'NO_SCORECARD_WRITES'
  | 'NO_TIMELINE_ON_SCORECARD'
  | 'OPERATION_NOT_SUPPORTED'
  | 'ROLE_CANNOT_WRITE'
  | 'TOOL_DISABLED'
  | 'CTA_NOT_FOUND'
  | 'SUCCESS_PLAN_NOT_FOUND'
  | 'TIMELINE_ACTIVITY_NOT_FOUND'
  | 'COMPANY_NOT_FOUND'
  | 'COMPANY_NOT_VISIBLE'
  | 'RELATIONSHIP_NOT_FOUND'
  | 'RELATIONSHIP_NOT_OF_COMPANY'
  | 'SUCCESS_PLAN_NOT_OF_COMPANY'
  | 'CTA_NOT_OF_COMPANY'
  | 'OWNER_NOT_A_USER'
  | 'OWNER_REQUIRED'
  | 'CTA_REOPEN_NOT_ALLOWED'
  | 'TASK_ON_CLOSED_CTA';

export interface PolicyRefusal {
  readonly code: PolicyRefusalCode;
  /** What was refused and why, and what is allowed instead: for the LLM, the user and the audit trail. */
  readonly message: string;
}

/** One rule: null lets the write through to the next rule, a refusal stops it. */
export type WritePolicyRule = (request: WriteRequest, context: PolicyContext) => PolicyRefusal | null | Promise<PolicyRefusal | null>;

export const refuse = (code: PolicyRefusalCode, message: string): PolicyRefusal => ({ code, message });

/** The write tool an operation on an entity goes through; null when MCP has no such write. */
export function writeToolFor(operation: WriteOperation, entity: WriteEntity): WriteTool | null {
  const tool = `${operation}_${entity}`;
  return (WRITE_TOOLS as readonly string[]).includes(tool) ? (tool as WriteTool) : null;
}

/** How a rule names an entity in a message. */
export const ENTITY_LABEL: Record<WriteEntity, string> = {
  cta: 'CTA',
  cta_task: 'CTA task',
  success_plan: 'success plan',
  timeline_activity: 'timeline activity',
  company: 'company',
  relationship: 'relationship',
  contact: 'contact',
  scorecard: 'scorecard',
  admin_config: 'admin configuration',
};
