import { ctaStreamName } from '../../ctas/cta.events';
import { describeOnEachDatabase, type ReadSideFixture } from '../testing/read-side.fixture';
import { afterInstant, ALICE, BOB, errorOf, EVERYONE, seedBook } from '../testing/book';
import type { ViewerScope } from '../shared/viewer';
import { GetCtaAsOfHandler } from './get-cta-as-of.handler';
import { GetCtaAsOfQuery } from './get-cta-as-of.query';

async function recordedAt(f: ReadSideFixture, stream: string): Promise<string> {
  const events = await f.store.readStream(stream);
  const at = events[events.length - 1].metadata.recordedAt;
  await afterInstant(at);
  return at;
}

describeOnEachDatabase('GetCtaAsOf', (fx) => {
  let handler: GetCtaAsOfHandler;
  const at: string[] = [];
  const asOf = (time: string, viewer: ViewerScope = EVERYONE, ctaId = 'risk') => handler.execute(new GetCtaAsOfQuery(viewer, { ctaId, asOf: time }));
  const shift = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

  beforeAll(async () => {
    const f = fx();
    await seedBook(f);
    const stream = ctaStreamName('risk');
    await f.createCta({ ctaId: 'risk', companyId: 'acme', name: 'Usage dropped', type: 'Risk', ownerId: 'alice' });
    at.push(await recordedAt(f, stream));
    await f.updateCta({ ctaId: 'risk', priority: 'Urgent', dueDate: '2025-04-01' });
    at.push(await recordedAt(f, stream));
    await f.createTask({ ctaId: 'risk', taskId: 'call', title: 'Call the champion' });
    at.push(await recordedAt(f, stream));
    await f.updateCta({ ctaId: 'risk', status: 'ClosedSuccess', comments: 'Usage recovered' });
    at.push(await recordedAt(f, stream));
    await f.settle();
    handler = new GetCtaAsOfHandler(f.reader(), f.store);
  });

  it('answers the CTA as it was at each moment of its history', async () => {
    const created = await asOf(at[0]);
    expect(created).toMatchObject({ ctaId: 'risk', asOf: at[0], exists: true, eventCount: 1, lastChangedAt: at[0] });
    expect(created.cta).toMatchObject({ priority: 'Medium', dueDate: null, status: 'New', tasks: [], closedAt: null });

    const justBeforeUpdate = await asOf(shift(at[1], -1));
    expect(justBeforeUpdate.cta).toMatchObject({ priority: 'Medium' });

    expect((await asOf(at[1])).cta).toMatchObject({ priority: 'Urgent', dueDate: '2025-04-01', tasks: [] });
    expect((await asOf(at[2])).cta!.tasks.map((t) => t.taskId)).toEqual(['call']);

    const closed = await asOf(shift(at[3], 60_000));
    expect(closed).toMatchObject({ exists: true, eventCount: 4, lastChangedAt: at[3] });
    expect(closed.cta).toMatchObject({ status: 'ClosedSuccess', comments: 'Usage recovered', closedAt: expect.any(String) });
  });

  it('answers exists: false before the CTA was created', async () => {
    expect(await asOf(shift(at[0], -1))).toEqual({ ctaId: 'risk', asOf: shift(at[0], -1), exists: false, eventCount: 0, lastChangedAt: null, cta: null });
  });

  it('takes any time zone and normalises it to UTC', async () => {
    const local = new Date(Date.parse(at[1])).toISOString().replace('Z', '+00:00');
    expect((await asOf(local)).asOf).toBe(at[1]);
  });

  it('answers NOT_FOUND for an unknown CTA and for one on a company the viewer may not see', async () => {
    expect(await errorOf(asOf(at[3], EVERYONE, 'nope'))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await errorOf(asOf(at[3], BOB))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'There is no CTA with id "risk" that you can see; list_ctas finds CTAs by company, owner, status, type or due date',
    });
    expect((await asOf(at[3], ALICE)).exists).toBe(true);
  });

  it('refuses a missing or malformed time (INVALID_QUERY)', async () => {
    expect(await errorOf(handler.execute(new GetCtaAsOfQuery(EVERYONE, { ctaId: 'risk' } as never)))).toMatchObject({
      code: 'INVALID_QUERY',
      field: 'asOf',
      message: 'asOf is required: an ISO 8601 date-time with a time zone, for example 2025-03-01T14:30:00Z',
    });
    expect(await errorOf(asOf('yesterday'))).toMatchObject({ code: 'INVALID_QUERY', field: 'asOf' });
  });
});
