import type { SqlExecutor } from '@csmcp/projections';
import { OVERALL_MEASURE } from '../../read-models/customer-success.tables';
import { notFound } from './query-error';
import { canSeeOwner, type ViewerScope } from './viewer';
import {
  COMPANY_COLUMNS,
  COMPANY_FROM,
  CONTACT_COLUMNS,
  RELATIONSHIP_COLUMNS,
  toCompanyView,
  toContactView,
  toMeasureView,
  toRelationshipView,
  trendOf,
  type CompanyRow,
  type CompanyView,
  type ContactRow,
  type ContactView,
  type MeasureRow,
  type RelationshipRow,
  type RelationshipView,
  type ScorecardMeasureView,
  type ScorePoint,
  type Trend,
} from './views';

/** Reads shared by the company-level queries. Each takes the viewer's scope into account. */

export const COMPANY_HINT = 'search_companies finds companies by name, segment, owner or renewal date';

/** The company, if the viewer may see it; otherwise NOT_FOUND, exactly as for an unknown id. */
export async function visibleCompany(db: SqlExecutor, viewer: ViewerScope, companyId: string): Promise<CompanyView> {
  const row = await db.get<CompanyRow>(`SELECT ${COMPANY_COLUMNS} FROM ${COMPANY_FROM} WHERE c.company_id = ?`, [companyId]);
  if (!row || !canSeeOwner(viewer, row.owner_id)) throw notFound('company', companyId, COMPANY_HINT);
  return toCompanyView(row);
}

/** True when the company exists and the viewer may see it. */
export async function isCompanyVisible(db: SqlExecutor, viewer: ViewerScope, companyId: string): Promise<boolean> {
  const row = await db.get<{ owner_id: string | null }>('SELECT owner_id FROM cs_companies WHERE company_id = ?', [companyId]);
  return row !== undefined && canSeeOwner(viewer, row.owner_id);
}

export async function relationshipsOf(db: SqlExecutor, companyId: string): Promise<RelationshipView[]> {
  const rows = await db.all<RelationshipRow>(
    `SELECT ${RELATIONSHIP_COLUMNS} FROM cs_relationships r WHERE r.company_id = ? ORDER BY r.name, r.relationship_id`,
    [companyId],
  );
  return rows.map(toRelationshipView);
}

/** Primary contacts first, then by name. */
export async function contactsOf(db: SqlExecutor, companyId: string): Promise<ContactView[]> {
  const rows = await db.all<ContactRow>(
    `SELECT ${CONTACT_COLUMNS} FROM cs_contacts p WHERE p.company_id = ? ORDER BY p.is_primary DESC, p.name, p.contact_id`,
    [companyId],
  );
  return rows.map(toContactView);
}

export interface OverallHealth {
  score: number;
  color: ScorePoint['color'];
  asOf: string;
  previousScore: number | null;
  trend: Trend | null;
}

/** The latest overall score with the one before it, from the history. */
export async function overallHealth(db: SqlExecutor, companyId: string): Promise<OverallHealth | null> {
  const [latest, previous] = await db.all<{ as_of: string; score: number; color: string }>(
    'SELECT as_of, score, color FROM cs_scorecard_history WHERE company_id = ? AND measure = ? ORDER BY as_of DESC LIMIT 2',
    [companyId, OVERALL_MEASURE],
  );
  if (!latest) return null;
  const previousScore = previous ? Number(previous.score) : null;
  return {
    score: Number(latest.score),
    color: latest.color as ScorePoint['color'],
    asOf: latest.as_of,
    previousScore,
    trend: trendOf(Number(latest.score), previousScore),
  };
}

/** Each measure's latest reading, by name. */
export async function measuresOf(db: SqlExecutor, companyId: string): Promise<ScorecardMeasureView[]> {
  const rows = await db.all<MeasureRow>(
    `SELECT name, score, color, comment, previous_score, trend, as_of FROM cs_scorecard_measures WHERE company_id = ? ORDER BY name`,
    [companyId],
  );
  return rows.map(toMeasureView);
}

/** Whole days from `today` to `date` (negative when it is past), both YYYY-MM-DD. */
export function daysBetween(today: string, date: string): number {
  return Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000);
}
