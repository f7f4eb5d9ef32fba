import { refuse, type WritePolicyRule } from '../write-request';

/** PRODUCT.md: never through MCP: timeline activities attached to a scorecard. */
export const noTimelineOnScorecard: WritePolicyRule = (request) => {
  if (request.entity !== 'timeline_activity' || request.contextKind !== 'scorecard') return null;
  return refuse(
    'NO_TIMELINE_ON_SCORECARD',
    'Timeline activities cannot be attached to a scorecard. Attach the activity to the company, a relationship, a success plan or a CTA instead',
  );
};
