import { existingRecordOf } from '../target';
import { refuse, type WritePolicyRule } from '../write-request';

/**
 * An update (or a task) needs its record: the policy checks the record's company next, and a
 * personal-access caller must not write to a record whose company it cannot check.
 */
export const recordExists: WritePolicyRule = async (request, { lookups }) => {
  const record = existingRecordOf(request);
  if (record === null) return null;
  switch (record.kind) {
    case 'cta':
      if (record.id !== undefined && (await lookups.findCta(record.id))) return null;
      return refuse(
        'CTA_NOT_FOUND',
        record.id === undefined
          ? 'No CTA id was given; give the id of the CTA (list_ctas finds CTAs by company)'
          : `There is no CTA with id ${record.id}; check the id (list_ctas finds CTAs by company)`,
      );
    case 'success_plan':
      if (record.id !== undefined && (await lookups.findSuccessPlan(record.id))) return null;
      return refuse(
        'SUCCESS_PLAN_NOT_FOUND',
        record.id === undefined
          ? 'No success plan id was given; give the id of the plan (list_success_plans finds plans by company)'
          : `There is no success plan with id ${record.id}; check the id (list_success_plans finds plans by company)`,
      );
    case 'timeline_activity':
      if (record.id !== undefined && (await lookups.findTimelineActivity(record.id))) return null;
      return refuse(
        'TIMELINE_ACTIVITY_NOT_FOUND',
        record.id === undefined
          ? 'No timeline activity id was given; give the id of the activity (list_timeline_activities finds activities by company)'
          : `There is no timeline activity with id ${record.id}; check the id (list_timeline_activities finds activities by company)`,
      );
  }
};
