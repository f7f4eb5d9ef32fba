import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { validateInput } from '../../../write/validate-input';
import type { WriteResult } from '../../../write/write-context';
import { WritePipeline } from '../../../write/write-pipeline';
import { ctaDecider } from '../../cta.decider';
import { ctaStreamName as ctaStream } from '../../cta.events';
import { CreateCtaTaskCommand } from './create-cta-task.command';
import { CreateCtaTaskDto } from './create-cta-task.dto';

/** A task lives inside its CTA's stream: the CTA decider checks the CTA is open. */
@CommandHandler(CreateCtaTaskCommand)
export class CreateCtaTaskHandler implements ICommandHandler<CreateCtaTaskCommand, WriteResult> {
  constructor(private readonly writes: WritePipeline) {}

  async execute({ input, context }: CreateCtaTaskCommand): Promise<WriteResult> {
    const dto = validateInput(CreateCtaTaskDto, input);
    return this.writes.run({
      context,
      input,
      entityType: 'cta_task',
      entityId: (newId) => newId,
      parentId: dto.cta_id,
      // The stream is the CTA's, whatever the task's id.
      streamName: () => ctaStream(dto.cta_id),
      policy: (taskId) => ({
        toolName: context.request.toolName,
        operation: 'create',
        entity: 'cta_task',
        entityId: taskId,
        ctaId: dto.cta_id,
        ownerIds: dto.owner_id === undefined ? [] : [dto.owner_id],
      }),
      decider: ctaDecider,
      command: (taskId, now) => ({
        type: 'CreateCtaTask' as const,
        data: {
          ctaId: dto.cta_id,
          taskId,
          title: dto.title,
          description: dto.description ?? null,
          ownerId: dto.owner_id,
          dueDate: dto.due_date ?? null,
          priority: dto.priority,
          status: dto.status,
        },
        metadata: { now },
      }),
    });
  }
}
