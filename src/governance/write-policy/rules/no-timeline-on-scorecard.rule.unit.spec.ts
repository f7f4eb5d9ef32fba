import { check, context, request } from '../policy-spec.helpers';
import { noTimelineOnScorecard } from './no-timeline-on-scorecard.rule';

describe('rule no-timeline-on-scorecard (NO_TIMELINE_ON_SCORECARD)', () => {
  it('refuses a timeline activity attached to a scorecard', async () => {
    const onScorecard = request({ entity: 'timeline_activity', toolName: 'create_timeline_activity', contextKind: 'scorecard', contextId: 'sc-acme' });
    await expect(check(noTimelineOnScorecard, onScorecard, context())).resolves.toEqual({
      code: 'NO_TIMELINE_ON_SCORECARD',
      message:
        'Timeline activities cannot be attached to a scorecard. Attach the activity to the company, a relationship, a success plan or a CTA instead',
    });
  });

  it.each(['company', 'relationship', 'success_plan', 'cta'])('lets an activity on a %s through', async (contextKind) => {
    await expect(check(noTimelineOnScorecard, request({ entity: 'timeline_activity', contextKind, contextId: 'x' }), context())).resolves.toBeNull();
  });
});
