import { SUCCESS_PLAN_STATUSES, TEXT_LIMITS } from '../../../shared/values';
import { CalendarDate, Id, IdempotencyKey, Nullable, OneOf, Optional, RequiredText, Text } from '../../../write/dto-rules';

/** Arguments of the create_success_plan tool. */
export class CreateSuccessPlanDto {
  @Id() company_id!: string;
  @Nullable() @Id() relationship_id?: string | null;
  @RequiredText(TEXT_LIMITS.name) name!: string;
  @Optional() @OneOf(SUCCESS_PLAN_STATUSES) status?: (typeof SUCCESS_PLAN_STATUSES)[number];
  /** Default: the caller. */
  @Optional() @Id() owner_id?: string;
  @Nullable() @CalendarDate() start_date?: string | null;
  @Nullable() @CalendarDate() due_date?: string | null;
  @Nullable() @Text(TEXT_LIMITS.description) description?: string | null;
  @IdempotencyKey() idempotency_key?: string;
}
