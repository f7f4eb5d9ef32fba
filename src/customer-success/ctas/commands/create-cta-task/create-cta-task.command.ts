import { Command } from '@nestjs/cqrs';
import type { WriteContext, WriteResult } from '../../../write/write-context';

/** create_cta_task: `input` is the tool's raw arguments, validated by the handler against CreateCtaTaskDto. */
export class CreateCtaTaskCommand extends Command<WriteResult> {
  constructor(
    readonly input: unknown,
    readonly context: WriteContext,
  ) {
    super();
  }
}
