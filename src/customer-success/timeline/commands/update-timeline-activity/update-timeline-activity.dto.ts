import { TEXT_LIMITS, TIMELINE_ACTIVITY_TYPES } from '../../../shared/values';
import { DateTime, Id, IdempotencyKey, Nullable, OneOf, Optional, RequiredText, Text } from '../../../write/dto-rules';

/** Arguments of the update_timeline_activity tool: subject, notes, type and occurred_at can change. */
export class UpdateTimelineActivityDto {
  @Id() activity_id!: string;
  @Optional() @RequiredText(TEXT_LIMITS.name) subject?: string;
  @Nullable() @Text(TEXT_LIMITS.notes) notes?: string | null;
  @Optional() @OneOf(TIMELINE_ACTIVITY_TYPES) type?: (typeof TIMELINE_ACTIVITY_TYPES)[number];
  @Optional() @DateTime() occurred_at?: string;
  @IdempotencyKey() idempotency_key?: string;
}
