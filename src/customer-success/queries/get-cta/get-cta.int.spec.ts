import { describeOnEachDatabase } from '../testing/read-side.fixture';
import { ALICE, BOB, errorOf, EVERYONE, seedBook } from '../testing/book';
import type { ViewerScope } from '../shared/viewer';
import { GetCtaHandler } from './get-cta.handler';
import { GetCtaQuery } from './get-cta.query';

describeOnEachDatabase('GetCta', (fx) => {
  let handler: GetCtaHandler;
  const get = (ctaId: unknown, viewer: ViewerScope = EVERYONE) => handler.execute(new GetCtaQuery(viewer, { ctaId } as never));

  beforeAll(async () => {
    const f = fx();
    await seedBook(f);
    await f.createCta({
      ctaId: 'risk-1', companyId: 'acme', relationshipId: 'acme-eu', name: 'Usage dropped', type: 'Risk', priority: 'Urgent', ownerId: 'alice',
      dueDate: '2025-03-31', reason: 'Logins down 40%', comments: 'Escalate if no reply',
    });
    await f.createTask({ ctaId: 'risk-1', taskId: 'task-b', title: 'Call the champion', ownerId: 'alice', dueDate: '2025-03-20', priority: 'High' });
    await f.createTask({ ctaId: 'risk-1', taskId: 'task-a', title: 'Pull usage report', status: 'Completed' });
    await f.createCta({ ctaId: 'bare', companyId: 'umbrella', name: 'No tasks', type: 'Activity', ownerId: 'bob' });
    await f.settle();
    handler = new GetCtaHandler(f.reader());
  });

  it('answers the CTA with its tasks, oldest first', async () => {
    const cta = await get('risk-1');
    expect(cta).toMatchObject({
      ctaId: 'risk-1',
      companyId: 'acme',
      companyName: 'Acme Corp',
      relationshipId: 'acme-eu',
      name: 'Usage dropped',
      type: 'Risk',
      priority: 'Urgent',
      status: 'New',
      isOpen: true,
      dueDate: '2025-03-31',
      reason: 'Logins down 40%',
      comments: 'Escalate if no reply',
      taskCount: 2,
      openTaskCount: 1,
    });
    expect(cta.tasks).toEqual([
      { taskId: 'task-b', ctaId: 'risk-1', title: 'Call the champion', description: null, ownerId: 'alice', dueDate: '2025-03-20', priority: 'High', status: 'Open', createdAt: expect.any(String) },
      expect.objectContaining({ taskId: 'task-a', title: 'Pull usage report', status: 'Completed', ownerId: 'alice' }),
    ]);
    expect((await get('bare')).tasks).toEqual([]);
  });

  it('answers NOT_FOUND for an unknown CTA and for one on a company the viewer may not see', async () => {
    const message = (id: string) => `There is no CTA with id "${id}" that you can see; list_ctas finds CTAs by company, owner, status, type or due date`;
    expect(await errorOf(get('nope'))).toEqual(expect.objectContaining({ code: 'NOT_FOUND', message: message('nope') }));
    expect(await errorOf(get('risk-1', BOB))).toEqual(expect.objectContaining({ code: 'NOT_FOUND', message: message('risk-1') }));
    expect(await errorOf(get('bare', ALICE))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await get('risk-1', ALICE)).toMatchObject({ ctaId: 'risk-1' });
  });

  it('refuses a bad id and unknown fields (INVALID_QUERY)', async () => {
    expect(await errorOf(get(''))).toMatchObject({ code: 'INVALID_QUERY', field: 'ctaId' });
    expect(await errorOf(handler.execute(new GetCtaQuery(EVERYONE, { ctaId: 'risk-1', withTasks: true } as never)))).toMatchObject({
      code: 'INVALID_QUERY',
      field: 'withTasks',
      message: 'withTasks is not a field of this query; allowed: ctaId, after',
    });
  });
});
