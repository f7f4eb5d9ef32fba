import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { validateInput } from '../../../write/validate-input';
import type { WriteResult } from '../../../write/write-context';
import { WritePipeline } from '../../../write/write-pipeline';
import { ctaDecider } from '../../cta.decider';
import { ctaStreamName as ctaStream } from '../../cta.events';
import { CreateCtaCommand } from './create-cta.command';
import { CreateCtaDto } from './create-cta.dto';

@CommandHandler(CreateCtaCommand)
export class CreateCtaHandler implements ICommandHandler<CreateCtaCommand, WriteResult> {
  constructor(private readonly writes: WritePipeline) {}

  async execute({ input, context }: CreateCtaCommand): Promise<WriteResult> {
    const dto = validateInput(CreateCtaDto, input);
    const ownerId = dto.owner_id ?? context.caller.userId;
    return this.writes.run({
      context,
      input,
      entityType: 'cta',
      entityId: (newId) => newId,
      streamName: ctaStream,
      policy: (ctaId) => ({
        toolName: context.request.toolName,
        operation: 'create',
        entity: 'cta',
        entityId: ctaId,
        companyId: dto.company_id,
        relationshipId: dto.relationship_id ?? null,
        ownerIds: [ownerId],
      }),
      decider: ctaDecider,
      command: (ctaId, now) => ({
        type: 'CreateCta' as const,
        data: {
          ctaId,
          companyId: dto.company_id,
          relationshipId: dto.relationship_id ?? null,
          successPlanId: dto.success_plan_id ?? null,
          name: dto.name,
          type: dto.type,
          priority: dto.priority,
          status: dto.status,
          ownerId,
          dueDate: dto.due_date ?? null,
          reason: dto.reason ?? null,
          comments: dto.comments ?? null,
        },
        metadata: { now },
      }),
    });
  }
}
