import { check, admin, context, request } from '../policy-spec.helpers';
import { noScorecardWrites } from './no-scorecard-writes.rule';

describe('rule no-scorecard-writes (NO_SCORECARD_WRITES)', () => {
  it.each(['create', 'update'] as const)('refuses to %s a scorecard, even for an admin', async (operation) => {
    await expect(check(noScorecardWrites, request({ operation, entity: 'scorecard', caller: admin }), context())).resolves.toEqual({
      code: 'NO_SCORECARD_WRITES',
      message:
        'Scorecards cannot be written through MCP: health scores and measures come from the admin import, and MCP may only read them. ' +
        'To flag a health concern, create a Risk CTA or log a timeline activity',
    });
  });

  it('lets CS writes through', async () => {
    await expect(check(noScorecardWrites, request(), context())).resolves.toBeNull();
  });
});
