import { AdminApiError } from './admin-api-error';
import { fieldsOf } from './fields';

describe('admin API body fields', () => {
  const spec = { name: { kind: 'string', required: true }, tags: { kind: 'string[]' }, on: { kind: 'boolean' }, config: { kind: 'object' } } as const;
  const numbers = { amount: { kind: 'number' }, limit: { kind: 'number|null', required: true } } as const;
  const refusal = (body: unknown) => {
    try {
      fieldsOf(body, spec);
    } catch (error) {
      if (error instanceof AdminApiError) return { status: error.status, code: error.code, message: error.message, details: error.details };
      throw error;
    }
    throw new Error('expected a refusal');
  };

  it('returns the fields given, of their types', () => {
    expect(fieldsOf({ name: 'x', tags: ['a'], on: false, config: {} }, spec)).toEqual({ name: 'x', tags: ['a'], on: false, config: {} });
    expect(fieldsOf({ name: 'x' }, spec)).toEqual({ name: 'x' });
  });

  it('takes no body as {} (then only the required fields are missing)', () => {
    expect(fieldsOf(undefined, {})).toEqual({});
    expect(refusal(undefined)).toEqual({ status: 400, code: 'VALIDATION', message: 'name is required: a string', details: { field: 'name' } });
  });

  it('takes numbers, and null where the spec allows it (then it must be given)', () => {
    expect(fieldsOf({ amount: 1.5, limit: null }, numbers)).toEqual({ amount: 1.5, limit: null });
    expect(fieldsOf({ limit: 0 }, numbers)).toEqual({ limit: 0 });
    const refused = (body: unknown) => {
      try {
        fieldsOf(body, numbers);
      } catch (error) {
        return { message: (error as AdminApiError).message, details: (error as AdminApiError).details };
      }
      throw new Error('expected a refusal');
    };
    expect(refused({ amount: 1 })).toEqual({ message: 'limit is required: a number or null', details: { field: 'limit' } });
    expect(refused({ amount: '5', limit: 1 })).toEqual({ message: 'amount must be a number; got string "5"', details: { field: 'amount' } });
    expect(refused({ limit: 'none' })).toEqual({ message: 'limit must be a number or null; got string "none"', details: { field: 'limit' } });
    expect(refused({ amount: null, limit: 1 })).toEqual({ message: 'amount must be a number; got null', details: { field: 'amount' } });
  });

  it.each([
    [{ name: 'x', colour: 'red' }, 'UNKNOWN_FIELD', '"colour" is not a field of this request; the fields are name, tags, on, config', { field: 'colour', allowed: ['name', 'tags', 'on', 'config'] }],
    [{ name: 1 }, 'VALIDATION', 'name must be a string; got number 1', { field: 'name' }],
    [{ name: 'x', tags: ['a', 2] }, 'VALIDATION', 'tags must be an array of strings; got an array with a value that is not a string', { field: 'tags' }],
    [{ name: 'x', on: 'yes' }, 'VALIDATION', 'on must be true or false; got string "yes"', { field: 'on' }],
    [{ name: 'x', config: [] }, 'VALIDATION', 'config must be an object; got an array', { field: 'config' }],
    [{ name: null }, 'VALIDATION', 'name must be a string; got null', { field: 'name' }],
    ['name=x', 'VALIDATION', 'The body must be a JSON object with the fields name, tags, on, config', { field: null, allowed: ['name', 'tags', 'on', 'config'] }],
  ])('refuses %j', (body, code, message, details) => {
    expect(refusal(body)).toEqual({ status: 400, code, message, details });
  });
});
