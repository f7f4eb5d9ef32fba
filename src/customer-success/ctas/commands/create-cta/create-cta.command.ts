import { Command } from '@nestjs/cqrs';
import type { WriteContext, WriteResult } from '../../../write/write-context';

/** create_cta: `input` is the tool's raw arguments, validated by the handler against CreateCtaDto. */
export class CreateCtaCommand extends Command<WriteResult> {
  constructor(
    readonly input: unknown,
    readonly context: WriteContext,
  ) {
    super();
  }
}
