import { Command } from '@nestjs/cqrs';
import type { WriteContext, WriteResult } from '../../../write/write-context';

/** create_timeline_activity: `input` is the tool's raw arguments, validated by the handler against CreateTimelineActivityDto. */
export class CreateTimelineActivityCommand extends Command<WriteResult> {
  constructor(
    readonly input: unknown,
    readonly context: WriteContext,
  ) {
    super();
  }
}
