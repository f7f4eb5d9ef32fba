import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { validateInput } from '../../../write/validate-input';
import type { WriteResult } from '../../../write/write-context';
import { WritePipeline } from '../../../write/write-pipeline';
import { timelineActivityDecider } from '../../timeline-activity.decider';
import { timelineActivityStreamName, type TimelineActivityEvent } from '../../timeline-activity.events';
import { UpdateTimelineActivityCommand } from './update-timeline-activity.command';
import { UpdateTimelineActivityDto } from './update-timeline-activity.dto';

@CommandHandler(UpdateTimelineActivityCommand)
export class UpdateTimelineActivityHandler implements ICommandHandler<UpdateTimelineActivityCommand, WriteResult> {
  constructor(private readonly writes: WritePipeline) {}

  async execute({ input, context }: UpdateTimelineActivityCommand): Promise<WriteResult> {
    const dto = validateInput(UpdateTimelineActivityDto, input);
    return this.writes.run({
      context,
      input,
      entityType: 'timeline_activity',
      entityId: dto.activity_id,
      streamName: timelineActivityStreamName,
      policy: (id) => ({
        toolName: context.request.toolName,
        operation: 'update',
        entity: 'timeline_activity',
        entityId: id,
      }),
      decider: timelineActivityDecider,
      command: (activityId, now) => ({
        type: 'UpdateTimelineActivity' as const,
        data: { activityId, subject: dto.subject, notes: dto.notes, type: dto.type, occurredAt: dto.occurred_at },
        metadata: { now },
      }),
      changesOf: (events: TimelineActivityEvent[]) =>
        events.flatMap((e) => (e.type === 'TimelineActivityUpdated' ? e.data.changes : [])),
    });
  }
}
