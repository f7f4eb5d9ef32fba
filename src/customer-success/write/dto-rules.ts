import { IsIn, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';

/**
 * Field decorators shared by the write DTOs, each with a message that says what is allowed.
 * Messages name no field: the validation error puts the field in front.
 */
export const Id = () =>
  applyAll(IsString({ message: 'must be a string id' }), MinLength(1, { message: 'must not be empty' }), MaxLength(200, { message: 'must be at most 200 characters' }));

export const Text = (max: number) =>
  applyAll(IsString({ message: 'must be a string' }), MaxLength(max, { message: `must be at most ${max} characters` }));

export const RequiredText = (max: number) =>
  applyAll(
    IsString({ message: 'must be a string' }),
    Matches(/\S/, { message: 'must not be blank' }),
    MaxLength(max, { message: `must be at most ${max} characters` }),
  );

export const OneOf = (values: readonly string[]) => IsIn(values as string[], { message: `must be one of ${values.join(', ')}` });

export const CalendarDate = () => Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date as YYYY-MM-DD, e.g. 2026-03-31' });

export const DateTime = () =>
  Matches(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/, {
    message: 'must be a date-time in ISO 8601 with a time zone, e.g. 2026-03-31T14:30:00Z',
  });

/** Optional, and `null` clears the value (for updates). */
export const Nullable = () => ValidateIf((_, value) => value !== null && value !== undefined);
export const Optional = () => IsOptional();

export const IdempotencyKey = () =>
  applyAll(
    IsOptional(),
    IsString({ message: 'must be a string' }),
    Matches(/^[\x21-\x7e]{1,200}$/, { message: 'must be 1-200 printable ASCII characters without spaces' }),
  );

function applyAll(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((d) => d(target, key));
}
