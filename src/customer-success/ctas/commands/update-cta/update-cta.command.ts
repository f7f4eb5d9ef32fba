import { Command } from '@nestjs/cqrs';
import type { WriteContext, WriteResult } from '../../../write/write-context';

/** update_cta: `input` is the tool's raw arguments, validated by the handler against UpdateCtaDto. */
export class UpdateCtaCommand extends Command<WriteResult> {
  constructor(
    readonly input: unknown,
    readonly context: WriteContext,
  ) {
    super();
  }
}
