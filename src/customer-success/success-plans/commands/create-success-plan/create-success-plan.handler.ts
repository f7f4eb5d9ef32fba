import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { validateInput } from '../../../write/validate-input';
import type { WriteResult } from '../../../write/write-context';
import { WritePipeline } from '../../../write/write-pipeline';
import { successPlanDecider } from '../../success-plan.decider';
import { successPlanStreamName } from '../../success-plan.events';
import { CreateSuccessPlanCommand } from './create-success-plan.command';
import { CreateSuccessPlanDto } from './create-success-plan.dto';

@CommandHandler(CreateSuccessPlanCommand)
export class CreateSuccessPlanHandler implements ICommandHandler<CreateSuccessPlanCommand, WriteResult> {
  constructor(private readonly writes: WritePipeline) {}

  async execute({ input, context }: CreateSuccessPlanCommand): Promise<WriteResult> {
    const dto = validateInput(CreateSuccessPlanDto, input);
    const ownerId = dto.owner_id ?? context.caller.userId;
    return this.writes.run({
      context,
      input,
      entityType: 'success_plan',
      entityId: (newId) => newId,
      streamName: successPlanStreamName,
      policy: (id) => ({
        toolName: context.request.toolName,
        operation: 'create',
        entity: 'success_plan',
        entityId: id,
        companyId: dto.company_id,
        relationshipId: dto.relationship_id ?? null,
        ownerIds: [ownerId],
      }),
      decider: successPlanDecider,
      command: (successPlanId, now) => ({
        type: 'CreateSuccessPlan' as const,
        data: {
          successPlanId,
          companyId: dto.company_id,
          relationshipId: dto.relationship_id ?? null,
          name: dto.name,
          status: dto.status,
          ownerId,
          startDate: dto.start_date ?? null,
          dueDate: dto.due_date ?? null,
          description: dto.description ?? null,
        },
        metadata: { now },
      }),
    });
  }
}
