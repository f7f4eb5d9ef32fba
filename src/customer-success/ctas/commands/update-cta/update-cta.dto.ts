import { CTA_STATUSES, PRIORITIES, TEXT_LIMITS } from '../../../shared/values';
import { CalendarDate, Id, IdempotencyKey, Nullable, OneOf, Optional, RequiredText, Text } from '../../../write/dto-rules';

/** Arguments of the update_cta tool: the CTA and only the fields to change (null clears an optional field). */
export class UpdateCtaDto {
  @Id() cta_id!: string;
  @Optional() @RequiredText(TEXT_LIMITS.name) name?: string;
  @Optional() @OneOf(PRIORITIES) priority?: (typeof PRIORITIES)[number];
  @Optional() @OneOf(CTA_STATUSES) status?: (typeof CTA_STATUSES)[number];
  @Optional() @Id() owner_id?: string;
  @Nullable() @CalendarDate() due_date?: string | null;
  @Nullable() @Text(TEXT_LIMITS.reason) reason?: string | null;
  @Nullable() @Text(TEXT_LIMITS.comments) comments?: string | null;
  @IdempotencyKey() idempotency_key?: string;
}
