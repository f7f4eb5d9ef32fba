import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { TimelineContextKind } from '../../../shared/values';
import { validateInput } from '../../../write/validate-input';
import type { WriteResult } from '../../../write/write-context';
import { WritePipeline } from '../../../write/write-pipeline';
import { timelineActivityDecider } from '../../timeline-activity.decider';
import { timelineActivityStreamName } from '../../timeline-activity.events';
import { CreateTimelineActivityCommand } from './create-timeline-activity.command';
import { CreateTimelineActivityDto } from './create-timeline-activity.dto';

@CommandHandler(CreateTimelineActivityCommand)
export class CreateTimelineActivityHandler implements ICommandHandler<CreateTimelineActivityCommand, WriteResult> {
  constructor(private readonly writes: WritePipeline) {}

  async execute({ input, context }: CreateTimelineActivityCommand): Promise<WriteResult> {
    const dto = validateInput(CreateTimelineActivityDto, input);
    const kind = dto.context_kind ?? 'company';
    const contextId = dto.context_id ?? dto.company_id;
    return this.writes.run({
      context,
      input,
      entityType: 'timeline_activity',
      entityId: (newId) => newId,
      streamName: timelineActivityStreamName,
      policy: (id) => ({
        toolName: context.request.toolName,
        operation: 'create',
        entity: 'timeline_activity',
        entityId: id,
        companyId: dto.company_id,
        contextKind: kind,
        contextId,
        ...(kind === 'relationship' ? { relationshipId: contextId } : {}),
        ...(kind === 'cta' ? { ctaId: contextId } : {}),
        ...(kind === 'success_plan' ? { successPlanId: contextId } : {}),
      }),
      decider: timelineActivityDecider,
      command: (activityId, now) => ({
        type: 'CreateTimelineActivity' as const,
        data: {
          activityId,
          companyId: dto.company_id,
          // The policy refused `scorecard` before we get here.
          context: { kind: kind as TimelineContextKind, id: contextId },
          type: dto.type,
          subject: dto.subject,
          notes: dto.notes ?? null,
          occurredAt: dto.occurred_at,
          participants: dto.participants,
          authorId: context.caller.userId,
        },
        metadata: { now },
      }),
    });
  }
}
