import { ArrayMaxSize, IsArray, IsString, MaxLength } from 'class-validator';
import { MAX_PARTICIPANTS, TEXT_LIMITS, TIMELINE_ACTIVITY_TYPES, TIMELINE_CONTEXT_KINDS } from '../../../shared/values';
import { DateTime, Id, IdempotencyKey, Nullable, OneOf, Optional, RequiredText, Text } from '../../../write/dto-rules';

/**
 * `scorecard` is accepted here on purpose: attaching an activity to a scorecard is refused by the
 * write policy (recorded, with its reason), not lost as a schema error.
 */
export const CONTEXT_KINDS_ASKED = [...TIMELINE_CONTEXT_KINDS, 'scorecard'] as const;

/** Arguments of the create_timeline_activity tool. */
export class CreateTimelineActivityDto {
  @Id() company_id!: string;
  /** Where it is attached; default the company itself. */
  @Optional() @OneOf(CONTEXT_KINDS_ASKED) context_kind?: (typeof CONTEXT_KINDS_ASKED)[number];
  /** The relationship, success plan or CTA id (for company: the company id, or left out). */
  @Optional() @Id() context_id?: string;
  @OneOf(TIMELINE_ACTIVITY_TYPES) type!: (typeof TIMELINE_ACTIVITY_TYPES)[number];
  @RequiredText(TEXT_LIMITS.name) subject!: string;
  @Nullable() @Text(TEXT_LIMITS.notes) notes?: string | null;
  /** Default: now. */
  @Optional() @DateTime() occurred_at?: string;
  @Optional()
  @IsArray({ message: 'must be a list of names or email addresses' })
  @ArrayMaxSize(MAX_PARTICIPANTS, { message: `must list at most ${MAX_PARTICIPANTS} participants` })
  @IsString({ each: true, message: 'must list names or email addresses as strings' })
  @MaxLength(TEXT_LIMITS.participant, { each: true, message: `each participant must be at most ${TEXT_LIMITS.participant} characters` })
  participants?: string[];
  @IdempotencyKey() idempotency_key?: string;
}
