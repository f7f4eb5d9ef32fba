import { Matches, MaxLength } from 'class-validator';
import { TEXT_LIMITS } from '../../../customer-success/shared/values';
import { Id, OneOf, Optional, RequiredText } from '../../../customer-success/write/dto-rules';
import { USER_ROLES } from '../../user.events';

export class RegisterUserDto {
  /** Default: derived from the email, so a registration that stopped half-way completes when run again. */
  @Optional() @Id() user_id?: string;
  @Matches(/^\s*[^\s@]+@[^\s@]+\.[^\s@]+\s*$/, { message: 'must be an email address like anna@example.com' })
  @MaxLength(320, { message: 'must be at most 320 characters' })
  email!: string;
  @RequiredText(TEXT_LIMITS.name) name!: string;
  @OneOf(USER_ROLES) role!: (typeof USER_ROLES)[number];
}
