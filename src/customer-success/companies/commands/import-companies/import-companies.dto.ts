import { LIFECYCLE_STAGES, SEGMENTS } from '../../company.events';
import { TEXT_LIMITS } from '../../../shared/values';
import { AmountColumn, CountColumn, DateColumn, EmailColumn, EnumColumn, IdColumn, NameColumn, RequiredIdColumn, TextColumn } from '../import-rules';

/** One row of a company import, as in the file (snake_case columns). Left out = keep, empty = none. */
export class ImportCompanyDto {
  @RequiredIdColumn('a company id') company_id!: string;
  /** Required for a new company. */
  @NameColumn(TEXT_LIMITS.name) name?: string;
  @TextColumn(TEXT_LIMITS.id) external_id?: string | null;
  @TextColumn(TEXT_LIMITS.label) industry?: string | null;
  @EnumColumn(SEGMENTS) segment?: (typeof SEGMENTS)[number] | null;
  @EnumColumn(LIFECYCLE_STAGES) lifecycle_stage?: (typeof LIFECYCLE_STAGES)[number] | null;
  @TextColumn(TEXT_LIMITS.label) region?: string | null;
  @CountColumn() employees?: number | null;
  @AmountColumn() arr?: number | null;
  @DateColumn() renewal_date?: string | null;
  /** The owner: a user id, or the user's email in owner_email. */
  @IdColumn('a user id') owner_id?: string | null;
  @EmailColumn() owner_email?: string | null;
}

export const COMPANY_COLUMNS = [
  'company_id',
  'name',
  'external_id',
  'industry',
  'segment',
  'lifecycle_stage',
  'region',
  'employees',
  'arr',
  'renewal_date',
  'owner_id',
  'owner_email',
] as const satisfies readonly (keyof ImportCompanyDto)[];
