import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { validateInput } from '../../../write/validate-input';
import type { WriteResult } from '../../../write/write-context';
import { WritePipeline } from '../../../write/write-pipeline';
import { WRITE_POLICY, type WritePolicyPort } from '../../../write/write-policy.port';
import { ctaDecider } from '../../cta.decider';
import type { CtaEvent } from '../../cta.events';
import { ctaStreamName as ctaStream } from '../../cta.events';
import { UpdateCtaCommand } from './update-cta.command';
import { UpdateCtaDto } from './update-cta.dto';

@CommandHandler(UpdateCtaCommand)
export class UpdateCtaHandler implements ICommandHandler<UpdateCtaCommand, WriteResult> {
  constructor(
    private readonly writes: WritePipeline,
    @Inject(WRITE_POLICY) private readonly policy: WritePolicyPort,
  ) {}

  async execute({ input, context }: UpdateCtaCommand): Promise<WriteResult> {
    const dto = validateInput(UpdateCtaDto, input);
    return this.writes.run({
      context,
      input,
      entityType: 'cta',
      entityId: dto.cta_id,
      streamName: ctaStream,
      policy: (ctaId) => ({
        toolName: context.request.toolName,
        operation: 'update',
        entity: 'cta',
        entityId: ctaId,
        ctaId,
        ownerIds: dto.owner_id === undefined ? [] : [dto.owner_id],
        ...(dto.status !== undefined ? { requestedCtaStatus: dto.status } : {}),
      }),
      decider: ctaDecider,
      command: (ctaId, now) => ({
        type: 'UpdateCta' as const,
        data: {
          ctaId,
          name: dto.name,
          priority: dto.priority,
          status: dto.status,
          ownerId: dto.owner_id,
          dueDate: dto.due_date,
          reason: dto.reason,
          comments: dto.comments,
          allowReopen: this.policy.mayReopenCta(context.caller),
        },
        metadata: { now },
      }),
      changesOf: (events: CtaEvent[]) => events.flatMap((e) => (e.type === 'CtaUpdated' ? e.data.changes : [])),
    });
  }
}
