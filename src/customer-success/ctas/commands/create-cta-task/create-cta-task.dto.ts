import { PRIORITIES, TASK_STATUSES, TEXT_LIMITS } from '../../../shared/values';
import { CalendarDate, Id, IdempotencyKey, Nullable, OneOf, Optional, RequiredText, Text } from '../../../write/dto-rules';

/** Arguments of the create_cta_task tool. */
export class CreateCtaTaskDto {
  @Id() cta_id!: string;
  @RequiredText(TEXT_LIMITS.name) title!: string;
  @Nullable() @Text(TEXT_LIMITS.description) description?: string | null;
  /** Default: the CTA's owner. */
  @Optional() @Id() owner_id?: string;
  @Nullable() @CalendarDate() due_date?: string | null;
  @Optional() @OneOf(PRIORITIES) priority?: (typeof PRIORITIES)[number];
  @Optional() @OneOf(TASK_STATUSES) status?: (typeof TASK_STATUSES)[number];
  @IdempotencyKey() idempotency_key?: string;
}
