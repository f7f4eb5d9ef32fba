import { Command } from '@nestjs/cqrs';
import type { WriteContext, WriteResult } from '../../../write/write-context';

/** create_success_plan: `input` is the tool's raw arguments, validated by the handler against CreateSuccessPlanDto. */
export class CreateSuccessPlanCommand extends Command<WriteResult> {
  constructor(
    readonly input: unknown,
    readonly context: WriteContext,
  ) {
    super();
  }
}
