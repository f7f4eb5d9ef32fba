import { GetScorecardQuery, type GetScorecardInput, type GetScorecardResult } from '../../../customer-success/queries/get-scorecard/get-scorecard.query';
import { snakeObject } from '../shared/case';
import { id, integer } from '../shared/input-schemas';
import { SCORECARD } from '../shared/output-schemas';
import { readTool } from '../shared/read-tool';
import { bullet } from '../shared/render';

export const getScorecardTool = readTool({
  name: 'get_scorecard',
  title: 'Get a scorecard',
  description:
    "A company's health scorecard: the overall score (0-100, Red/Yellow/Green) and each measure (e.g. product usage, support, NPS) with its latest score, " +
    'comment, previous score and trend (up/down/flat), plus each one\'s history of readings (oldest first). Use it for "how has health changed" questions; ' +
    'get_account_summary already has the latest scores. Read-only: scorecards cannot be written through MCP, nor can timeline activities be attached to them.',
  args: {
    company_id: { schema: id('The company id (from search_companies).'), required: true },
    history_limit: { schema: integer(1, 100, 12, 'Readings of history per measure (the most recent ones): 1-100, default 12.') },
  },
  outputSchema: SCORECARD,
  query: (viewer, input: GetScorecardInput) => new GetScorecardQuery(viewer, input),
  structured: (r) => snakeObject(r),
  text: scorecardText,
});

function scorecardText(r: GetScorecardResult): string {
  if (!r.overall) return `${r.companyName} [${r.companyId}]: no scorecard recorded.`;
  const series = (points: Array<{ score: number }>) => (points.length > 1 ? ` — history ${points.map((p) => p.score).join(' → ')}` : '');
  const trend = (t: string | null, previous: number | null) => (t ? ` (${t} from ${previous})` : '');
  return [
    `${r.companyName} [${r.companyId}] overall ${r.overall.score} ${r.overall.color} as of ${r.overall.asOf}${trend(r.overall.trend, r.overall.previousScore)}${series(r.overall.history)}`,
    ...r.measures.map((m) => bullet(`${m.name}: ${m.score} ${m.color}${trend(m.trend, m.previousScore)}${m.comment ? ` — ${m.comment}` : ''}${series(m.history)}`)),
  ].join('\n');
}
