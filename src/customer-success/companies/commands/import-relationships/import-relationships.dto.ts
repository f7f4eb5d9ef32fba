import { TEXT_LIMITS } from '../../../shared/values';
import { AmountColumn, DateColumn, EmailColumn, IdColumn, NameColumn, RequiredIdColumn, TextColumn } from '../import-rules';

/** One row of a relationship import (snake_case columns). Left out = keep, empty = none. */
export class ImportRelationshipDto {
  @RequiredIdColumn('a relationship id') relationship_id!: string;
  @RequiredIdColumn('the id of an imported company') company_id!: string;
  /** Required for a new relationship. */
  @NameColumn(TEXT_LIMITS.name) name?: string;
  /** Business unit, product line, region, ... */
  @TextColumn(TEXT_LIMITS.label) type?: string | null;
  @AmountColumn() arr?: number | null;
  @DateColumn() renewal_date?: string | null;
  @IdColumn('a user id') owner_id?: string | null;
  @EmailColumn() owner_email?: string | null;
}

export const RELATIONSHIP_COLUMNS = [
  'relationship_id',
  'company_id',
  'name',
  'type',
  'arr',
  'renewal_date',
  'owner_id',
  'owner_email',
] as const satisfies readonly (keyof ImportRelationshipDto)[];
