import { Command } from '@nestjs/cqrs';
import type { WriteContext, WriteResult } from '../../../write/write-context';

/** update_success_plan: `input` is the tool's raw arguments, validated by the handler against UpdateSuccessPlanDto. */
export class UpdateSuccessPlanCommand extends Command<WriteResult> {
  constructor(
    readonly input: unknown,
    readonly context: WriteContext,
  ) {
    super();
  }
}
