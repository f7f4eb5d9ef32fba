import { describeOnEachDatabase } from '../testing/read-side.fixture';
import { ALICE, errorOf, EVERYONE, seedBook } from '../testing/book';
import type { ViewerScope } from '../shared/viewer';
import { GetScorecardHandler } from './get-scorecard.handler';
import { GetScorecardQuery, type GetScorecardInput } from './get-scorecard.query';

describeOnEachDatabase('GetScorecard', (fx) => {
  let handler: GetScorecardHandler;
  const get = (input: GetScorecardInput, viewer: ViewerScope = EVERYONE) => handler.execute(new GetScorecardQuery(viewer, input));

  beforeAll(async () => {
    const f = fx();
    await seedBook(f);
    // Umbrella already has 2025-01-01 (overall 20). Monthly readings, one of them imported late.
    await f.recordScorecard('umbrella', '2025-02-01', 30, { Usage: 40, Support: 70 });
    await f.recordScorecard('umbrella', '2025-04-01', 45, { Usage: 35, Support: 70, NPS: 10 });
    await f.recordScorecard('umbrella', '2025-03-01', 25, { Usage: 50, Support: 60 });
    await f.settle();
    handler = new GetScorecardHandler(f.reader());
  });

  it('answers each measure with its trend against the reading before, and the overall health with its own', async () => {
    const card = await get({ companyId: 'umbrella' });
    expect(card.companyName).toBe('Umbrella');
    expect(card.overall).toMatchObject({ score: 45, color: 'Yellow', asOf: '2025-04-01', previousScore: 25, trend: 'up' });
    expect(card.measures.map(({ history: _, ...m }) => m)).toEqual([
      { name: 'NPS', score: 10, color: 'Red', comment: null, previousScore: null, trend: null, asOf: '2025-04-01' },
      { name: 'Support', score: 70, color: 'Green', comment: null, previousScore: 60, trend: 'up', asOf: '2025-04-01' },
      { name: 'Usage', score: 35, color: 'Red', comment: null, previousScore: 50, trend: 'down', asOf: '2025-04-01' },
    ]);
  });

  it('answers the history of the overall score and of each measure, oldest first, the last N readings', async () => {
    const card = await get({ companyId: 'umbrella' });
    expect(card.overall!.history.map((p) => [p.asOf, p.score, p.color])).toEqual([
      ['2025-01-01', 20, 'Red'],
      ['2025-02-01', 30, 'Red'],
      ['2025-03-01', 25, 'Red'],
      ['2025-04-01', 45, 'Yellow'],
    ]);
    expect(card.measures.find((m) => m.name === 'Usage')!.history.map((p) => p.score)).toEqual([40, 50, 35]);
    const short = await get({ companyId: 'umbrella', historyLimit: 2 });
    expect(short.overall!.history.map((p) => p.asOf)).toEqual(['2025-03-01', '2025-04-01']);
    expect(short.measures.find((m) => m.name === 'NPS')!.history).toHaveLength(1);
  });

  it('answers a company without scorecards with no overall health and no measures', async () => {
    expect(await get({ companyId: 'hooli' })).toEqual({ companyId: 'hooli', companyName: 'Hooli', overall: null, measures: [] });
  });

  it('answers NOT_FOUND for a company the viewer may not see, and refuses a bad history limit', async () => {
    expect(await errorOf(get({ companyId: 'umbrella' }, ALICE))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await errorOf(get({ companyId: 'nope' }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await errorOf(get({ companyId: 'umbrella', historyLimit: 500 }))).toMatchObject({
      code: 'INVALID_QUERY',
      field: 'historyLimit',
      message: 'historyLimit must be an integer from 1 to 100; got 500',
    });
  });
});
