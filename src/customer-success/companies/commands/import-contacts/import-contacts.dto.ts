import { CONTACT_SENTIMENTS } from '../../company.events';
import { TEXT_LIMITS } from '../../../shared/values';
import { BooleanColumn, EmailColumn, EnumColumn, IdColumn, NameColumn, RequiredIdColumn, TextColumn } from '../import-rules';

/** One row of a contact import (snake_case columns). Left out = keep, empty = none. */
export class ImportContactDto {
  /** Default: derived from company_id and email, so a file without ids can be imported again. */
  @IdColumn('a contact id') contact_id?: string | null;
  @RequiredIdColumn('the id of an imported company') company_id!: string;
  /** Required for a new contact. */
  @NameColumn(TEXT_LIMITS.name) name?: string;
  @EmailColumn() email?: string | null;
  @TextColumn(TEXT_LIMITS.name) title?: string | null;
  /** Champion, Decision maker, Executive sponsor, User, ... */
  @TextColumn(TEXT_LIMITS.label) role?: string | null;
  @EnumColumn(CONTACT_SENTIMENTS) sentiment?: (typeof CONTACT_SENTIMENTS)[number] | null;
  @BooleanColumn() is_primary?: boolean | null;
}

export const CONTACT_COLUMNS = [
  'contact_id',
  'company_id',
  'name',
  'email',
  'title',
  'role',
  'sentiment',
  'is_primary',
] as const satisfies readonly (keyof ImportContactDto)[];
