import type { LifecycleStage, Segment } from '../../companies/company.events';
import type { ViewerScope } from '../shared/viewer';
import type { ReadSideFixture } from './read-side.fixture';

/**
 * A small book of business shared by the query specs. Five named companies with known values, 36
 * generated ones (ties on arr, missing renewal dates and health, for pagination), and one without an
 * owner. Alice and Bob are CSMs; Carol owns Hooli and a third of the generated companies.
 */
export const NAMED = {
  acme: { companyId: 'acme', name: 'Acme Corp', ownerId: 'alice', segment: 'Enterprise', lifecycleStage: 'Adoption', arr: 500_000, renewalDate: '2025-04-15', health: 35 },
  globex: { companyId: 'globex', name: 'Globex', ownerId: 'alice', segment: 'MidMarket', lifecycleStage: 'Renewal', arr: 120_000, renewalDate: '2025-02-20', health: 75 },
  initech: { companyId: 'initech', name: 'Initech 100%', ownerId: 'bob', segment: 'SMB', lifecycleStage: 'Onboarding', arr: 30_000, renewalDate: '2025-06-01', health: 55 },
  umbrella: { companyId: 'umbrella', name: 'Umbrella', ownerId: 'bob', segment: 'Enterprise', lifecycleStage: 'AtRisk', arr: 800_000, renewalDate: '2025-03-01', health: 20 },
  hooli: { companyId: 'hooli', name: 'Hooli', ownerId: 'carol', segment: 'MidMarket', lifecycleStage: 'Mature', arr: 200_000, renewalDate: null, health: null },
} as const satisfies Record<string, {
  companyId: string; name: string; ownerId: string; segment: Segment; lifecycleStage: LifecycleStage; arr: number; renewalDate: string | null; health: number | null;
}>;

export const OWNERS = ['alice', 'bob', 'carol'] as const;
export const SEGMENT_CYCLE: Segment[] = ['Enterprise', 'MidMarket', 'SMB'];
export const GENERATED = 36;

export function generated(i: number) {
  return {
    companyId: `gen-${String(i).padStart(2, '0')}`,
    name: `Generated ${String(i).padStart(2, '0')}`,
    ownerId: OWNERS[i % 3],
    segment: SEGMENT_CYCLE[i % 3],
    lifecycleStage: 'Mature' as LifecycleStage,
    // Only six distinct values: many ties on arr.
    arr: (i % 6) * 10_000,
    renewalDate: i % 4 === 0 ? null : `2025-${String((i % 12) + 1).padStart(2, '0')}-10`,
    health: i % 5 === 0 ? null : (i * 13) % 100,
  };
}

export interface SeededCompany {
  companyId: string;
  name: string;
  ownerId: string | null;
  segment: Segment | null;
  lifecycleStage: LifecycleStage | null;
  arr: number;
  renewalDate: string | null;
  health: number | null;
}

/** Every company seedBook imports, as a model to compute expected answers from. */
export function seededCompanies(): SeededCompany[] {
  return [
    ...Object.values(NAMED),
    ...Array.from({ length: GENERATED }, (_, i) => generated(i)),
    { companyId: 'orphan', name: 'Orphan Ltd', ownerId: null, segment: null, lifecycleStage: null, arr: 1_000, renewalDate: null, health: null },
  ];
}

/** Ids of the model's companies matching `keep`, in name order (what a search answers by default). */
export function expectedIds(keep: (c: SeededCompany) => boolean): string[] {
  return seededCompanies()
    .filter(keep)
    .sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0))
    .map((c) => c.companyId);
}

export const ALL_COMPANY_IDS = [...Object.keys(NAMED), ...Array.from({ length: GENERATED }, (_, i) => generated(i).companyId), 'orphan'];

export const EVERYONE: ViewerScope = { userId: 'admin', visibleOwnerIds: null };
export const ALICE: ViewerScope = { userId: 'alice', visibleOwnerIds: ['alice'] };
export const BOB: ViewerScope = { userId: 'bob', visibleOwnerIds: ['bob'] };
export const NOBODY: ViewerScope = { userId: 'nobody', visibleOwnerIds: [] };

/** Users, companies (with their latest scorecard), a relationship and contacts for Acme. */
export async function seedBook(f: ReadSideFixture): Promise<void> {
  for (const id of [...OWNERS, 'admin']) await f.registerUser(id, id === 'admin' ? 'admin' : 'csm');
  const companies = [...Object.values(NAMED), ...Array.from({ length: GENERATED }, (_, i) => generated(i))];
  for (const { health, ...profile } of companies) {
    await f.importCompany({ ...profile, industry: 'Software', region: 'EMEA', employees: 250 });
    if (health !== null) await f.recordScorecard(profile.companyId, '2025-01-01', health);
  }
  await f.importCompany({ companyId: 'orphan', name: 'Orphan Ltd', ownerId: null, arr: 1_000 });
  await f.importRelationship({ relationshipId: 'acme-eu', companyId: 'acme', name: 'Acme Europe', type: 'Region', arr: 200_000 });
  await f.importRelationship({ relationshipId: 'acme-us', companyId: 'acme', name: 'Acme Americas', type: 'Region', arr: 300_000 });
  await f.importContact({ contactId: 'wile', companyId: 'acme', name: 'Wile E. Coyote', role: 'User', sentiment: 'Negative' });
  await f.importContact({ contactId: 'road', companyId: 'acme', name: 'Road Runner', role: 'Champion', sentiment: 'Positive', isPrimary: true, email: 'rr@acme.test' });
  await f.importContact({ contactId: 'hank', companyId: 'umbrella', name: 'Hank', sentiment: 'Neutral' });
  await f.settle();
}

/** Reads every page of a list query; fails on a page that repeats an id. */
export async function allPages<T>(
  fetch: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
  idOf: (item: T) => string,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await fetch(cursor);
    pages++;
    for (const item of page.items) {
      const id = idOf(item);
      if (seen.has(id)) throw new Error(`page ${pages} repeats ${id}`);
      seen.add(id);
      items.push(item);
    }
    cursor = page.nextCursor ?? undefined;
    if (pages > 1_000) throw new Error('too many pages');
  } while (cursor);
  return { items, pages };
}

/** Rejects with the error a promise fails with (or fails the test when it resolves). */
export async function errorOf(promise: Promise<unknown>): Promise<{ code?: string; message: string; field?: string; name?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string; field?: string };
  }
  throw new Error('expected the query to fail, it succeeded');
}

/** Waits for the wall clock to pass `iso`, so that the next event is recorded strictly later. */
export async function afterInstant(iso: string): Promise<void> {
  while (Date.now() <= Date.parse(iso)) await new Promise((resolve) => setImmediate(resolve));
}
