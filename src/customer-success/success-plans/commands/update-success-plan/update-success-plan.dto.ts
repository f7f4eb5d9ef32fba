import { SUCCESS_PLAN_STATUSES, TEXT_LIMITS } from '../../../shared/values';
import { CalendarDate, Id, IdempotencyKey, Nullable, OneOf, Optional, RequiredText, Text } from '../../../write/dto-rules';

/** Arguments of the update_success_plan tool: the plan and only the fields to change (null clears). */
export class UpdateSuccessPlanDto {
  @Id() success_plan_id!: string;
  @Optional() @RequiredText(TEXT_LIMITS.name) name?: string;
  @Optional() @OneOf(SUCCESS_PLAN_STATUSES) status?: (typeof SUCCESS_PLAN_STATUSES)[number];
  @Optional() @Id() owner_id?: string;
  @Nullable() @CalendarDate() start_date?: string | null;
  @Nullable() @CalendarDate() due_date?: string | null;
  @Nullable() @Text(TEXT_LIMITS.description) description?: string | null;
  @IdempotencyKey() idempotency_key?: string;
}
