import { getCreditUsageTool } from './admin/get-credit-usage.tool';
import { queryAuditLogTool } from './admin/query-audit-log.tool';
import { analyzeAccountsTool } from './read/analyze-accounts.tool';
import { authorizeConnectorTool } from './read/authorize-connector.tool';
import { getCreditBalanceTool } from './read/get-credit-balance.tool';
import { getAccountBriefTool } from './read/get-account-brief.tool';
import { getAccountSummaryTool } from './read/get-account-summary.tool';
import { getCompanyTool } from './read/get-company.tool';
import { getCtaTool } from './read/get-cta.tool';
import { getScorecardTool } from './read/get-scorecard.tool';
import { getSuccessPlanTool } from './read/get-success-plan.tool';
import { listCtasTool } from './read/list-ctas.tool';
import { listSuccessPlansTool } from './read/list-success-plans.tool';
import { listTimelineActivitiesTool } from './read/list-timeline-activities.tool';
import { searchCompaniesTool } from './read/search-companies.tool';
import type { ToolDefinition } from './tool-definition';
import { createCtaTaskTool } from './write/create-cta-task.tool';
import { createCtaTool } from './write/create-cta.tool';
import { createSuccessPlanTool } from './write/create-success-plan.tool';
import { createTimelineActivityTool } from './write/create-timeline-activity.tool';
import { updateCtaTool } from './write/update-cta.tool';
import { updateSuccessPlanTool } from './write/update-success-plan.tool';
import { updateTimelineActivityTool } from './write/update-timeline-activity.tool';

export type { JsonSchemaObject, ToolAnnotations, ToolContext, ToolDefinition, ToolOutput } from './tool-definition';
export { toToolError, type FieldProblem, type ToolError } from './tool-errors';

/** The MCP tools (names are a contract: PRODUCT.md). Reads first, then writes, then the admin tools. */
export const CS_TOOLS: readonly ToolDefinition[] = Object.freeze([
  searchCompaniesTool,
  getCompanyTool,
  getAccountSummaryTool,
  listCtasTool,
  getCtaTool,
  listSuccessPlansTool,
  getSuccessPlanTool,
  listTimelineActivitiesTool,
  getScorecardTool,
  analyzeAccountsTool,
  getCreditBalanceTool,
  getAccountBriefTool,
  authorizeConnectorTool,
  createCtaTool,
  updateCtaTool,
  createCtaTaskTool,
  createSuccessPlanTool,
  updateSuccessPlanTool,
  createTimelineActivityTool,
  updateTimelineActivityTool,
  queryAuditLogTool,
  getCreditUsageTool,
]);

/** The tool of that name, or undefined. */
export function findCsTool(name: string): ToolDefinition | undefined {
  return CS_TOOLS.find((t) => t.name === name);
}
