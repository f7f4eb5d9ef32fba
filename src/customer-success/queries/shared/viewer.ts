import type { SqlParam } from '@csmcp/projections';
import { QueryError } from './query-error';

/**
 * Who is reading. `visibleOwnerIds: null` sees every company (shared access, admins); a list sees
 * only the companies whose owner is in it, and their relationships, contacts, CTAs, plans, timeline
 * and scorecards. Everything else answers as if it did not exist.
 */
export interface ViewerScope {
  readonly userId: string;
  readonly visibleOwnerIds: readonly string[] | null;
}

/** A viewer that sees everything: for admin tools, the CLI and tests. */
export const UNRESTRICTED_VIEWER = (userId: string): ViewerScope => ({ userId, visibleOwnerIds: null });

/** Fails closed: a query without a well-formed viewer is a bug in its caller, never "see everything". */
export function checkViewer(viewer: unknown): ViewerScope {
  const v = viewer as { userId?: unknown; visibleOwnerIds?: unknown } | null | undefined;
  if (typeof v !== 'object' || v === null || typeof v.userId !== 'string' || v.userId === '')
    throw new QueryError('INVALID_QUERY', 'viewer is required: { userId, visibleOwnerIds } of the caller');
  if (v.visibleOwnerIds !== null && (!Array.isArray(v.visibleOwnerIds) || v.visibleOwnerIds.some((id) => typeof id !== 'string')))
    throw new QueryError('INVALID_QUERY', 'viewer.visibleOwnerIds must be null (sees everything) or a list of owner ids');
  return { userId: v.userId, visibleOwnerIds: v.visibleOwnerIds as readonly string[] | null };
}

/**
 * The condition restricting rows to the viewer's companies. `ownerColumn` is the owner_id column of
 * the cs_companies row joined to the rows read. Nothing to add for an unrestricted viewer.
 */
export function ownerCondition(viewer: ViewerScope, ownerColumn: string): { sql: string; params: SqlParam[] } | null {
  if (viewer.visibleOwnerIds === null) return null;
  if (viewer.visibleOwnerIds.length === 0) return { sql: '1 = 0', params: [] };
  return { sql: `${ownerColumn} IN (${viewer.visibleOwnerIds.map(() => '?').join(', ')})`, params: [...viewer.visibleOwnerIds] };
}

/** True when the viewer may see a company with this owner. */
export function canSeeOwner(viewer: ViewerScope, ownerId: string | null): boolean {
  return viewer.visibleOwnerIds === null || (ownerId !== null && viewer.visibleOwnerIds.includes(ownerId));
}
