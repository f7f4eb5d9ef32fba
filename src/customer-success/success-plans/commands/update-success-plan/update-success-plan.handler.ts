import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { validateInput } from '../../../write/validate-input';
import type { WriteResult } from '../../../write/write-context';
import { WritePipeline } from '../../../write/write-pipeline';
import { successPlanDecider } from '../../success-plan.decider';
import { successPlanStreamName, type SuccessPlanEvent } from '../../success-plan.events';
import { UpdateSuccessPlanCommand } from './update-success-plan.command';
import { UpdateSuccessPlanDto } from './update-success-plan.dto';

@CommandHandler(UpdateSuccessPlanCommand)
export class UpdateSuccessPlanHandler implements ICommandHandler<UpdateSuccessPlanCommand, WriteResult> {
  constructor(private readonly writes: WritePipeline) {}

  async execute({ input, context }: UpdateSuccessPlanCommand): Promise<WriteResult> {
    const dto = validateInput(UpdateSuccessPlanDto, input);
    return this.writes.run({
      context,
      input,
      entityType: 'success_plan',
      entityId: dto.success_plan_id,
      streamName: successPlanStreamName,
      policy: (id) => ({
        toolName: context.request.toolName,
        operation: 'update',
        entity: 'success_plan',
        entityId: id,
        ownerIds: dto.owner_id === undefined ? [] : [dto.owner_id],
      }),
      decider: successPlanDecider,
      command: (successPlanId, now) => ({
        type: 'UpdateSuccessPlan' as const,
        data: {
          successPlanId,
          name: dto.name,
          status: dto.status,
          ownerId: dto.owner_id,
          startDate: dto.start_date,
          dueDate: dto.due_date,
          description: dto.description,
        },
        metadata: { now },
      }),
      changesOf: (events: SuccessPlanEvent[]) => events.flatMap((e) => (e.type === 'SuccessPlanUpdated' ? e.data.changes : [])),
    });
  }
}
