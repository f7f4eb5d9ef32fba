import { refuse, type WritePolicyRule } from '../write-request';

/** PRODUCT.md: never through MCP: scorecard writes. */
export const noScorecardWrites: WritePolicyRule = (request) => {
  if (request.entity !== 'scorecard') return null;
  return refuse(
    'NO_SCORECARD_WRITES',
    'Scorecards cannot be written through MCP: health scores and measures come from the admin import, and MCP may only read them. ' +
      'To flag a health concern, create a Risk CTA or log a timeline activity',
  );
};
