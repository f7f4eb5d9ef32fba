import { companyExists } from './rules/company-exists.rule';
import { companyVisible } from './rules/company-visible.rule';
import { ctaContextOfCompany } from './rules/cta-context-of-company.rule';
import { ctaReopen } from './rules/cta-reopen.rule';
import { noAdminConfiguration } from './rules/no-admin-configuration.rule';
import { noCompanyUpdates } from './rules/no-company-updates.rule';
import { noDeletes } from './rules/no-deletes.rule';
import { noScorecardWrites } from './rules/no-scorecard-writes.rule';
import { noTimelineOnScorecard } from './rules/no-timeline-on-scorecard.rule';
import { ownerIsUser } from './rules/owner-is-user.rule';
import { ownerNamedForClient } from './rules/owner-named-for-client.rule';
import { recordExists } from './rules/record-exists.rule';
import { relationshipOfCompany } from './rules/relationship-of-company.rule';
import { roleCanWrite } from './rules/role-can-write.rule';
import { successPlanOfCompany } from './rules/success-plan-of-company.rule';
import { supportedOperation } from './rules/supported-operation.rule';
import { taskOnOpenCta } from './rules/task-on-open-cta.rule';
import { toolEnabled } from './rules/tool-enabled.rule';
import { memoizeLookups } from './target';
import type { PolicyContext, PolicyRefusal, WritePolicyRule, WriteRequest } from './write-request';

/**
 * The write policy, in the order it is checked; the first refusal wins. What MCP may never do comes
 * first (whatever the caller's role), then the admin's switches, then the records the write names.
 * Company visibility is checked before the relationship, plan and CTA rules so that a
 * personal-access caller learns nothing about another book of business from their answers.
 */
export const WRITE_POLICY_RULES: ReadonlyArray<readonly [name: string, rule: WritePolicyRule]> = [
  ['no-deletes', noDeletes], //                                 NO_DELETES
  ['no-admin-configuration', noAdminConfiguration], //          NO_ADMIN_CONFIGURATION
  ['no-company-updates', noCompanyUpdates], //                  NO_COMPANY_UPDATES
  ['no-scorecard-writes', noScorecardWrites], //                NO_SCORECARD_WRITES
  ['no-timeline-on-scorecard', noTimelineOnScorecard], //       NO_TIMELINE_ON_SCORECARD
  ['supported-operation', supportedOperation], //               OPERATION_NOT_SUPPORTED
  ['role-can-write', roleCanWrite], //                          ROLE_CANNOT_WRITE
  ['tool-enabled', toolEnabled], //                             TOOL_DISABLED
  ['record-exists', recordExists], //                           CTA_NOT_FOUND, SUCCESS_PLAN_NOT_FOUND, TIMELINE_ACTIVITY_NOT_FOUND
  ['company-exists', companyExists], //                         COMPANY_NOT_FOUND
  ['company-visible', companyVisible], //                       COMPANY_NOT_VISIBLE
  ['relationship-of-company', relationshipOfCompany], //        RELATIONSHIP_NOT_FOUND, RELATIONSHIP_NOT_OF_COMPANY
  ['success-plan-of-company', successPlanOfCompany], //         SUCCESS_PLAN_NOT_FOUND, SUCCESS_PLAN_NOT_OF_COMPANY
  ['cta-context-of-company', ctaContextOfCompany], //           CTA_NOT_FOUND, CTA_NOT_OF_COMPANY
  ['owner-named-for-client', ownerNamedForClient], //          OWNER_REQUIRED
  ['owner-is-user', ownerIsUser], //                            OWNER_NOT_A_USER
  ['cta-reopen', ctaReopen], //                                 CTA_REOPEN_NOT_ALLOWED
  ['task-on-open-cta', taskOnOpenCta], //                       TASK_ON_CLOSED_CTA
];

export type PolicyDecision = { readonly allowed: true } | { readonly allowed: false; readonly refusal: PolicyRefusal; readonly rule: string };

/** Whether the write may go ahead; a refusal says which rule refused, with its code and message. */
export async function evaluate(request: WriteRequest, context: PolicyContext): Promise<PolicyDecision> {
  const memoized: PolicyContext = { config: context.config, lookups: memoizeLookups(context.lookups) };
  for (const [name, rule] of WRITE_POLICY_RULES) {
    const refusal = await rule(request, memoized);
    if (refusal) return { allowed: false, refusal, rule: name };
  }
  return { allowed: true };
}
