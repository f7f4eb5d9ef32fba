import { describeOnEachDatabase } from '../testing/read-side.fixture';
import { ALICE, allPages, BOB, errorOf, EVERYONE, seedBook } from '../testing/book';
import type { TimelineActivityType, TimelineContextKind } from '../../shared/values';
import type { ViewerScope } from '../shared/viewer';
import { ListTimelineActivitiesHandler } from './list-timeline-activities.handler';
import { ListTimelineActivitiesQuery, type ListTimelineActivitiesInput } from './list-timeline-activities.query';

interface Seeded {
  activityId: string;
  companyId: string;
  kind: TimelineContextKind;
  contextId: string;
  type: TimelineActivityType;
  occurredAt: string;
}

describeOnEachDatabase('ListTimelineActivities', (fx) => {
  let handler: ListTimelineActivitiesHandler;
  const seeded: Seeded[] = [];
  const list = (input: ListTimelineActivitiesInput = {}, viewer: ViewerScope = EVERYONE) =>
    handler.execute(new ListTimelineActivitiesQuery(viewer, input));
  const ids = async (input: ListTimelineActivitiesInput, viewer: ViewerScope = EVERYONE) =>
    (await list({ limit: 100, ...input }, viewer)).items.map((a) => a.activityId);
  /** Newest first, ties by id descending. */
  const expected = (keep: (a: Seeded) => boolean) =>
    seeded
      .filter(keep)
      .sort((a, b) => (a.occurredAt === b.occurredAt ? (a.activityId < b.activityId ? 1 : -1) : a.occurredAt < b.occurredAt ? 1 : -1))
      .map((a) => a.activityId);

  beforeAll(async () => {
    const f = fx();
    await seedBook(f);
    await f.createCta({ ctaId: 'risk', companyId: 'acme', name: 'Risk', type: 'Risk', ownerId: 'alice' });
    await f.createPlan({ successPlanId: 'plan', companyId: 'acme', name: 'Plan', ownerId: 'alice' });
    f.setClock('2025-04-01T00:00:00.000Z');
    const contexts: Array<[string, TimelineContextKind, string]> = [
      ['acme', 'company', 'acme'],
      ['acme', 'cta', 'risk'],
      ['acme', 'success_plan', 'plan'],
      ['acme', 'relationship', 'acme-eu'],
      ['umbrella', 'company', 'umbrella'],
      ['globex', 'company', 'globex'],
    ];
    const types: TimelineActivityType[] = ['Call', 'Meeting', 'Email', 'Update', 'Milestone'];
    for (let i = 0; i < 40; i++) {
      const [companyId, kind, contextId] = contexts[i % contexts.length];
      // Every fourth pair shares an instant: ties broken by id.
      const day = String(1 + Math.floor(i / 2)).padStart(2, '0');
      const a: Seeded = {
        activityId: `act-${String(i).padStart(2, '0')}`,
        companyId,
        kind,
        contextId,
        type: types[i % types.length],
        occurredAt: `2025-03-${day}T${i % 4 < 2 ? '09:00' : String(10 + (i % 2)).padStart(2, '0') + ':30'}:00.000Z`,
      };
      seeded.push(a);
      await f.logActivity({
        activityId: a.activityId, companyId, context: { kind, id: contextId }, type: a.type, subject: `Activity ${i}`,
        notes: i === 0 ? 'Long notes' : null, occurredAt: a.occurredAt, authorId: i % 2 ? 'alice' : 'bob', participants: ['a@x.test', 'b@x.test'],
      });
    }
    await f.settle();
    handler = new ListTimelineActivitiesHandler(f.reader());
  });

  it('lists the newest first, 25 to a page, every activity once', async () => {
    const first = await list();
    expect(first.items).toHaveLength(25);
    const { items, pages } = await allPages((cursor) => list({ cursor }), (a) => a.activityId);
    expect(pages).toBe(2);
    expect(items.map((a) => a.activityId)).toEqual(expected(() => true));
    const { items: small } = await allPages((cursor) => list({ cursor, limit: 3 }), (a) => a.activityId);
    expect(small.map((a) => a.activityId)).toEqual(expected(() => true));
  });

  it('answers activities with their context, participants and company name', async () => {
    const [act] = (await list({ companyId: 'acme', to: '2025-03-01' })).items.slice(-1);
    expect(act).toEqual({
      activityId: 'act-00',
      companyId: 'acme',
      companyName: 'Acme Corp',
      context: { kind: 'company', id: 'acme' },
      type: 'Call',
      subject: 'Activity 0',
      notes: 'Long notes',
      occurredAt: '2025-03-01T09:00:00.000Z',
      authorId: 'bob',
      participants: ['a@x.test', 'b@x.test'],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
  });

  it('filters by company, context, type, author and date range', async () => {
    expect(await ids({ companyId: 'acme' })).toEqual(expected((a) => a.companyId === 'acme'));
    expect(await ids({ contextKind: 'cta', contextId: 'risk' })).toEqual(expected((a) => a.kind === 'cta' && a.contextId === 'risk'));
    expect(await ids({ contextKind: 'success_plan' })).toEqual(expected((a) => a.kind === 'success_plan'));
    expect(await ids({ type: ['Call', 'Meeting'], companyId: 'acme' })).toEqual(expected((a) => (a.type === 'Call' || a.type === 'Meeting') && a.companyId === 'acme'));
    expect(await ids({ authorId: 'alice' })).toEqual(expected((a) => Number(a.activityId.slice(4)) % 2 === 1));
    // Dates are whole days (UTC), both ends included; date-times are instants.
    expect(await ids({ from: '2025-03-05', to: '2025-03-06' })).toEqual(expected((a) => a.occurredAt >= '2025-03-05' && a.occurredAt < '2025-03-07'));
    expect(await ids({ from: '2025-03-05T10:30:00Z', to: '2025-03-06T09:00:00+00:00' })).toEqual(
      expected((a) => a.occurredAt >= '2025-03-05T10:30:00.000Z' && a.occurredAt <= '2025-03-06T09:00:00.000Z'),
    );
    expect(await ids({ from: '2025-03-05T11:30:00+01:00', to: '2025-03-05T10:30:00Z' })).toEqual(
      expected((a) => a.occurredAt === '2025-03-05T10:30:00.000Z'),
    );
  });

  it('follows an activity whose occurredAt was changed', async () => {
    const f = fx();
    const after = await f.updateActivity({ activityId: 'act-39', occurredAt: '2025-02-01T08:00:00.000Z' });
    const all = await ids({ companyId: seeded[39].companyId, after });
    expect(all[all.length - 1]).toBe('act-39');
    seeded[39].occurredAt = '2025-02-01T08:00:00.000Z';
  });

  it('shows a personal caller only the timeline of its companies', async () => {
    expect(await ids({}, ALICE)).toEqual(expected((a) => a.companyId === 'acme' || a.companyId === 'globex'));
    expect(await ids({}, BOB)).toEqual(expected((a) => a.companyId === 'umbrella'));
    expect(await ids({ companyId: 'acme' }, BOB)).toEqual([]);
    expect(await ids({ contextKind: 'cta', contextId: 'risk' }, BOB)).toEqual([]);
  });

  it.each<[string, ListTimelineActivitiesInput, string, string]>([
    ['contextId without contextKind', { contextId: 'risk' }, 'contextKind', 'contextKind is required with contextId: one of company, relationship, success_plan, cta'],
    ['a scorecard context', { contextKind: 'scorecard' as never }, 'contextKind', 'contextKind must be one of company, relationship, success_plan, cta; got "scorecard"'],
    ['an unknown type', { type: 'Chat' as never }, 'type', 'type must be one of Call, Meeting, Email, Update, Milestone (or a list of them); got "Chat"'],
    ['a date-time without a zone', { from: '2025-03-01T10:00:00' }, 'from', expect.stringMatching(/^from must be an ISO 8601 date-time with a time zone/) as never],
    ['a number as date', { to: 20250301 as never }, 'to', 'to must be a date (YYYY-MM-DD) or an ISO 8601 date-time with a time zone; got 20250301'],
    ['a reversed range', { from: '2025-03-10', to: '2025-03-09' }, 'from', 'from (2025-03-10) must not be after to (2025-03-09)'],
    ['limit 101', { limit: 101 }, 'limit', 'limit must be an integer from 1 to 100; got 101. To read more, follow nextCursor page by page'],
  ])('refuses %s (INVALID_QUERY)', async (_, input, field, message) => {
    expect(await errorOf(list(input))).toMatchObject({ code: 'INVALID_QUERY', field, message });
  });

  it('refuses a tampered cursor (INVALID_CURSOR)', async () => {
    const { nextCursor } = await list({ limit: 2 });
    const decoded = JSON.parse(Buffer.from(nextCursor!, 'base64url').toString('utf8'));
    const tampered = Buffer.from(JSON.stringify({ ...decoded, k: null })).toString('base64url');
    expect(await errorOf(list({ cursor: tampered }))).toMatchObject({ code: 'INVALID_CURSOR' });
  });
});
