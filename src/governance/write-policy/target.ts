import type { PolicyLookups, WriteRequest } from './write-request';

export type ExistingRecord = { kind: 'cta' | 'success_plan' | 'timeline_activity'; id: string | undefined };

/**
 * The existing record a write changes, if it changes one: the CTA of update_cta and of
 * create_cta_task, the plan of update_success_plan, the activity of update_timeline_activity.
 */
export function existingRecordOf(request: WriteRequest): ExistingRecord | null {
  const { operation, entity } = request;
  if (entity === 'cta_task' && operation === 'create') return { kind: 'cta', id: request.ctaId };
  if (operation !== 'update') return null;
  if (entity === 'cta') return { kind: 'cta', id: request.entityId ?? request.ctaId };
  if (entity === 'success_plan' || entity === 'timeline_activity') return { kind: entity, id: request.entityId };
  return null;
}

/** Writes that land in a company: everything MCP may write. */
export function isCompanyScoped(request: WriteRequest): boolean {
  return ['cta', 'cta_task', 'success_plan', 'timeline_activity'].includes(request.entity);
}

/**
 * The company a write lands in: the one given for a create, the record's own for an update or a
 * task. null when it cannot be known (no company given, or no such record).
 */
export async function targetCompanyId(request: WriteRequest, lookups: PolicyLookups): Promise<string | null> {
  const record = existingRecordOf(request);
  if (record === null) return request.companyId ?? null;
  if (record.id === undefined) return null;
  switch (record.kind) {
    case 'cta':
      return (await lookups.findCta(record.id))?.companyId ?? null;
    case 'success_plan':
      return (await lookups.findSuccessPlan(record.id))?.companyId ?? null;
    case 'timeline_activity':
      return (await lookups.findTimelineActivity(record.id))?.companyId ?? null;
  }
}

/** Answers each distinct lookup once per evaluation: several rules ask about the same CTA or company. */
export function memoizeLookups(lookups: PolicyLookups): PolicyLookups {
  const cache = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    if (!cache.has(key)) cache.set(key, load());
    return cache.get(key) as Promise<T>;
  };
  return {
    companyExists: (id) => once(`company:${id}`, () => lookups.companyExists(id)),
    companyOfRelationship: (id) => once(`relationship:${id}`, () => lookups.companyOfRelationship(id)),
    findCta: (id) => once(`cta:${id}`, () => lookups.findCta(id)),
    findSuccessPlan: (id) => once(`plan:${id}`, () => lookups.findSuccessPlan(id)),
    findTimelineActivity: (id) => once(`activity:${id}`, () => lookups.findTimelineActivity(id)),
    userExists: (id) => once(`user:${id}`, () => lookups.userExists(id)),
    canSeeCompany: (caller, id) => once(`visible:${caller.userId}:${id}`, () => lookups.canSeeCompany(caller, id)),
  };
}
