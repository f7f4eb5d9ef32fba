import { CTA_STATUSES, CTA_TYPES, PRIORITIES, TEXT_LIMITS } from '../../../shared/values';
import { CalendarDate, Id, IdempotencyKey, Nullable, OneOf, Optional, RequiredText, Text } from '../../../write/dto-rules';

/** Arguments of the create_cta tool. */
export class CreateCtaDto {
  @Id() company_id!: string;
  @Nullable() @Id() relationship_id?: string | null;
  /** Objective CTAs belong to a success plan. */
  @Nullable() @Id() success_plan_id?: string | null;
  @RequiredText(TEXT_LIMITS.name) name!: string;
  @OneOf(CTA_TYPES) type!: (typeof CTA_TYPES)[number];
  @Optional() @OneOf(PRIORITIES) priority?: (typeof PRIORITIES)[number];
  @Optional() @OneOf(CTA_STATUSES) status?: (typeof CTA_STATUSES)[number];
  /** Default: the caller. */
  @Optional() @Id() owner_id?: string;
  @Nullable() @CalendarDate() due_date?: string | null;
  @Nullable() @Text(TEXT_LIMITS.reason) reason?: string | null;
  @Nullable() @Text(TEXT_LIMITS.comments) comments?: string | null;
  @IdempotencyKey() idempotency_key?: string;
}
