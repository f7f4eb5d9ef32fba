import { compileAnalysis } from '../../customer-success/analysis/compile';
import { validateAnalysis } from '../../customer-success/analysis/validate';
import { renewalRiskQuery, renewalRiskTotalsQuery, weeklyPortfolioQueries } from './prompt-analysis-queries';

/** The queries the prompts teach the model must be ones analyze_accounts accepts, on both databases and in any scope. */
describe('analysis queries embedded in prompts', () => {
  const queries = {
    'renewal risk, 90 days': renewalRiskQuery(90),
    'renewal risk, 1 day': renewalRiskQuery(1),
    'renewal risk totals': renewalRiskTotalsQuery(90),
    ...Object.fromEntries(Object.entries(weeklyPortfolioQueries(null)).map(([name, q]) => [`weekly ${name}`, q])),
    ...Object.fromEntries(Object.entries(weeklyPortfolioQueries('u-ann')).map(([name, q]) => [`weekly ${name} for one owner`, q])),
  };

  it.each(Object.entries(queries))('%s validates and compiles', (_, query) => {
    // As the model sends it: JSON text parsed back.
    const sent: unknown = JSON.parse(JSON.stringify(query));
    expect(() => validateAnalysis(sent)).not.toThrow();
    for (const dialect of ['sqlite', 'postgres'] as const)
      for (const visibleOwnerIds of [null, ['u-ann']])
        expect(compileAnalysis(sent, { now: new Date('2026-03-10T12:00:00Z'), dialect, visibleOwnerIds }).sql).toMatch(/^SELECT /);
  });

  it('narrows every weekly check to the owner when one is given', () => {
    for (const query of Object.values(weeklyPortfolioQueries('u-ann'))) expect(JSON.stringify(query.filter)).toContain('"value":"u-ann"');
    for (const query of Object.values(weeklyPortfolioQueries(null))) expect(JSON.stringify(query.filter)).not.toContain('owner_id');
  });
});
