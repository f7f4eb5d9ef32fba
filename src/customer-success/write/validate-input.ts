import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { InputValidationError, type FieldProblem } from './write-errors';

/**
 * Checks tool input against its DTO: types, lengths, enums, dates; unknown fields are refused (an
 * LLM that sends `companyName` to update_cta learns it cannot change it, instead of being ignored).
 */
export function validateInput<T extends object>(dto: ClassConstructor<T>, input: unknown): T {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new InputValidationError([{ field: '(input)', problem: 'must be a JSON object of named arguments' }]);
  // class-transformer takes an object's "constructor" for the class to build: an own "constructor" key
  // (JSON allows one) made it throw a TypeError, answered INTERNAL (found by the MCP fuzz soak, seed 1).
  const odd = constructorKeyAt(input, '');
  if (odd !== null) throw new InputValidationError([{ field: odd, problem: 'holds a key named "constructor", which no argument accepts' }]);
  const instance = plainToInstance(dto, input, { enableImplicitConversion: false });
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length > 0) throw new InputValidationError(flatten(errors));
  return instance;
}

/** The path of the first value (the arguments or any object inside them) with an own "constructor" key; null when none. */
export function constructorKeyAt(value: unknown, path: string, depth = 0): string | null {
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = constructorKeyAt(item, `${path}[${i}]`, depth + 1);
      if (found !== null) return found;
    }
    return null;
  }
  if (Object.prototype.hasOwnProperty.call(value, 'constructor')) return path === '' ? 'constructor' : path;
  for (const [key, item] of Object.entries(value)) {
    const found = constructorKeyAt(item, path === '' ? key : `${path}.${key}`, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.entries(e.constraints ?? {}).map(([rule, message]) => ({
      field,
      problem:
        rule === 'whitelistValidation'
          ? `is not an accepted field${FIXED_FIELD_HINT[e.property] ?? ''}`
          : message.startsWith(`${e.property} `)
            ? message.slice(e.property.length + 1)
            : message,
    }));
    return [...own.slice(0, 1), ...flatten(e.children ?? [], field)];
  });
}

// Fields an LLM commonly tries to send that are fixed or not writable: say why, not just "unknown".
// Keyed by the tools' (snake_case) argument names.
const FIXED_FIELD_HINT: Record<string, string> = {
  company_id: ' here (the company is fixed when the record is created)',
  type: ' here (the type is fixed when the record is created)',
  context_kind: ' here (a timeline activity cannot be moved to another record)',
  context_id: ' here (a timeline activity cannot be moved to another record)',
  delete: ' (deleting records is not supported through MCP)',
  deleted: ' (deleting records is not supported through MCP)',
};
